"""Delta queries on a mail folder: pages, then only what changed; options travel in the tokens;
an expired or forged token answers 410 as Graph does."""
from __future__ import annotations

from urllib.parse import quote

import pytest

ADELE, ALEX = "adele@contoso.example", "alex@contoso.example"
INBOX_DELTA = "/me/mailFolders/inbox/messages/delta"


@pytest.fixture
def alex(graph_api, graph_token):
    return graph_api.as_(graph_token(ALEX))


def send(graph_api, subject: str, to: str = ALEX) -> None:
    body = {"message": {"subject": subject, "body": {"contentType": "text", "content": subject},
                        "toRecipients": [{"emailAddress": {"address": to}}]}}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202


def rounds(api, url: str, page_size: int | None = None):
    """Follow a round to its end: (pages, deltaLink)."""
    headers = {"Prefer": f"odata.maxpagesize={page_size}"} if page_size else {}
    pages = []
    while True:
        response = api.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["value"])
        if "@odata.nextLink" in body:
            assert "@odata.deltaLink" not in body
            url = body["@odata.nextLink"]
            continue
        return pages, body["@odata.deltaLink"]


def msg_path(message_id: str) -> str:
    return f"/me/messages/{quote(message_id, safe='')}"


def test_first_round_pages_the_folder_then_gives_a_delta_link(graph_api, alex):
    for i in range(5):
        send(graph_api, f"hello {i}")
    response = alex.get(INBOX_DELTA, headers={"Prefer": "odata.maxpagesize=2"})
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=2"
    body = response.json()
    assert body["@odata.context"].endswith("/$metadata#Collection(message)")
    assert "$skiptoken=" in body["@odata.nextLink"] and len(body["value"]) == 2
    pages, delta_link = rounds(alex, INBOX_DELTA, 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    items = [m for page in pages for m in page]
    assert sorted(m["subject"] for m in items) == [f"hello {i}" for i in range(5)]
    assert all(m["@odata.type"] == "#microsoft.graph.message" and m["@odata.etag"]
               for m in items)
    assert "$deltatoken=" in delta_link and "mailFolders/inbox/messages/delta" in delta_link
    again = alex.get(delta_link).json()  # nothing changed since
    assert again["value"] == [] and "@odata.deltaLink" in again


def test_a_page_holds_ten_messages_by_default(graph_api, alex):
    for i in range(12):
        send(graph_api, f"m{i}")
    pages, _ = rounds(alex, INBOX_DELTA)
    assert [len(p) for p in pages] == [10, 2]


def test_the_next_round_returns_created_updated_moved_and_deleted(graph_api, alex):
    for subject in ("keep", "read me", "move me", "delete me"):
        send(graph_api, subject)
    pages, delta_link = rounds(alex, INBOX_DELTA)
    by_subject = {m["subject"]: m for page in pages for m in page}
    assert alex.patch(msg_path(by_subject["read me"]["id"]),
                      json={"isRead": True}).status_code == 200
    assert alex.post(msg_path(by_subject["move me"]["id"]) + "/move",
                     json={"destinationId": "archive"}).status_code == 201
    assert alex.delete(msg_path(by_subject["delete me"]["id"])).status_code == 204
    send(graph_api, "new one")

    pages, next_link = rounds(alex, delta_link)
    changes = [m for page in pages for m in page]
    removed = {m["id"] for m in changes if "@removed" in m}
    assert removed == {by_subject["move me"]["id"], by_subject["delete me"]["id"]}
    assert all(m["@removed"] == {"reason": "deleted"} for m in changes if "@removed" in m)
    present = {m["subject"]: m for m in changes if "@removed" not in m}
    assert set(present) == {"read me", "new one"}  # "keep" did not change
    assert present["read me"]["isRead"] is True and present["read me"]["id"] == \
        by_subject["read me"]["id"]
    assert present["new one"]["isRead"] is False
    assert alex.get(next_link).json()["value"] == []
    # The moved message shows up in the Archive's own delta, as created there.
    archive, _ = rounds(alex, "/me/mailFolders/archive/messages/delta")
    assert [m["subject"] for page in archive for m in page] == ["move me"]


def test_a_message_created_and_deleted_between_rounds_is_not_reported(graph_api, alex):
    _, delta_link = rounds(alex, INBOX_DELTA)
    send(graph_api, "fleeting")
    fleeting = alex.get("/me/mailFolders/inbox/messages").json()["value"][0]
    assert alex.delete(msg_path(fleeting["id"])).status_code == 204
    assert alex.get(delta_link).json()["value"] == []


def test_select_and_change_type_travel_in_the_links(graph_api, alex):
    for i in range(3):
        send(graph_api, f"s{i}")
    url = f"{INBOX_DELTA}?$select=subject,isRead&changeType=created"
    pages, delta_link = rounds(alex, url, 2)
    items = [m for page in pages for m in page]
    assert len(pages) == 2 and len(items) == 3  # the first round returns the whole folder
    assert all(set(m) == {"@odata.type", "@odata.etag", "id", "subject", "isRead"}
               for m in items)
    assert alex.patch(msg_path(items[0]["id"]), json={"isRead": True}).status_code == 200
    send(graph_api, "created later")
    changes = alex.get(delta_link).json()["value"]
    assert [m["subject"] for m in changes] == ["created later"]  # the update is filtered out
    assert set(changes[0]) == {"@odata.type", "@odata.etag", "id", "subject", "isRead"}


def test_top_caps_the_first_round(graph_api, alex):
    for i in range(5):
        send(graph_api, f"t{i}")
    pages, delta_link = rounds(alex, f"{INBOX_DELTA}?$top=3", 2)
    assert [len(p) for p in pages] == [2, 1]
    send(graph_api, "after")
    assert [m["subject"] for m in alex.get(delta_link).json()["value"]] == ["after"]


def test_filter_on_received_time(graph_api, alex):
    send(graph_api, "old")
    received = alex.get("/me/messages").json()["value"][0]["receivedDateTime"]
    url = f"{INBOX_DELTA}?$filter=receivedDateTime gt {received}&$orderby=receivedDateTime desc"
    assert alex.get(url).json()["value"] == []
    url = f"{INBOX_DELTA}?$filter=receivedDateTime ge {received}"
    assert [m["subject"] for m in alex.get(url).json()["value"]] == ["old"]


@pytest.mark.parametrize("query, status", [
    ("$search=hello", 400), ("$filter=subject eq 'x'", 400), ("$orderby=subject", 400),
    ("changeType=moved", 400), ("$top=0", 400), ("$expand=attachments", 501),
    ("$skip=3", 501)])
def test_options_delta_does_not_take(alex, query, status):
    response = alex.get(f"{INBOX_DELTA}?{query}")
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"]


def test_a_tampered_token_is_invalid(graph_api, alex):
    send(graph_api, "x")
    _, delta_link = rounds(alex, INBOX_DELTA)
    body, _, mac = delta_link.partition("$deltatoken=")[2].partition(".")
    forged = delta_link.replace(body, body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1])
    for link in (forged, delta_link + "x", delta_link.split("$deltatoken=")[0] + "$deltatoken=abc"):
        response = alex.get(link)
        assert response.status_code == 410, response.text
        assert response.json()["error"]["code"] == "SyncStateInvalid"


