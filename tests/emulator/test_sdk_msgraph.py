"""Fidelity against an independent client: Microsoft's own msgraph-sdk (kiota) and azure-identity.

1. The SDK, authenticated by azure-identity's ClientSecretCredential against the emulator's token
   endpoint (client credentials, app role Mail.Send), sends a mail through /users/{id}/sendMail,
   with the PascalCase parameters it always sends; an ErrorSendAsDenied comes back as the SDK's
   ODataError with Graph's code.
2. Every JSON shape the emulator returns parses into the SDK's models with nothing left over in
   ``additional_data`` (only OData annotations, which real Graph sends too).

TLS: azure-identity (requests) and the SDK (httpx) read REQUESTS_CA_BUNDLE / SSL_CERT_FILE
(facts §10), so the test points them at the system roots plus the emulator's CA.
"""
from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from helpers.kiota import run_async, sdk_client, trust
from helpers.sdk_models import leftovers, parse, parse_list
from msgraph.generated.models.attachment import Attachment
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.mail_folder import MailFolder
from msgraph.generated.models.message import Message
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.models.upload_session import UploadSession
from msgraph.generated.models.user import User
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody

from emulator.directory import WORK_TENANT_ID

ALEX = "alex@contoso.example"


@pytest.fixture
def trust_emulator(emu, tmp_path, monkeypatch):
    """A CA bundle of the system roots plus the emulator's CA, in the variables clients read."""
    return trust(emu, tmp_path, monkeypatch)


def test_msgraph_sdk_sends_mail_with_client_credentials(emu, demo_client, trust_emulator, mailbox):
    adele = emu.state.directory.user("adele@contoso.example")

    async def run():
        client, credential = sdk_client(emu, demo_client["client_id"],
                                        demo_client["client_secret"], WORK_TENANT_ID)
        try:
            body = SendMailPostRequestBody(message=Message(
                subject="Sent by msgraph-sdk",
                body=ItemBody(content_type=BodyType.Html, content="<p>Hello from <b>kiota</b></p>"),
                to_recipients=[Recipient(email_address=EmailAddress(address=ALEX))]),
                save_to_sent_items=True)
            await client.users.by_user_id(adele.id).send_mail.post(body)
            denied = SendMailPostRequestBody(message=Message(
                subject="Not allowed", to_recipients=[Recipient(email_address=EmailAddress(address=ALEX))],
                from_=Recipient(email_address=EmailAddress(address="megan@contoso.example"))))
            with pytest.raises(ODataError) as failure:
                await client.users.by_user_id(adele.id).send_mail.post(denied)
            me = await client.users.by_user_id(ALEX).get()
            return failure.value, me
        finally:
            await credential.close()

    failure, alex = run_async(run())
    (received,) = mailbox(ALEX).in_folder("inbox")
    assert received.props["subject"] == "Sent by msgraph-sdk"
    assert received.props["from"]["emailAddress"]["address"] == "adele@contoso.example"
    assert len(mailbox().in_folder("sentitems")) == 1
    assert failure.response_status_code == 403
    assert failure.error.code == "ErrorSendAsDenied"
    assert alex.display_name == "Alex Wilber" and leftovers(alex) == []


# --- Parsing every shape into the SDK's models ------------------------------------------------

@pytest.fixture
def sent_draft(graph_api):
    """A draft from Alex (on behalf), with an inline attachment and an uploaded one, sent."""
    draft = graph_api.post("/me/messages", json={
        "subject": "Everything", "importance": "high",
        "body": {"contentType": "html", "content": "<p>Hi</p>"},
        "from": {"emailAddress": {"address": ALEX}},
        "toRecipients": [{"emailAddress": {"address": ALEX, "name": "Alex"}}],
        "ccRecipients": [{"emailAddress": {"address": "megan@contoso.example"}}],
        "bccRecipients": [{"emailAddress": {"address": "patti@contoso.example"}}],
        "replyTo": [{"emailAddress": {"address": "sales@contoso.example"}}],
        "flag": {"flagStatus": "flagged"}, "categories": ["Blue"],
        "internetMessageHeaders": [{"name": "x-trace", "value": "1"}],
        "attachments": [{"@odata.type": "#microsoft.graph.fileAttachment", "name": "a.txt",
                         "contentType": "text/plain", "isInline": False,
                         "contentBytes": base64.b64encode(b"hello").decode()}]}).json()
    return draft


def test_message_json_parses_without_leftovers(graph_api, sent_draft):
    message_id = quote(sent_draft["id"], safe="")
    every = graph_api.get(f"/me/messages/{message_id}?$select=" + ",".join([
        "subject", "body", "uniqueBody", "from", "sender", "toRecipients", "ccRecipients",
        "bccRecipients", "replyTo", "flag", "internetMessageHeaders", "conversationIndex",
        "importance", "inferenceClassification", "categories", "webLink", "isDraft"]))
    for response in (every, graph_api.get(f"/me/messages/{message_id}?$expand=attachments")):
        message = parse(response.content, Message)
        assert leftovers(message) == []
        assert message.subject == "Everything"
    parsed = parse(every.content, Message)
    assert parsed.importance.value == "high" and parsed.flag.flag_status.value == "flagged"
    assert parsed.internet_message_headers[0].name == "x-trace"
    assert isinstance(parsed.conversation_index, bytes)


def test_lists_attachments_folders_and_sessions_parse(graph_api, sent_draft):
    message_id = quote(sent_draft["id"], safe="")
    attachments = parse_list(graph_api.get(f"/me/messages/{message_id}/attachments").content,
                             Attachment)
    assert type(attachments[0]).__name__ == "FileAttachment"
    assert attachments[0].content_bytes == b"hello"
    assert [leftovers(a) for a in attachments] == [[]]
    folders = parse_list(graph_api.get("/me/mailFolders").content, MailFolder)
    assert folders and all(leftovers(f) == [] for f in folders)
    session = graph_api.post(f"/me/messages/{message_id}/attachments/createUploadSession",
                             json={"AttachmentItem": {"attachmentType": "file", "name": "big",
                                                      "size": 3 * 1024 * 1024}})
    upload = parse(session.content, UploadSession)
    assert leftovers(upload) == [] and upload.next_expected_ranges == ["0-"]
    assert graph_api.post(f"/me/messages/{message_id}/send").status_code == 202
    sent = parse_list(graph_api.get("/me/mailFolders/sentitems/messages").content, Message)
    assert sent[0].sender.email_address.address == "adele@contoso.example"
    assert all(leftovers(m) == [] for m in sent)


def test_user_json_parses_without_leftovers(graph_api):
    user = parse(graph_api.get("/me").content, User)
    assert leftovers(user) == [] and user.user_principal_name == "adele@contoso.example"


def test_the_oracle_sees_unknown_keys():
    """leftovers() must be able to fail: unknown keys at any depth are reported."""
    payload = (b'{"subject": "x", "bogus": 1, "toRecipients": '
               b'[{"emailAddress": {"address": "a@b.example", "zzz": 2}}]}')
    assert sorted(leftovers(parse(payload, Message))) == [".bogus", ".to_recipients.email_address.zzz"]
