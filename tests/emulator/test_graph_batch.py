"""JSON batching, ``POST /v1.0/$batch`` (graph/batch*.py), as learn.microsoft.com/graph/json-batching
describes it: answers by id with their own status, headers and body; dependsOn and 424; each item
authorized, throttled and faulted on its own; Graph's 400s for a batch it cannot read; binary
bodies as base64; msgraph-sdk's BatchRequestContent as an independent client."""
from __future__ import annotations

import base64
import email.message

import pytest
import requests
from helpers.kiota import run_async, sdk_client, trust
from helpers.mailbox import PNG, GraphAsApp, attachment
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from emulator.directory import WORK_TENANT_ID

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
JSON = {"Content-Type": "application/json"}
MISSING = "AAMkAD" + "A" * 44 + "AAA="  # well formed, in no mailbox


def get(item_id: str, url: str, **extra) -> dict:
    return {"id": item_id, "method": "GET", "url": url, **extra}


def post(item_id: str, url: str, body, **extra) -> dict:
    return {"id": item_id, "method": "POST", "url": url, "headers": JSON, "body": body, **extra}


def run(graph_api, requests_: list[dict]) -> dict[str, dict]:
    """The batch's answers by id (the batch itself must be 200)."""
    response = graph_api.post("/$batch", json={"requests": requests_})
    assert response.status_code == 200, response.text
    answers = response.json()["responses"]
    assert sorted(a["id"] for a in answers) == sorted(r["id"] for r in requests_)
    return {a["id"]: a for a in answers}


