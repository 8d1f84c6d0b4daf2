"""Reply, reply all and forward: the create* drafts (201) and the direct actions (202)."""
from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from msgraph.generated.models.message import Message as SdkMessage
from helpers.sdk_models import leftovers, parse

ADELE, ALEX = "adele@contoso.example", "alex@contoso.example"
MEGAN, PATTI = "megan@contoso.example", "patti@contoso.example"
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
REPORT = bytes(range(256)) * 40


def to(*addresses):
    return [{"emailAddress": {"address": a}} for a in addresses]


def file(name, data, inline=False, content_id=None, kind="application/octet-stream"):
    item = {"@odata.type": "#microsoft.graph.fileAttachment", "name": name, "contentType": kind,
            "contentBytes": base64.b64encode(data).decode(), "isInline": inline}
    if content_id:
        item["contentId"] = content_id
    return item


@pytest.fixture
def as_user(graph_api, graph_token):
    return lambda upn, scopes=None: graph_api.as_(graph_token(upn, scopes))


@pytest.fixture
def received(as_user):
    """Alex writes to Adele and Megan, Cc Patti, with a report and an inline picture;
    returns Adele's Inbox copy."""
    alex = as_user(ALEX)
    response = alex.post("/me/sendMail", json={"message": {
        "subject": "Quarterly numbers",
        "body": {"contentType": "html", "content": '<p>See <b>attached</b></p><img src="cid:logo">'},
        "toRecipients": to(ADELE, MEGAN), "ccRecipients": to(PATTI),
        "attachments": [file("report.bin", REPORT), file("logo.png", PIXEL, True, "logo",
                                                         "image/png")]}})
    assert response.status_code == 202, response.text
    inbox = as_user(ADELE).get("/me/mailFolders/inbox/messages").json()["value"]
    return inbox[0]


def path(message_id, action=""):
    return f"/me/messages/{quote(message_id, safe='')}" + (f"/{action}" if action else "")


def addresses(items):
    return [r["emailAddress"]["address"] for r in items]


def test_create_reply_is_a_draft_to_the_author_with_the_quote(graph_api, received, mailbox):
    response = graph_api.post(path(received["id"], "createReply"))
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["@odata.context"].endswith("/messages/$entity")
    assert draft["isDraft"] is True and draft["subject"] == "RE: Quarterly numbers"
    assert addresses(draft["toRecipients"]) == [ALEX] and draft["ccRecipients"] == []
    assert draft["parentFolderId"] == mailbox().folders["drafts"].id
    assert draft["conversationId"] == received["conversationId"]
    body = draft["body"]["content"]
    assert "<b>From:</b> Alex Wilber &lt;alex@contoso.example&gt;" in body
    assert "<b>Subject:</b> Quarterly numbers" in body and "See <b>attached</b>" in body
    attachments = graph_api.get(path(draft["id"], "attachments")).json()["value"]
    assert [(a["name"], a["isInline"], a["contentId"]) for a in attachments] == \
        [("logo.png", True, "logo")]  # the quoted picture stays, the report does not
    assert leftovers(parse(response.content, SdkMessage)) == []


def test_create_reply_all_adds_to_and_cc_without_oneself(graph_api, received):
    draft = graph_api.post(path(received["id"], "createReplyAll")).json()
    assert addresses(draft["toRecipients"]) == [ALEX, MEGAN]
    assert addresses(draft["ccRecipients"]) == [PATTI]


def test_reply_goes_to_reply_to_when_set(as_user):
    as_user(ALEX).post("/me/sendMail", json={"message": {
        "subject": "Orders", "body": {"contentType": "text", "content": "hi"},
        "toRecipients": to(ADELE), "replyTo": to("sales@contoso.example")}})
    adele = as_user(ADELE)
    original = adele.get("/me/mailFolders/inbox/messages").json()["value"][0]
    draft = adele.post(path(original["id"], "createReply")).json()
    assert addresses(draft["toRecipients"]) == ["sales@contoso.example"]
    draft_all = adele.post(path(original["id"], "createReplyAll")).json()
    assert addresses(draft_all["toRecipients"]) == ["sales@contoso.example"]


def test_create_forward_keeps_every_attachment_byte_for_byte(graph_api, received):
    response = graph_api.post(path(received["id"], "createForward"),
                              json={"toRecipients": to(PATTI), "comment": "FYI"})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["subject"] == "FW: Quarterly numbers" and addresses(draft["toRecipients"]) == [PATTI]
    assert draft["body"]["content"].index("FYI") < draft["body"]["content"].index("<b>From:</b>")
    assert draft["hasAttachments"] is True
    items = graph_api.get(path(draft["id"], "attachments")).json()["value"]
    assert {a["name"]: base64.b64decode(a["contentBytes"]) for a in items} == \
        {"report.bin": REPORT, "logo.png": PIXEL}
    sent = graph_api.post(path(draft["id"], "send"))
    assert sent.status_code == 202


