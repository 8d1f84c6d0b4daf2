"""GraphClient's plain calls against the emulator: profile, folders, paging, errors, mailboxes."""

import pytest

from helpers.engine import Engines
from helpers.settings import graph_client, retry_policy
from mailer.graph.client import GraphError
from mailer.web.words import graph_advice
from mailer.delivery.outcomes import SENT

MEGAN = "megan@contoso.example"


def _message(subject, to=MEGAN):
    return {"subject": subject, "body": {"contentType": "text", "content": "hi"},
            "toRecipients": [{"emailAddress": {"address": to}}]}


def test_me(graph):
    me = graph.me()
    assert me["userPrincipalName"] == "adele@contoso.example" and me["id"]


def test_list_messages_follows_next_links(graph, graph_for):
    for i in range(5):
        graph.send_mail(_message(f"page {i}"))
    megan = graph_for(MEGAN)
    assert len(megan.list_messages("inbox", select=["subject"], top=2)) == 2
    everything = megan.list_messages("inbox", select=["subject"], top=2, max_pages=5)
    assert sorted(m["subject"] for m in everything) == [f"page {i}" for i in range(5)]


def test_save_to_sent_items_false_leaves_no_copy(graph, graph_for):
    graph.send_mail(_message("unsaved"), save_to_sent_items=False)
    assert [m for m in graph.list_messages("sentitems", select=["subject"])
            if m["subject"] == "unsaved"] == []
    assert len(graph_for(MEGAN).list_messages("inbox", select=["subject"])) == 1


def test_a_bad_token_is_a_graph_error_with_advice(emu, https):
    graph = graph_client(emu.client_config()["graph_endpoint"], lambda: "not-a-token", https)
    with pytest.raises(GraphError) as info:
        graph.me()
    assert info.value.status == 401 and info.value.code == "InvalidAuthenticationToken"
    assert info.value.request_id and "Sign in again" in graph_advice(info.value)


def test_a_mailbox_without_exchange_is_explained(graph):
    with pytest.raises(GraphError) as info:
        graph.list_messages("inbox", mailbox="allstaff@contoso.example")
    assert info.value.code == "MailboxNotEnabledForRESTAPI"
    assert "Exchange Online mailbox" in graph_advice(info.value)


def test_unreachable_graph_is_a_network_error_retried_within_bounds(https):
    slept = []
    graph = graph_client("https://127.0.0.1:9/v1.0", lambda: "t", https, sleep=slept.append,
                        retry=retry_policy(max_attempts=3, jitter=0))
    with pytest.raises(GraphError) as info:
        graph.send_mail(_message("never"))  # refused: nothing was sent, so even POST retries
    assert (info.value.status, info.value.code) == (0, "NetworkError")
    assert slept == [1.0, 2.0]


def test_sending_through_the_shared_mailbox_url_saves_there(graph_for):
    """/users/{from} (Full Access + Send As) saves to the shared mailbox's Sent Items."""
    graph = graph_for(scopes=["Mail.Send", "Mail.Send.Shared", "Mail.ReadWrite",
                              "Mail.ReadWrite.Shared"])
    message = dict(_message("via sales"), **{"from": {"emailAddress": {
        "address": "sales@contoso.example"}}})
    graph.send_mail(message, mailbox="sales@contoso.example")
    sent = graph.list_messages("sentitems", select=["subject"], mailbox="sales@contoso.example")
    assert [m["subject"] for m in sent] == ["via sales"]
    assert graph.list_messages("sentitems", select=["subject"]) == []


@pytest.mark.parametrize("size", [2000, 4 * 1024 * 1024])
def test_inline_images_arrive_inline(emu, tmp_path, token_for, graph_for, size):
    engines = Engines(emu, tmp_path)
    try:
        record = engines.compose(
            "adele@contoso.example", token_for(), files=[("logo.png", b"\x89PNG" * (size // 4), True)],
            to=MEGAN, subject=f"inline {size}", body_type="html",
            body='<p>Look: <img src="cid:{cid:0}" alt="logo"></p>')
        cid = record["compose"]["files"][0]["content_id"]
        engines.submit(record)
        job = engines.run(record["id"])
    finally:
        engines.close()
    assert job["state"] == SENT, job
    megan = graph_for(MEGAN)
    [got] = megan.list_messages("inbox", select=["subject", "body"])
    assert f'src="cid:{cid}"' in got["body"]["content"]
    response = megan.session.get(
        f"{megan.base_url}/me/messages/{got['id']}/attachments?$select=name,isInline,contentId,size",
        headers={"Authorization": f"Bearer {megan.token_provider()}"}, timeout=10)
    [attachment] = response.json()["value"]
    assert (attachment["isInline"], attachment["contentId"], attachment["size"]) == \
        (True, cid, size)
