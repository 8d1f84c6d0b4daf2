"""GET messages/{id}/$value: the message as RFC 5322 MIME, parsed back by Python's email."""
from __future__ import annotations

import base64
from email import policy
from email.parser import BytesParser
from urllib.parse import quote

import pytest

ADELE, ALEX, MEGAN = "adele@contoso.example", "alex@contoso.example", "megan@contoso.example"
PIXEL = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
DATA = bytes(range(256)) * 8


@pytest.fixture
def received(graph_api, graph_token):
    alex = graph_api.as_(graph_token(ALEX))
    response = alex.post("/me/sendMail", json={"message": {
        "subject": "Plans – ünïcode", "importance": "high",
        "body": {"contentType": "html", "content": '<p>Hello</p><img src="cid:pic1">'},
        "toRecipients": [{"emailAddress": {"address": ADELE}}],
        "ccRecipients": [{"emailAddress": {"address": MEGAN, "name": "Megan B"}}],
        "internetMessageHeaders": [{"name": "x-ticket", "value": "42"}],
        "attachments": [
            {"@odata.type": "#microsoft.graph.fileAttachment", "name": "data.bin",
             "contentType": "application/octet-stream",
             "contentBytes": base64.b64encode(DATA).decode()},
            {"@odata.type": "#microsoft.graph.fileAttachment", "name": "pic.png",
             "contentType": "image/png", "isInline": True, "contentId": "pic1",
             "contentBytes": base64.b64encode(PIXEL).decode()}]}})
    assert response.status_code == 202, response.text
    return graph_api.get("/me/mailFolders/inbox/messages").json()["value"][0]


def mime_of(api, message_id, prefix="/me"):
    response = api.get(f"{prefix}/messages/{quote(message_id, safe='')}/$value")
    assert response.status_code == 200, response.text
    return response, BytesParser(policy=policy.default).parsebytes(response.content)


def test_value_is_the_mime_of_the_message(graph_api, received):
    response, mail = mime_of(graph_api, received["id"])
    assert response.headers["Content-Type"].startswith("text/plain")
    assert b"\r\n" in response.content and b"\n\n" not in response.content.replace(b"\r\n", b"")
    assert mail["Subject"] == "Plans – ünïcode"
    assert mail["From"].addresses[0].addr_spec == ALEX
    assert [a.addr_spec for a in mail["To"].addresses] == [ADELE]
    assert mail["Cc"].addresses[0].display_name == "Megan B"
    assert mail["Message-ID"] == received["internetMessageId"]
    assert mail["Importance"] == "high" and mail["x-ticket"] == "42"
    assert mail["MIME-Version"] == "1.0" and mail["Date"]
    assert mail.get_content_type() == "multipart/mixed"


def test_inline_picture_is_related_to_the_html_and_files_are_attached(graph_api, received):
    _, mail = mime_of(graph_api, received["id"])
    html = mail.get_body(preferencelist=("html",))
    assert 'src="cid:pic1"' in html.get_content()
    assert mail.get_body(preferencelist=("plain",)).get_content().strip() == "Hello"
    related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
    picture = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    assert picture["Content-ID"] == "<pic1>" and picture.get_content_disposition() == "inline"
    assert picture.get_content() == PIXEL
    files = list(mail.iter_attachments())
    assert [(f.get_filename(), f.get_content()) for f in files] == [("data.bin", DATA)]


def test_round_trip_through_mime_sendmail(graph_api, received, mailbox):
    """The MIME we give back is MIME Graph's sendMail accepts: the same bytes arrive."""
    response, _ = mime_of(graph_api, received["id"])
    sent = graph_api.post("/me/sendMail", data=base64.b64encode(response.content),
                          headers={"Content-Type": "text/plain"})
    assert sent.status_code == 202, sent.text
    again = mailbox(MEGAN).in_folder("inbox")[0]
    assert {a.name: a.blob.read() for a in again.attachments} == {"data.bin": DATA,
                                                                   "pic.png": PIXEL}


def test_reply_carries_in_reply_to_and_references(graph_api, received):
    draft = graph_api.post(f"/me/messages/{quote(received['id'], safe='')}/createReply").json()
    _, mail = mime_of(graph_api, draft["id"])
    assert mail["In-Reply-To"] == received["internetMessageId"]
    assert received["internetMessageId"] in mail["References"]


def test_value_needs_mail_read(graph_api, graph_token, received):
    sender_only = graph_api.as_(graph_token(ADELE, ["Mail.Send"]))
    response = sender_only.get(f"/me/messages/{quote(received['id'], safe='')}/$value")
    assert response.status_code == 403


def test_value_of_a_shared_mailbox_needs_full_access(graph_api, graph_token):
    alex = graph_api.as_(graph_token(ALEX))
    alex.post("/me/sendMail", json={"message": {
        "subject": "To sales", "body": {"contentType": "text", "content": "x"},
        "toRecipients": [{"emailAddress": {"address": "sales@contoso.example"}}]}})
    inbox = graph_api.get("/users/sales@contoso.example/mailFolders/inbox/messages").json()
    _, mail = mime_of(graph_api, inbox["value"][0]["id"], "/users/sales@contoso.example")
    assert mail["Subject"] == "To sales" and mail.get_content_type() == "text/plain"
    megan = graph_api.as_(graph_token(MEGAN))
    denied = megan.get(f"/users/sales@contoso.example/messages/"
                       f"{quote(inbox['value'][0]['id'], safe='')}/$value")
    assert denied.status_code == 403
