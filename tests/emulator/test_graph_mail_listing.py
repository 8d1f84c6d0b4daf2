"""Reading mail: folders, paging with $top/$skip and nextLink, $select, Prefer, received items."""
from __future__ import annotations

from urllib.parse import quote

import pytest

ALEX = "alex@contoso.example"


@pytest.fixture
def alex_api(graph_api, graph_token):
    return graph_api.as_(graph_token(ALEX))


def send(graph_api, count: int) -> None:
    for number in range(count):
        body = {"message": {"subject": f"Note {number}",
                            "body": {"contentType": "html", "content": f"<p>Number {number}</p>"},
                            "toRecipients": [{"emailAddress": {"address": ALEX}}]}}
        assert graph_api.post("/me/sendMail", json=body).status_code == 202


def test_mail_folders_list_the_well_known_folders(graph_api, emu):
    body = graph_api.get("/me/mailFolders").json()
    names = [f["displayName"] for f in body["value"]]
    assert {"Inbox", "Drafts", "Sent Items", "Deleted Items"} <= set(names)
    inbox = next(f for f in body["value"] if f["displayName"] == "Inbox")
    assert set(inbox) == {"id", "displayName", "parentFolderId", "childFolderCount",
                          "unreadItemCount", "totalItemCount", "isHidden"}
    assert graph_api.get(f"/me/mailFolders/{quote(inbox['id'])}").json()["id"] == inbox["id"]


@pytest.mark.parametrize("name", ["inbox", "Inbox", "INBOX", "('inbox')"])
def test_well_known_names_are_case_insensitive(alex_api, graph_api, name):
    send(graph_api, 1)
    url = f"/me/mailFolders{name}/messages" if name.startswith("(") else f"/me/mailFolders/{name}/messages"
    assert len(alex_api.get(url).json()["value"]) == 1


def test_folder_counts(graph_api, alex_api):
    send(graph_api, 2)
    inbox = alex_api.get("/me/mailFolders/inbox").json()
    assert (inbox["totalItemCount"], inbox["unreadItemCount"]) == (2, 2)


def test_pages_of_ten_by_default_with_an_opaque_next_link(graph_api, alex_api):
    send(graph_api, 12)
    first = alex_api.get("/me/messages").json()
    assert len(first["value"]) == 10
    assert first["value"][0]["subject"] == "Note 11"  # newest first
    second = alex_api.get(first["@odata.nextLink"]).json()
    assert len(second["value"]) == 2 and "@odata.nextLink" not in second
    seen = {m["id"] for m in first["value"]} | {m["id"] for m in second["value"]}
    assert len(seen) == 12


def test_top_select_and_next_link_keep_the_query(graph_api, alex_api):
    send(graph_api, 3)
    page = alex_api.get("/me/mailFolders/inbox/messages?$top=2&$select=subject").json()
    assert [set(m) for m in page["value"]] == [{"@odata.etag", "id", "subject"}] * 2
    rest = alex_api.get(page["@odata.nextLink"]).json()
    assert [set(m) for m in rest["value"]] == [{"@odata.etag", "id", "subject"}]


@pytest.mark.parametrize("top", ["0", "1001", "ten"])
def test_top_out_of_range_is_refused(alex_api, top):
    assert alex_api.get(f"/me/messages?$top={top}").status_code == 400


def test_unsupported_query_options_say_so(alex_api):
    response = alex_api.get("/me/messages?$expand=attachments")
    assert response.status_code == 501
    assert "$expand" in response.json()["error"]["message"]


def test_orderby_ascending(graph_api, alex_api, mailbox):
    send(graph_api, 2)
    items = mailbox(ALEX).in_folder("inbox")
    items[0].received = items[1].received.replace(year=2000)  # make the order unambiguous
    body = alex_api.get("/me/messages?$orderby=receivedDateTime asc").json()
    assert body["value"][0]["id"] == items[0].id


def test_prefer_text_applies_to_lists(graph_api, alex_api):
    send(graph_api, 1)
    response = alex_api.get("/me/messages", headers={"Prefer": 'outlook.body-content-type="text"'})
    assert response.json()["value"][0]["body"] == {"contentType": "text", "content": "Number 0"}


def test_received_messages_take_flags_not_content(graph_api, alex_api):
    send(graph_api, 1)
    item = alex_api.get("/me/messages").json()["value"][0]
    url = f"/me/messages/{quote(item['id'], safe='')}"
    marked = alex_api.patch(url, json={"isRead": True, "categories": ["Blue"]})
    assert marked.status_code == 200
    assert marked.json()["isRead"] is True and marked.json()["categories"] == ["Blue"]
    refused = alex_api.patch(url, json={"subject": "Rewritten"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ErrorInvalidPropertyUpdateSentMessage"


def test_reading_needs_mail_read(graph_api, graph_token):
    api = graph_api.as_(graph_token(scopes=["Mail.Send"]))
    response = api.get("/me/messages")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "ErrorAccessDenied")
    assert graph_api.as_(graph_token(scopes=["Mail.Read"])).get("/me/messages").status_code == 200


def test_unknown_folder(graph_api):
    assert graph_api.get("/me/mailFolders/nosuchfolder/messages").status_code == 400
    assert graph_api.get("/me/mailFolders/AQMkADAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=/messages").status_code == 404
