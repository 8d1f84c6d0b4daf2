"""Attachments of a message: add (under 3 MB), list, get, raw $value, delete, size errors."""
from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

PAYLOAD = bytes((i * 7) % 256 for i in range(50_000))


@pytest.fixture
def draft_id(graph_api):
    created = graph_api.post("/me/messages", json={
        "subject": "With files", "toRecipients": [{"emailAddress": {"address": "alex@contoso.example"}}]})
    return created.json()["id"]


def attachments_url(message_id: str, suffix: str = "") -> str:
    return f"/me/messages/{quote(message_id, safe='')}/attachments{suffix}"


def file_attachment(data: bytes = PAYLOAD, **extra) -> dict:
    body = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "numbers.bin",
            "contentType": "application/octet-stream", "contentBytes": base64.b64encode(data).decode()}
    body.update(extra)
    return body


def test_add_attachment_returns_201_with_the_attachment(graph_api, draft_id, emu):
    response = graph_api.post(attachments_url(draft_id), json=file_attachment())
    assert response.status_code == 201
    body = response.json()
    assert body["@odata.type"] == "#microsoft.graph.fileAttachment"
    assert body["@odata.context"].endswith(f"/messages('{draft_id}')/attachments/$entity")
    assert body["size"] == len(PAYLOAD) and body["isInline"] is False
    assert base64.b64decode(body["contentBytes"]) == PAYLOAD
    message = graph_api.get(f"/me/messages/{quote(draft_id, safe='')}").json()
    assert message["hasAttachments"] is True


def test_list_get_value_and_delete(graph_api, draft_id):
    added = graph_api.post(attachments_url(draft_id), json=file_attachment()).json()
    listed = graph_api.get(attachments_url(draft_id)).json()["value"]
    assert [a["id"] for a in listed] == [added["id"]]
    one = graph_api.get(attachments_url(draft_id, f"/{quote(added['id'], safe='')}")).json()
    assert base64.b64decode(one["contentBytes"]) == PAYLOAD
    raw = graph_api.get(attachments_url(draft_id, f"/{quote(added['id'], safe='')}/$value"))
    assert raw.content == PAYLOAD
    assert raw.headers["Content-Type"] == "application/octet-stream"
    selected = graph_api.get(attachments_url(draft_id, "?$select=name,size")).json()["value"][0]
    assert "contentBytes" not in selected and selected["size"] == len(PAYLOAD)
    assert graph_api.delete(attachments_url(draft_id, f"/{quote(added['id'], safe='')}")).status_code == 204
    assert graph_api.get(attachments_url(draft_id)).json()["value"] == []


def test_inline_attachment_keeps_its_content_id(graph_api, draft_id):
    body = graph_api.post(attachments_url(draft_id), json=file_attachment(
        name="logo.png", contentType="image/png", isInline=True, contentId="logo")).json()
    assert (body["isInline"], body["contentId"]) == (True, "logo")


def test_three_megabytes_or_more_must_use_an_upload_session(graph_api, draft_id):
    response = graph_api.post(attachments_url(draft_id),
                              json=file_attachment(b"z" * (3 * 1024 * 1024)))
    assert response.status_code == 413
    assert graph_api.get(attachments_url(draft_id)).json()["value"] == []


def test_creating_a_draft_with_big_inline_attachments_is_refused(graph_api):
    """What python-o365 does with >3 MB files on a new draft: Graph refuses it."""
    response = graph_api.post("/me/messages", json={
        "subject": "Big", "attachments": [file_attachment(b"y" * (3 * 1024 * 1024 + 10))]})
    assert response.status_code == 413


def test_message_size_limit_applies_to_attachments(graph_api, draft_id, emu):
    emu.state.directory.user("adele@contoso.example").max_message_size = 60_000
    graph_api.post(attachments_url(draft_id), json=file_attachment())
    response = graph_api.post(attachments_url(draft_id), json=file_attachment())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorMessageSizeExceeded"


@pytest.mark.parametrize("change,code", [
    ({"@odata.type": None}, "RequestBodyRead"),
    ({"@odata.type": "#microsoft.graph.pictureAttachment"}, "RequestBodyRead"),
    ({"contentBytes": "***"}, "RequestBodyRead"),
    ({"size": "big"}, "RequestBodyRead"),
    ({"color": "red"}, "RequestBodyRead"),
    ({"contentBytes": None}, "ErrorRequiredPropertyMissing"),
])
def test_bad_attachments_are_refused(graph_api, draft_id, change, code):
    body = {k: v for k, v in {**file_attachment(), **change}.items() if v is not None}
    response = graph_api.post(attachments_url(draft_id), json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_item_attachments_are_not_emulated(graph_api, draft_id):
    response = graph_api.post(attachments_url(draft_id), json={
        "@odata.type": "#microsoft.graph.itemAttachment", "name": "x"})
    assert response.status_code == 501


def test_attachments_need_mail_readwrite(graph_api, graph_token, draft_id):
    api = graph_api.as_(graph_token(scopes=["Mail.Read"]))
    assert api.post(attachments_url(draft_id), json=file_attachment()).status_code == 403
    assert api.get(attachments_url(draft_id)).status_code == 200


def test_sent_attachments_reach_the_recipient_byte_for_byte(graph_api, graph_token, draft_id):
    graph_api.post(attachments_url(draft_id), json=file_attachment())
    assert graph_api.post(f"/me/messages/{quote(draft_id, safe='')}/send").status_code == 202
    alex = graph_api.as_(graph_token("alex@contoso.example"))
    (item,) = alex.get("/me/messages").json()["value"]
    assert item["hasAttachments"] is True
    listed = alex.get(attachments_url(item["id"])).json()["value"]
    assert base64.b64decode(listed[0]["contentBytes"]) == PAYLOAD
    expanded = alex.get(f"/me/messages/{quote(item['id'], safe='')}?$expand=attachments").json()
    assert [a["name"] for a in expanded["attachments"]] == ["numbers.bin"]
