"""Move and copy a message between folders; PATCH isRead and what a sent message may change."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from msgraph.generated.models.message import Message as SdkMessage
from helpers.sdk_models import leftovers, parse

ADELE, ALEX = "adele@contoso.example", "alex@contoso.example"


@pytest.fixture
def received(graph_api, graph_token):
    alex = graph_api.as_(graph_token(ALEX))
    assert alex.post("/me/sendMail", json={"message": {
        "subject": "Lunch?", "body": {"contentType": "text", "content": "At noon"},
        "toRecipients": [{"emailAddress": {"address": ADELE}}]}}).status_code == 202
    return graph_api.get("/me/mailFolders/inbox/messages").json()["value"][0]


def path(message_id, action=""):
    return f"/me/messages/{quote(message_id, safe='')}" + (f"/{action}" if action else "")


@pytest.mark.parametrize("destination", ["deleteditems", "DeletedItems", "archive"])
def test_move_by_well_known_name_gives_a_new_id(graph_api, received, mailbox, destination):
    response = graph_api.post(path(received["id"], "move"), json={"destinationId": destination})
    assert response.status_code == 201, response.text
    moved = response.json()
    box = mailbox()
    folder = box.folder(destination)
    assert moved["parentFolderId"] == folder.id and moved["id"] != received["id"]
    assert moved["subject"] == "Lunch?" and moved["isRead"] is False
    assert graph_api.get(path(received["id"])).status_code == 404
    assert graph_api.get(path(moved["id"])).json()["subject"] == "Lunch?"
    assert [m.id for m in box.in_folder(folder.name)] == [moved["id"]]
    assert leftovers(parse(response.content, SdkMessage)) == []


def test_move_by_folder_id(graph_api, received, mailbox):
    archive = mailbox().folders["archive"].id
    moved = graph_api.post(path(received["id"], "move"), json={"DestinationId": archive}).json()
    assert moved["parentFolderId"] == archive


@pytest.mark.parametrize("body, status", [
    ({}, 400), ({"destinationId": ""}, 400), ({"destinationId": "nowhere"}, 400),
    ({"destinationId": "AQMkAD" + "x" * 30}, 404), ({"folder": "inbox"}, 400)])
def test_bad_destinations(graph_api, received, body, status):
    response = graph_api.post(path(received["id"], "move"), json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"]


def test_copy_keeps_the_original(graph_api, received, mailbox):
    response = graph_api.post(path(received["id"], "copy"), json={"destinationId": "archive"})
    assert response.status_code == 201
    copied = response.json()
    assert copied["id"] != received["id"] and copied["parentFolderId"] == mailbox().folders["archive"].id
    assert graph_api.get(path(received["id"])).status_code == 200


def test_move_needs_mail_readwrite(graph_api, graph_token, received):
    reader = graph_api.as_(graph_token(ADELE, ["Mail.Read"]))
    response = reader.post(path(received["id"], "move"), json={"destinationId": "archive"})
    assert response.status_code == 403


def test_patch_is_read_on_a_received_message(graph_api, received):
    assert received["isRead"] is False
    response = graph_api.patch(path(received["id"]), json={"isRead": True})
    assert response.status_code == 200 and response.json()["isRead"] is True
    unread = graph_api.patch(path(received["id"]), json={"isRead": False, "categories": ["Red"],
                                                          "flag": {"flagStatus": "flagged"}})
    assert unread.json()["isRead"] is False and unread.json()["categories"] == ["Red"]


@pytest.mark.parametrize("change", [
    {"body": {"contentType": "text", "content": "changed"}}, {"subject": "changed"},
    {"toRecipients": [{"emailAddress": {"address": ALEX}}]}, {"importance": "high"}])
def test_a_received_message_keeps_its_content(graph_api, received, change):
    response = graph_api.patch(path(received["id"]), json=change)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorInvalidPropertyUpdateSentMessage"
    assert graph_api.get(path(received["id"])).json()["subject"] == "Lunch?"