def test_a_token_for_another_folder_or_mailbox_is_invalid(graph_api, alex):
    _, delta_link = rounds(alex, INBOX_DELTA)
    other_folder = delta_link.replace("mailFolders/inbox", "mailFolders/archive")
    assert alex.get(other_folder).json()["error"]["code"] == "SyncStateInvalid"
    other_mailbox = delta_link.replace("/me/", "/users/adele@contoso.example/")
    assert graph_api.get(other_mailbox).json()["error"]["code"] == "SyncStateInvalid"


def test_expired_tokens_answer_sync_state_not_found(graph_api, alex, admin):
    send(graph_api, "x")
    _, delta_link = rounds(alex, INBOX_DELTA)
    assert admin("POST", "delta/expire").status_code == 204
    response = alex.get(delta_link)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "SyncStateNotFound"
    assert response.headers["Location"] == delta_link.split("?")[0]  # where a full sync starts
    pages, fresh = rounds(alex, INBOX_DELTA)  # a full resync works, and so does its link
    assert len(pages[0]) == 1 and alex.get(fresh).status_code == 200


def test_the_change_log_is_bounded_per_folder(graph_api, alex, mailbox):
    _, delta_link = rounds(alex, INBOX_DELTA)
    mailbox(ALEX).changes.capacity = 3
    for i in range(4):
        send(graph_api, f"b{i}")
    assert len(mailbox(ALEX).changes.folders["inbox"]) == 3
    assert alex.get(delta_link).json()["error"]["code"] == "SyncStateNotFound"


def test_a_reset_makes_old_tokens_not_found(graph_api, alex, emu):
    _, delta_link = rounds(alex, INBOX_DELTA)
    emu.state.reset()
    response = graph_api.as_(alex.token).get(delta_link)
    assert response.status_code == 410 and response.json()["error"]["code"] == "SyncStateNotFound"


def test_mail_readbasic_gets_no_bodies(graph_api, graph_token):
    send(graph_api, "basic")
    basic = graph_api.as_(graph_token(ALEX, ["Mail.ReadBasic"]))
    item = basic.get(INBOX_DELTA).json()["value"][0]
    assert item["subject"] == "basic"
    assert not {"body", "bodyPreview", "uniqueBody"} & set(item)
    assert "body" in graph_api.as_(graph_token(ALEX, ["Mail.Read"])).get(INBOX_DELTA) \
        .json()["value"][0]


def test_permissions(graph_api, graph_token):
    send(graph_api, "perm")
    assert graph_api.as_(graph_token(ALEX, ["User.Read"])).get(INBOX_DELTA).status_code == 403
    app = graph_api.as_(graph_token(roles=["Mail.Read"]))
    response = app.get(f"/users/{ALEX}/mailFolders('Inbox')/messages/delta")
    assert response.status_code == 200 and response.json()["value"][0]["subject"] == "perm"
    assert "/users/" in response.json()["@odata.deltaLink"]
    # Another person's mailbox without Full Access: refused.
    assert graph_api.get(f"/users/{ALEX}/mailFolders/inbox/messages/delta").status_code == 403


def test_the_sdk_function_form(graph_api, alex):
    send(graph_api, "sdk")
    response = alex.get("/me/mailFolders/inbox/messages/microsoft.graph.delta()")
    assert response.status_code == 200 and response.json()["value"][0]["subject"] == "sdk"
