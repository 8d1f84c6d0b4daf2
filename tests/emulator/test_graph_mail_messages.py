"""Drafts: create, get, update, delete, send; custom headers; ids; permissions."""
from __future__ import annotations

from urllib.parse import quote

import pytest

ALEX = "alex@contoso.example"


def draft_body(**extra):
    body = {"subject": "Did you see last night's game?", "importance": "Low",
            "body": {"contentType": "HTML", "content": "They were <b>awesome</b>!"},
            "toRecipients": [{"emailAddress": {"address": ALEX}}]}
    body.update(extra)
    return body


@pytest.fixture
def draft(graph_api):
    response = graph_api.post("/me/messages", json=draft_body())
    assert response.status_code == 201, response.text
    return response.json()


def path(message_id: str, suffix: str = "") -> str:
    return f"/me/messages/{quote(message_id, safe='')}{suffix}"


def test_create_draft_returns_the_full_message(draft, emu, mailbox):
    adele = emu.state.directory.user("adele@contoso.example")
    assert draft["@odata.context"] == (f"{emu.api_url}/v1.0/$metadata#users('{adele.id}')"
                                       "/messages/$entity")
    assert draft["@odata.etag"] == f'W/"{draft["changeKey"]}"'
    assert draft["isDraft"] is True and draft["isRead"] is True
    assert draft["hasAttachments"] is False
    assert draft["importance"] == "low"
    assert draft["parentFolderId"] == mailbox().folders["drafts"].id
    assert draft["body"]["contentType"] == "html"
    assert draft["body"]["content"].startswith("<html>\r\n<head>")
    assert "They were <b>awesome</b>!" in draft["body"]["content"]
    assert draft["bodyPreview"] == "They were awesome!"
    assert draft["toRecipients"] == [{"emailAddress": {"name": "Alex Wilber", "address": ALEX}}]
    assert draft["internetMessageId"].startswith("<") and draft["conversationId"]
    assert draft["webLink"].startswith(emu.pages_url)
    for name in ("createdDateTime", "lastModifiedDateTime", "receivedDateTime", "sentDateTime"):
        assert draft[name].endswith("Z")
    assert "sender" not in draft and "from" not in draft
    assert "internetMessageHeaders" not in draft and "uniqueBody" not in draft


def test_ids_need_quoting_as_graph_ids_do(draft):
    assert draft["id"].endswith("=")


def test_get_draft_and_select(graph_api, draft):
    assert graph_api.get(path(draft["id"])).json()["subject"] == draft["subject"]
    selected = graph_api.get(path(draft["id"], "?$select=subject,toRecipients")).json()
    assert set(selected) == {"@odata.context", "@odata.etag", "id", "subject", "toRecipients"}


def test_messages_in_odata_key_syntax(graph_api, draft):
    response = graph_api.get(f"/Me/Messages('{quote(draft['id'], safe='')}')")
    assert response.status_code == 200


def test_prefer_text_body(graph_api, draft):
    response = graph_api.get(path(draft["id"]),
                             headers={"Prefer": 'outlook.body-content-type="text"'})
    assert response.json()["body"] == {"contentType": "text", "content": "They were awesome!"}
    assert response.headers["Preference-Applied"] == 'outlook.body-content-type="text"'


def test_text_body_comes_back_as_html_by_default(graph_api):
    created = graph_api.post("/me/messages", json=draft_body(
        body={"contentType": "text", "content": "line 1\n<line 2>"})).json()
    assert created["body"]["contentType"] == "html"
    assert "line 1<br>" in created["body"]["content"] and "&lt;line 2&gt;" in created["body"]["content"]


def test_patch_updates_a_draft(graph_api, draft):
    response = graph_api.patch(path(draft["id"]), json={
        "Subject": "Changed", "ccRecipients": [{"emailAddress": {"address": "megan@contoso.example"}}]})
    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == "Changed"
    assert body["ccRecipients"][0]["emailAddress"]["name"] == "Megan Bowen"
    assert body["changeKey"] != draft["changeKey"]
    assert body["toRecipients"] == draft["toRecipients"]