def refused(graph_api, body) -> str:
    response = graph_api.post("/$batch", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    return error["message"]


@pytest.fixture
def inbox(emu):
    """Mail in Adele's Inbox, one with a picture attached; the sender is the app itself."""
    graph = GraphAsApp(emu)
    graph.send(MEGAN, ADELE, "First", "<p>one</p>")
    graph.send(MEGAN, ADELE, "With a picture", "<p>two</p>",
               attachments=[attachment("dot.png", PNG, "image/png")])
    yield graph
    graph.http.close()


def test_every_item_answers_by_id_with_its_own_status_headers_and_body(graph_api, inbox):
    answers = run(graph_api, [
        get("me", "/me?$select=displayName"),
        get("list", "me/mailFolders/inbox/messages?$select=subject&$orderby=receivedDateTime desc"),
        get("missing", f"/me/messages/{MISSING}"),
        {"id": "wrong-method", "method": "PATCH", "url": "/me/messages/AAMk/attachments",
         "headers": JSON, "body": {}},
    ])
    assert answers["me"]["status"] == 200 and answers["me"]["body"]["displayName"] == "Adele Vance"
    assert answers["me"]["headers"]["Content-Type"].startswith("application/json")
    assert [m["subject"] for m in answers["list"]["body"]["value"]] == ["With a picture", "First"]
    assert answers["missing"]["status"] == 404
    assert answers["missing"]["body"]["error"]["code"] == "ErrorItemNotFound"
    assert answers["wrong-method"]["status"] == 405


def test_depends_on_runs_in_order_and_a_failed_dependency_gives_424(graph_api, mailbox):
    answers = run(graph_api, [
        post("make", "/me/messages", {"subject": "Made first"}),
        get("find", "/me/mailFolders/drafts/messages?$filter=subject eq 'Made first'",
            dependsOn=["MAKE"]),  # ids compare case-insensitively
        get("fails", f"/me/messages/{MISSING}"),
        post("never", "/me/messages", {"subject": "Never made"}, dependsOn=["fails"]),
        get("after-never", "/me", dependsOn=["never"]),
    ])
    assert answers["make"]["status"] == 201
    assert [m["id"] for m in answers["find"]["body"]["value"]] == [answers["make"]["body"]["id"]]
    assert answers["fails"]["status"] == 404
    assert (answers["never"]["status"], answers["after-never"]["status"]) == (424, 424)
    assert answers["never"]["body"]["error"]["code"] == "FailedDependency"
    assert [m.props["subject"] for m in mailbox(ADELE).in_folder("drafts")] == ["Made first"]


def test_answers_are_listed_as_they_finish_so_a_dependency_comes_first(graph_api):
    response = graph_api.post("/$batch", json={"requests": [
        get("3", "/me", dependsOn=["2"]), get("2", "/me", dependsOn=["1"]), get("1", "/me")]})
    assert [a["id"] for a in response.json()["responses"]] == ["1", "2", "3"]


def test_each_item_is_authorized_on_its_own(graph_api, graph_token, inbox):
    reader = graph_api.as_(graph_token(ADELE, scopes=["User.Read", "Mail.Read"]))
    answers = run(reader, [
        get("read", "/me/messages?$select=subject"),
        post("write", "/me/messages", {"subject": "Needs Mail.ReadWrite"}),
        get("other", f"/users/{MEGAN}/messages"),  # no Full Access to Megan's mailbox
        get("me", "/me"),
    ])
    assert {k: a["status"] for k, a in answers.items()} == {
        "read": 200, "write": 403, "other": 403, "me": 200}
    assert answers["write"]["body"]["error"]["code"] == "ErrorAccessDenied"


def test_a_throttled_item_carries_its_own_retry_after_and_the_batch_is_200(graph_api, https, emu):
    rule = {"path": "/mailFolders/inbox/messages$", "method": "GET", "status": 429,
            "retry_after": 7}
    assert https.post(f"{emu.api_url}/_emulator/faults", json=rule, timeout=10).status_code == 201
    answers = run(graph_api, [get("inbox", "/me/mailFolders/inbox/messages"), get("me", "/me")])
    assert answers["inbox"]["status"] == 429
    assert answers["inbox"]["headers"]["Retry-After"] == "7"
    assert answers["inbox"]["body"]["error"]["code"] == "TooManyRequests"
    assert answers["me"]["status"] == 200
    assert https.get(f"{emu.api_url}/_emulator/faults", timeout=10).json()["faults"] == []


def test_outlooks_request_limit_counts_each_item(graph_api, set_limits):
    set_limits(requests_per_10_minutes=2)
    answers = run(graph_api, [get(str(n), "/me/mailFolders/inbox/messages") for n in range(3)])
    assert sorted(a["status"] for a in answers.values()) == [200, 200, 429]
    throttled = next(a for a in answers.values() if a["status"] == 429)
    assert throttled["body"]["error"]["code"] == "ApplicationThrottled"
    assert int(throttled["headers"]["Retry-After"]) > 0


def test_twenty_requests_at_most(graph_api):
    answers = run(graph_api, [get(f"r{n}", "/me?$select=id") for n in range(20)])
    assert {a["status"] for a in answers.values()} == {200}
    message = refused(graph_api, {"requests": [get(f"r{n}", "/me") for n in range(21)]})
    assert message == "Number of requests inside batch exceed the limit."


@pytest.mark.parametrize("requests_, message", [
    ([get("a", "/me"), get("A", "/me")], "Request Id A has to be unique in a batch."),
    ([get("1", "https://graph.microsoft.com/v1.0/me")], "Invalid batch payload format."),
    ([{"id": "1", "method": "POST", "url": "/me/messages", "body": {"subject": "x"}}],
     "Write request id : 1 does not contain Content-Type header or body."),
    ([{"id": "1", "method": "POST", "url": "/me/messages/AAMk/send", "headers": JSON}],
     "Write request id : 1 does not contain Content-Type header or body."),
])
def test_graphs_own_refusals_of_a_batch(graph_api, requests_, message):
    assert refused(graph_api, {"requests": requests_}) == message


@pytest.mark.parametrize("body, named", [
    ({}, "'requests'"),
    ({"requests": []}, "'requests'"),
    ({"requests": [{"method": "GET", "url": "/me"}]}, "no id"),
    ({"requests": [{"id": "1", "url": "/me"}]}, "method"),
    ({"requests": [{"id": "1", "method": "GET"}]}, "no url"),
    ({"requests": [get("1", "/me", headers=["x"])]}, "headers"),
    ({"requests": [get("1", "/me", dependsOn=["2"])]}, "depends on '2'"),
    ({"requests": [get("1", "/me", dependsOn=["2"]), get("2", "/me", dependsOn=["1"])]}, "cycle"),
    ({"requests": [{"id": "1", "method": "PUT", "url": "/me/photo/$value",
                    "headers": {"Content-Type": "image/png"}, "body": "not base64 at all!"}]},
     "base64"),
])
def test_a_batch_graph_cannot_read_is_400_naming_what_is_wrong(graph_api, body, named):
    message = refused(graph_api, body)
    assert message.startswith("Invalid batch payload format.") and named in message


def test_the_batch_itself_needs_a_valid_token(graph_api):
    for token in (None, "not-a-token"):
        response = graph_api.as_(token).post("/$batch", json={"requests": [get("1", "/me")]})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_binary_answers_come_as_base64_and_binary_bodies_are_read_as_base64(graph_api, inbox,
                                                                           mailbox):
    [message] = [m for m in mailbox(ADELE).in_folder("inbox") if m.props["subject"]
                 == "With a picture"]
    path = f"/me/messages/{message.id}/attachments/{message.attachments[0].id}/$value"
    mime = email.message.EmailMessage()
    mime["To"], mime["Subject"] = MEGAN, "Sent as MIME in a batch"
    mime.set_content("Plain text.")
    # sendMail takes MIME as base64 text (text/plain); in a batch that body is base64 once more.
    wire = base64.b64encode(base64.b64encode(mime.as_bytes())).decode()
    answers = run(graph_api, [
        get("picture", path),
        {"id": "mime", "method": "POST", "url": "/me/sendMail",
         "headers": {"Content-Type": "text/plain"}, "body": wire},
    ])
    assert answers["picture"]["headers"]["Content-Type"] == "image/png"
    assert base64.b64decode(answers["picture"]["body"]) == PNG
    assert answers["mime"]["status"] == 202 and "body" not in answers["mime"]
    assert [m.props["subject"] for m in mailbox(MEGAN).in_folder("inbox")] == \
        ["Sent as MIME in a batch"]


def test_a_batch_inside_a_batch_is_refused_for_that_item(graph_api):
    answers = run(graph_api, [post("nested", "/$batch", {"requests": [get("1", "/me")]}),
                              get("me", "/me")])
    assert answers["nested"]["status"] == 400 and answers["me"]["status"] == 200


def test_a_dropped_connection_rule_hitting_an_item_drops_the_batch(graph_api, https, emu):
    rule = {"path": "/me$", "method": "GET", "drop": True}
    assert https.post(f"{emu.api_url}/_emulator/faults", json=rule, timeout=10).status_code == 201
    with pytest.raises(requests.ConnectionError):
        graph_api.post("/$batch", json={"requests": [get("me", "/me")]})
    assert graph_api.get("/me").status_code == 200  # the rule was used up by the item


def test_latency_is_the_round_trip_the_batch_paid_once(graph_api, https, emu):
    rule = {"path": "/me$", "latency_ms": 50, "count": 3}
    assert https.post(f"{emu.api_url}/_emulator/faults", json=rule, timeout=10).status_code == 201
    run(graph_api, [get("1", "/me"), get("2", "/me")])
    [left] = https.get(f"{emu.api_url}/_emulator/faults", timeout=10).json()["faults"]
    assert left["count"] == 3  # its items passed the latency-only rule by


def test_beta_is_not_served(graph_api):
    response = graph_api.post(graph_api.emu.api_url + "/beta/$batch",
                              json={"requests": [get("1", "/me")]})
    assert response.status_code == 501
    assert response.json()["error"]["code"] == "NotImplemented"


def test_msgraph_sdks_batch_request_content(emu, demo_client, tmp_path, monkeypatch, inbox):
    trust(emu, tmp_path, monkeypatch)

    async def go():
        client, closing = sdk_client(emu, demo_client["client_id"], demo_client["client_secret"],
                                     WORK_TENANT_ID)
        try:
            me = client.users.by_user_id(ADELE)
            content = BatchRequestContent({
                "profile": BatchRequestItem(me.to_get_request_information(), id="profile"),
                "mail": BatchRequestItem(me.messages.to_get_request_information(), id="mail"),
                "photo": BatchRequestItem(me.photo.content.to_get_request_information(),
                                          id="photo"),
                "nobody": BatchRequestItem(client.users.by_user_id("nobody@contoso.example")
                                           .to_get_request_information(), id="nobody")})
            answer = await client.batch.post(batch_request_content=content)
            return answer.get_response_status_codes(), answer.get_response_stream_by_id("photo")
        finally:
            await closing.close()

    statuses, photo = run_async(go())
    assert statuses == {"profile": 200, "mail": 200, "photo": 200, "nobody": 404}
    # The SDK keeps a body only when it is a base64 string (JSON bodies it drops: its parser
    # reads every body as bytes); the photo's bytes come back whole.
    direct = inbox.http.get(f"{inbox.graph}/users/{ADELE}/photo/$value", headers=inbox.headers,
                            timeout=10)
    assert direct.status_code == 200 and photo.read() == direct.content