def test_comment_and_message_body_together_are_refused(graph_api, received):
    response = graph_api.post(path(received["id"], "createReply"), json={
        "comment": "x", "message": {"body": {"contentType": "text", "content": "y"}}})
    assert response.status_code == 400
    assert "comment" in response.json()["error"]["message"]


def test_message_parameter_properties_apply_to_the_draft(graph_api, received):
    draft = graph_api.post(path(received["id"], "createReply"), json={"message": {
        "ccRecipients": to(MEGAN), "importance": "high",
        "body": {"contentType": "text", "content": "Thanks!"}}}).json()
    assert addresses(draft["ccRecipients"]) == [MEGAN] and draft["importance"] == "high"
    assert draft["body"]["content"].index("Thanks!") < draft["body"]["content"].index("<hr")


def test_reply_all_sends_at_once_to_everyone(graph_api, received, mailbox):
    response = graph_api.post(path(received["id"], "replyAll"), json={"comment": "Looks good"})
    assert response.status_code == 202 and response.content == b""
    for upn in (ALEX, MEGAN, PATTI):
        got = mailbox(upn).in_folder("inbox")[0]
        assert got.props["subject"] == "RE: Quarterly numbers"
        assert "Looks good" in got.props["body"]["content"]
        assert got.conversation_id == mailbox(ALEX).in_folder("sentitems")[0].conversation_id
    assert mailbox().in_folder("sentitems")[0].props["subject"] == "RE: Quarterly numbers"
    assert mailbox().in_folder("drafts") == []


def test_forward_sends_attachments_to_a_third_person(graph_api, received, mailbox):
    response = graph_api.post(path(received["id"], "forward"),
                              json={"comment": "For you", "toRecipients": to(PATTI)})
    assert response.status_code == 202, response.text
    got = mailbox(PATTI).in_folder("inbox")[0]
    assert got.props["subject"] == "FW: Quarterly numbers"
    assert {a.name: a.blob.read() for a in got.attachments} == \
        {"report.bin": REPORT, "logo.png": PIXEL}


def test_forward_needs_recipients(graph_api, received):
    response = graph_api.post(path(received["id"], "forward"), json={"comment": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorInvalidRecipients"
    both = graph_api.post(path(received["id"], "forward"), json={
        "toRecipients": to(PATTI), "message": {"toRecipients": to(MEGAN)}})
    assert both.status_code == 400


def test_unknown_parameter_is_named(graph_api, received):
    response = graph_api.post(path(received["id"], "createReply"), json={"toRecipients": []})
    assert response.status_code == 400
    assert "toRecipients" in response.json()["error"]["message"]


@pytest.mark.parametrize("action, scopes", [
    ("createReply", ["Mail.Send"]), ("createForward", ["Mail.Read", "Mail.Send"]),
    ("reply", ["Mail.ReadWrite"]), ("forward", ["Mail.ReadWrite"])])
def test_permissions_as_documented(as_user, received, action, scopes):
    response = as_user(ADELE, scopes).post(path(received["id"], action),
                                           json={"toRecipients": to(PATTI)}
                                           if action == "forward" else None)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ErrorAccessDenied"


def test_reply_in_a_shared_mailbox_with_full_access(as_user, mailbox):
    as_user(ALEX).post("/me/sendMail", json={"message": {
        "subject": "Quote please", "body": {"contentType": "text", "content": "hi"},
        "toRecipients": to("sales@contoso.example")}})
    adele = as_user(ADELE)
    inbox = adele.get("/users/sales@contoso.example/mailFolders/inbox/messages").json()["value"]
    response = adele.post(f"/users/sales@contoso.example/messages/"
                          f"{quote(inbox[0]['id'], safe='')}/createReply")
    assert response.status_code == 201, response.text
    assert mailbox("sales@contoso.example").in_folder("drafts")[0].props["subject"] == \
        "RE: Quote please"
    megan = as_user(MEGAN)  # no Full Access on Sales
    denied = megan.post(f"/users/sales@contoso.example/messages/"
                        f"{quote(inbox[0]['id'], safe='')}/createReply")
    assert denied.status_code == 403


def test_missing_message_is_graphs_404(graph_api):
    response = graph_api.post(path("AAMkAD" + "A" * 40 + "=", "createReply"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ErrorItemNotFound"