def test_patch_refuses_unknown_properties(graph_api, draft):
    response = graph_api.patch(path(draft["id"]), json={"subjectLine": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "RequestBodyRead"


def test_custom_headers_only_at_creation_and_only_with_select(graph_api):
    created = graph_api.post("/me/messages", json=draft_body(
        internetMessageHeaders=[{"name": "x-custom-group", "value": "Washington"}])).json()
    assert "internetMessageHeaders" not in created
    selected = graph_api.get(path(created["id"], "?$select=internetMessageHeaders")).json()
    assert selected["internetMessageHeaders"] == [{"name": "x-custom-group", "value": "Washington"}]
    later = graph_api.patch(path(created["id"]), json={
        "internetMessageHeaders": [{"name": "x-later", "value": "1"}]})
    assert later.status_code == 400


def test_send_draft_is_202_and_moves_it_to_sent_items(graph_api, draft, mailbox):
    response = graph_api.post(path(draft["id"], "/send"), headers={"Content-Length": "0"})
    assert response.status_code == 202
    assert response.content == b"" and response.headers["Content-Length"] == "0"
    assert mailbox().in_folder("drafts") == []
    (sent,) = mailbox().in_folder("sentitems")
    assert sent.is_draft is False and sent.internet_message_id == draft["internetMessageId"]
    assert len(mailbox(ALEX).in_folder("inbox")) == 1
    again = graph_api.post(path(draft["id"], "/send"))
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "ErrorItemNotFound"


def test_send_draft_applies_the_recipient_rules(graph_api):
    created = graph_api.post("/me/messages", json=draft_body(toRecipients=[])).json()
    response = graph_api.post(path(created["id"], "/send"))
    assert response.json()["error"]["code"] == "ErrorInvalidRecipients"


def test_send_draft_from_another_mailbox_is_checked(graph_api, graph_token, mailbox):
    api = graph_api.as_(graph_token("patti@contoso.example"))
    created = api.post("/me/messages", json=draft_body(
        **{"from": {"emailAddress": {"address": ALEX}}})).json()
    response = api.post(path(created["id"], "/send"))
    assert response.json()["error"]["code"] == "ErrorSendAsDenied"
    assert len(mailbox("patti@contoso.example").in_folder("drafts")) == 1


def test_delete_moves_to_deleted_items_then_removes(graph_api, draft, mailbox):
    assert graph_api.delete(path(draft["id"])).status_code == 204
    (deleted,) = mailbox().in_folder("deleteditems")
    assert graph_api.get(path(draft["id"])).status_code == 404
    assert graph_api.delete(path(deleted.id)).status_code == 204
    assert mailbox().messages == {}


def test_malformed_and_unknown_ids(graph_api, draft):
    malformed = graph_api.get("/me/messages/12345")
    assert malformed.status_code == 400
    assert malformed.json()["error"] == {**malformed.json()["error"],
                                         "code": "ErrorInvalidIdMalformed", "message": "Id is malformed."}
    unknown = graph_api.get(path("AAMkAD" + "A" * 44 + "AAA="))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "The specified object was not found in the store."


def test_drafts_need_mail_readwrite(graph_api, graph_token):
    api = graph_api.as_(graph_token(scopes=["Mail.Send", "Mail.Read"]))
    assert api.post("/me/messages", json=draft_body()).status_code == 403


def test_another_users_mailbox_needs_full_access(graph_api, graph_token):
    assert graph_api.get("/users/alex@contoso.example/messages").status_code == 403
    assert graph_api.get("/users/sales@contoso.example/messages").status_code == 200
    api = graph_api.as_(graph_token(scopes=["Mail.ReadWrite"]))  # no .Shared scope
    assert api.get("/users/sales@contoso.example/messages").status_code == 403


def test_create_draft_in_a_named_folder(graph_api, mailbox):
    response = graph_api.post("/me/mailFolders('Inbox')/messages", json=draft_body())
    assert response.status_code == 201
    assert response.json()["parentFolderId"] == mailbox().folders["inbox"].id


def test_mime_draft_and_bad_mime(graph_api):
    import base64

    raw = b"To: alex@contoso.example\r\nSubject: From MIME\r\n\r\nBody\r\n"
    created = graph_api.post("/me/messages", data=base64.b64encode(raw),
                             headers={"Content-Type": "text/plain"})
    assert created.status_code == 201 and created.json()["subject"] == "From MIME"
    bad = graph_api.post("/me/messages", data=b"!!", headers={"Content-Type": "text/plain"})
    assert bad.json()["error"]["code"] == "ErrorMimeContentInvalidBase64String"
