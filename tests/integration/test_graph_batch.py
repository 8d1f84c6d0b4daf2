"""GraphClient.batch against the emulator: one $batch round trip, answers by id, and the fallback
(a throttled or unavailable item sent again on its own, its Retry-After honoured through the
client's retry policy; its 424 dependents sent after it); batching off sends each call directly."""
from __future__ import annotations

import base64

import pytest

from helpers.mailbox import PNG, GraphAsApp, attachment
from helpers.settings import retry_policy
from mailer.graph.batch import Call
from mailer.graph.errors import GraphError

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"


@pytest.fixture
def sent(https):
    """(method, path) of every Graph request that went out on the client's session."""
    seen: list[tuple[str, str]] = []

    def hook(response, *args, **kwargs):
        path = response.request.path_url.split("?")[0]
        if path.startswith("/v1.0/"):
            seen.append((response.request.method, path))
    https.hooks["response"].append(hook)
    yield seen
    https.hooks["response"].remove(hook)


@pytest.fixture
def picture_mail(emu, mailbox_of):
    graph = GraphAsApp(emu)
    graph.send(MEGAN, ADELE, "A picture", attachments=[attachment("dot.png", PNG, "image/png")])
    graph.http.close()
    [message] = mailbox_of(ADELE)
    return message


@pytest.fixture
def mailbox_of(emu):
    from emulator.graph.mail.store import MailStore

    def get(upn: str, folder: str = "inbox"):
        box = emu.state.extension("mail", MailStore).mailbox(emu.state.directory.user(upn).id)
        return box.in_folder(folder)
    return get


def calls_for(message) -> list[Call]:
    path = f"/me/messages/{message.id}"
    return [Call("message", "GET", path, params={"$select": "subject"}),
            Call("files", "GET", f"{path}/attachments", params={"$select": "id,name"}),
            Call("bytes", "GET", f"{path}/attachments/{message.attachments[0].id}/$value")]


def test_several_calls_are_one_round_trip_answered_by_id(graph, picture_mail, sent):
    answers = graph.batch(calls_for(picture_mail))
    assert sent == [("POST", "/v1.0/$batch")]
    assert answers["message"].result()["subject"] == "A picture"
    assert [f["name"] for f in answers["files"].result()["value"]] == ["dot.png"]
    assert answers["bytes"].content == PNG  # base64 in the batch, bytes here


def test_a_failed_item_is_its_own_graph_error(graph, sent):
    answers = graph.batch([Call("me", "GET", "/me"),
                           Call("nobody", "GET", "/users/nobody@contoso.example")])
    assert answers["me"].ok and not answers["nobody"].ok
    with pytest.raises(GraphError) as info:
        answers["nobody"].result()
    assert info.value.status == 404 and info.value.request_id


def test_a_throttled_item_is_sent_again_alone_after_its_retry_after(graph_for, faults,
                                                                     picture_mail, sent):
    slept: list[float] = []
    graph = graph_for(sleep=slept.append, retry=retry_policy(max_total_wait=10, jitter=0))
    faults.add(path="/attachments$", method="GET", status=429, retry_after=3, count=1)
    answers = graph.batch(calls_for(picture_mail))
    assert slept == [3.0]  # the item's own Retry-After, through the client's policy
    assert [f["name"] for f in answers["files"].result()["value"]] == ["dot.png"]
    assert sent == [("POST", "/v1.0/$batch"),
                    ("GET", f"/v1.0/me/messages/{picture_mail.id}/attachments")]


def test_a_throttled_dependency_is_retried_then_its_424_dependents_run(graph_for, faults, sent,
                                                                       mailbox_of):
    graph = graph_for(sleep=lambda seconds: None)
    faults.add(path="/me/messages$", method="POST", status=503, count=1)
    answers = graph.batch([
        Call("make", "POST", "/me/messages", json_body={"subject": "Made once"}),
        Call("list", "GET", "/me/mailFolders/drafts/messages", params={"$select": "subject"},
             depends_on=("make",))])
    assert answers["make"].status == 201
    assert [m["subject"] for m in answers["list"].result()["value"]] == ["Made once"]
    assert [m.props["subject"] for m in mailbox_of(ADELE, "drafts")] == ["Made once"]
    assert [s[0] for s in sent] == ["POST", "POST", "GET"]  # the batch, then each on its own


def test_a_failed_dependency_stays_424_and_is_not_sent(graph, sent):
    answers = graph.batch([
        Call("gone", "GET", "/users/nobody@contoso.example"),
        Call("after", "GET", "/me", depends_on=("gone",))])
    assert (answers["gone"].status, answers["after"].status) == (404, 424)
    assert sent == [("POST", "/v1.0/$batch")]


def test_throttling_that_outlasts_the_budget_is_the_items_error(graph_for, faults, picture_mail):
    graph = graph_for(sleep=lambda seconds: None, retry=retry_policy(max_attempts=2))
    faults.add(path="/attachments$", method="GET", status=429, retry_after=1, count=5)
    answers = graph.batch(calls_for(picture_mail))
    assert answers["message"].ok and answers["files"].status == 429
    with pytest.raises(GraphError) as info:
        answers["files"].result()
    assert info.value.retry_after == 1.0


def test_batching_off_sends_each_call_directly_with_the_same_answers(graph_for, picture_mail,
                                                                     sent):
    graph = graph_for(batching=False)
    answers = graph.batch(calls_for(picture_mail))
    assert [s[1].rsplit("/", 1)[-1] for s in sent] == [picture_mail.id, "attachments", "$value"]
    assert answers["bytes"].content == PNG and answers["message"].result()["subject"]


def test_one_call_is_not_wrapped_in_a_batch(graph, sent):
    assert graph.batch([Call("me", "GET", "/me")])["me"].result()["displayName"]
    assert sent == [("GET", "/v1.0/me")]


def test_a_lost_batch_of_reads_is_a_network_error_not_an_unknown_outcome(graph_for, faults,
                                                                         picture_mail):
    graph = graph_for(sleep=lambda seconds: None, retry=retry_policy(max_attempts=1))
    faults.add(path="/attachments$", method="GET", drop=True)
    with pytest.raises(GraphError) as info:
        graph.batch(calls_for(picture_mail))
    assert info.value.code == "NetworkError"


@pytest.mark.parametrize("calls", [
    [Call(str(n), "GET", "/me") for n in range(21)],
    [Call("a", "GET", "/me"), Call("a", "GET", "/me")],
    [Call("a", "GET", "/me", depends_on=("b",))],
])
def test_calls_graph_would_refuse_are_refused_before_sending(graph, calls, sent):
    with pytest.raises(ValueError):
        graph.batch(calls)
    assert sent == []


def test_base64_bodies_use_either_alphabet():
    from mailer.graph.batch import Answer

    data = bytes(range(250, 256)) * 3
    for encoded in (base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()):
        answer = Answer.from_batch({"id": "1", "status": 200, "body": encoded,
                                    "headers": {"Content-Type": "image/png"}})
        assert answer.content == data
