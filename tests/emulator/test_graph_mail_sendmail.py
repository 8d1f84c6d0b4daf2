"""POST /me/sendMail: parameters, schema checks, recipients, delivery, Sent Items, MIME, size."""
from __future__ import annotations

import base64
import json

import pytest

ALEX, MEGAN, PATTI = "alex@contoso.example", "megan@contoso.example", "patti@contoso.example"


def to(*addresses):
    return [{"emailAddress": {"address": a}} for a in addresses]


def message(**extra):
    base = {"subject": "Quarterly numbers", "body": {"contentType": "Text", "content": "Hi"},
            "toRecipients": to(ALEX)}
    base.update(extra)
    return base


def error_of(response):
    return response.json()["error"]["code"], response.json()["error"]["message"]


def test_send_mail_is_202_with_an_empty_body(graph_api):
    response = graph_api.post("/me/sendMail", json={"message": message()})
    assert response.status_code == 202
    assert response.content == b""


def test_parameters_are_case_insensitive_as_msgraph_sdk_sends_them(graph_api, mailbox):
    response = graph_api.post("/me/sendMail", json={"Message": message(), "SaveToSentItems": False})
    assert response.status_code == 202
    assert mailbox().in_folder("sentitems") == []
    assert len(mailbox(ALEX).in_folder("inbox")) == 1


@pytest.mark.parametrize("value,saved", [(None, 1), (True, 1), ("true", 1), ("false", 0),
                                         (False, 0), ("False", 0)])
def test_save_to_sent_items_accepts_bools_and_strings(graph_api, mailbox, value, saved):
    body = {"message": message()}
    if value is not None:
        body["saveToSentItems"] = value
    assert graph_api.post("/me/sendMail", json=body).status_code == 202
    assert len(mailbox().in_folder("sentitems")) == saved


def test_save_to_sent_items_rejects_other_values(graph_api):
    response = graph_api.post("/me/sendMail", json={"message": message(), "saveToSentItems": "maybe"})
    assert response.status_code == 400
    assert error_of(response) == ("RequestBodyRead", "Cannot convert the literal 'maybe' to the "
                                  "expected type 'Edm.Boolean'.")


def test_unknown_parameter_is_refused(graph_api):
    response = graph_api.post("/me/sendMail", json={"message": message(), "urgent": True})
    assert response.status_code == 400
    assert error_of(response)[0] == "RequestBodyRead"
    assert "'urgent'" in error_of(response)[1]


def test_unknown_message_property_is_refused_with_outlooks_wording(graph_api, mailbox):
    response = graph_api.post("/me/sendMail", json={"message": message(toRecipient=to(ALEX))})
    assert response.status_code == 400
    assert error_of(response) == (
        "RequestBodyRead", "The property 'toRecipient' does not exist on type "
        "'Microsoft.OutlookServices.Message'. Make sure to only use property names that are "
        "defined by the type or mark the type as open type.")
    assert mailbox(ALEX).messages == {}


def test_unknown_nested_property_is_refused(graph_api):
    bad = message(toRecipients=[{"emailAddress": {"address": ALEX, "display": "Alex"}}])
    response = graph_api.post("/me/sendMail", json={"message": bad})
    assert error_of(response)[1].startswith(
        "The property 'display' does not exist on type 'Microsoft.OutlookServices.EmailAddress'")


@pytest.mark.parametrize("bad,fragment", [
    ({"subject": 42}, "Cannot convert the literal '42' to the expected type 'Edm.String'."),
    ({"toRecipients": {"emailAddress": {"address": ALEX}}}, "A 'StartArray' node was expected."),
    ({"body": "Hi"}, "A 'StartObject' node was expected."),
    ({"importance": "urgent"}, "Requested value 'urgent' was not found."),
    ({"body": {"contentType": "markdown", "content": "x"}}, "Requested value 'markdown'"),
    ({"isReadReceiptRequested": 1}, "to the expected type 'Edm.Boolean'."),
])
def test_wrong_types_are_400_request_body_read(graph_api, bad, fragment):
    response = graph_api.post("/me/sendMail", json={"message": message(**bad)})
    assert response.status_code == 400
    code, text = error_of(response)
    assert code == "RequestBodyRead"
    assert fragment in text


@pytest.mark.parametrize("kind,stored", [("HTML", "html"), ("Text", "text"), ("hTmL", "html")])
def test_body_content_type_and_importance_are_case_insensitive(graph_api, mailbox, kind, stored):
    body = {"message": message(body={"contentType": kind, "content": "<b>x</b>"}, importance="HIGH")}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202
    sent = mailbox().in_folder("sentitems")[0]
    assert sent.props["body"]["contentType"] == stored
    assert sent.props["importance"] == "high"


def test_empty_and_broken_payloads(graph_api):
    empty = graph_api.post("/me/sendMail", data=b"", headers={"Content-Type": "application/json"})
    assert error_of(empty) == ("BadRequest", "Empty Payload. JSON content expected.")
    broken = graph_api.post("/me/sendMail", data=b"{nope", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert error_of(broken)[1].startswith("Unable to read JSON request payload.")
    missing = graph_api.post("/me/sendMail", json={"saveToSentItems": True})
    assert error_of(missing) == ("ErrorInvalidParameter",
                                 "The value of the parameter 'Message' is empty.")


def test_a_body_without_content_type_is_refused(graph_api):
    response = graph_api.post("/me/sendMail", data=json.dumps({"message": message()}),
                              headers={"Content-Type": ""})
    assert error_of(response) == ("BadRequest", "Write requests (excluding DELETE) must contain "
                                  "the Content-Type header declaration.")


def test_mail_send_scope_is_required(graph_api, graph_token):
    response = graph_api.as_(graph_token(scopes=["User.Read", "Mail.ReadWrite"])).post(
        "/me/sendMail", json={"message": message()})
    assert response.status_code == 403
    assert error_of(response) == ("ErrorAccessDenied",
                                  "Access is denied. Check credentials and try again.")


@pytest.mark.parametrize("address", ["bad", "a@", "@contoso.example", "a b@contoso.example", ""])
def test_malformed_recipient_is_error_invalid_recipients(graph_api, mailbox, address):
    response = graph_api.post("/me/sendMail", json={"message": message(toRecipients=to(ALEX, address))})
    assert response.status_code == 400
    assert error_of(response) == (
        "ErrorInvalidRecipients", f"At least one recipient isn't valid., Recipient \"{address}\" "
        "isn't resolved. All recipients must be resolved before a message can be submitted.")
    assert mailbox(ALEX).messages == {}


def test_no_recipients_is_error_invalid_recipients(graph_api):
    response = graph_api.post("/me/sendMail", json={"message": message(toRecipients=[])})
    assert error_of(response) == (
        "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent "
        "because it contains no recipients.")


def test_more_than_500_recipients_is_refused(graph_api):
    many = to(*[f"person{i}@example.org" for i in range(501)])
    assert graph_api.post("/me/sendMail", json={"message": message(toRecipients=many)}).status_code == 400
    assert graph_api.post("/me/sendMail",
                          json={"message": message(toRecipients=many[:500])}).status_code == 202


def test_each_recipient_gets_an_inbox_copy_and_bcc_stays_with_the_sender(graph_api, mailbox):
    sent = message(toRecipients=to(ALEX), ccRecipients=to(MEGAN), bccRecipients=to(PATTI),
                   subject="Team lunch")
    assert graph_api.post("/me/sendMail", json={"message": sent}).status_code == 202
    own = mailbox().in_folder("sentitems")[0]
    assert [r["emailAddress"]["address"] for r in own.props["bccRecipients"]] == [PATTI]
    copies = [mailbox(user).in_folder("inbox") for user in (ALEX, MEGAN, PATTI)]
    assert [len(c) for c in copies] == [1, 1, 1]
    for (copy,) in copies:
        assert copy.props["bccRecipients"] == []
        assert copy.is_read is False and copy.is_draft is False
        assert copy.internet_message_id == own.internet_message_id
        assert copy.props["subject"] == "Team lunch"


def test_recipient_reads_the_copy_through_graph(graph_api, graph_token):
    graph_api.post("/me/sendMail", json={"message": message(bccRecipients=to(PATTI))})
    inbox = graph_api.as_(graph_token(ALEX)).get("/me/mailFolders/inbox/messages").json()["value"]
    assert len(inbox) == 1
    item = inbox[0]
    assert item["isRead"] is False and item["isDraft"] is False
    assert item["from"] == item["sender"] == {
        "emailAddress": {"name": "Adele Vance", "address": "adele@contoso.example"}}
    assert item["toRecipients"] == [{"emailAddress": {"name": "Alex Wilber", "address": ALEX}}]
    assert item["bccRecipients"] == []
    assert item["receivedDateTime"].endswith("Z")


def test_a_distribution_list_is_expanded_to_its_members(graph_api, mailbox):
    body = {"message": message(toRecipients=to("allstaff@contoso.example", ALEX))}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202
    for user in ("adele@contoso.example", ALEX, MEGAN, PATTI):
        assert len(mailbox(user).in_folder("inbox")) == 1, user  # Alex once, not twice


def test_outside_addresses_are_accepted_and_not_delivered(graph_api, mailbox):
    body = {"message": message(toRecipients=to("someone@example.org"))}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202
    assert len(mailbox().in_folder("sentitems")) == 1


def test_inline_file_attachments_travel_with_the_message(graph_api, mailbox):
    data = bytes(range(256)) * 40
    attachment = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "table.bin",
                  "contentType": "application/octet-stream",
                  "contentBytes": base64.b64encode(data).decode()}
    body = {"message": message(attachments=[attachment])}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202
    (copy,) = mailbox(ALEX).in_folder("inbox")
    assert copy.attachments[0].blob.read() == data
    assert copy.attachments[0].name == "table.bin"


def test_attachment_with_bad_base64_is_refused(graph_api):
    attachment = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "x",
                  "contentBytes": "not base64!"}
    response = graph_api.post("/me/sendMail", json={"message": message(attachments=[attachment])})
    assert error_of(response) == ("RequestBodyRead", "Cannot convert the literal 'not base64!' to "
                                  "the expected type 'Edm.Binary'.")


def test_request_over_4_mb_is_413(graph_api, mailbox):
    attachment = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "big.bin",
                  "contentBytes": base64.b64encode(b"x" * (3 * 1024 * 1024 + 1)).decode()}
    response = graph_api.post("/me/sendMail", json={"message": message(attachments=[attachment])})
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "The maximum request length supported is 4MB."
    assert mailbox(ALEX).messages == {}


def test_message_over_the_mailbox_limit_is_error_message_size_exceeded(graph_api, emu):
    emu.state.directory.user("adele@contoso.example").max_message_size = 1000
    big = message(body={"contentType": "text", "content": "x" * 1001})
    response = graph_api.post("/me/sendMail", json={"message": big})
    assert error_of(response) == ("ErrorMessageSizeExceeded",
                                  "The message exceeds the maximum supported size.")


def test_custom_headers_must_start_with_x(graph_api):
    headers = [{"name": "Priority-Level", "value": "1"}]
    response = graph_api.post("/me/sendMail", json={"message": message(internetMessageHeaders=headers)})
    assert error_of(response) == ("InvalidInternetMessageHeader", "The internet message header "
                                  "name 'Priority-Level' should start with 'x-' or 'X-'.")


def _mime(raw: str) -> bytes:
    return base64.b64encode(raw.replace("\n", "\r\n").encode())


def test_mime_send_mail_delivers(graph_api, mailbox):
    raw = ("From: Adele Vance <adele@contoso.example>\nTo: Alex Wilber <alex@contoso.example>\n"
           "Subject: MIME hello\nX-Ticket: 42\nContent-Type: text/plain\n\nHello from MIME\n")
    response = graph_api.post("/me/sendMail", data=_mime(raw), headers={"Content-Type": "text/plain"})
    assert response.status_code == 202
    (copy,) = mailbox(ALEX).in_folder("inbox")
    assert copy.props["subject"] == "MIME hello"
    assert copy.headers == [{"name": "X-Ticket", "value": "42"}]


def test_mime_with_bad_base64_is_refused(graph_api):
    response = graph_api.post("/me/sendMail", data=b"%%% not base64",
                              headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert error_of(response) == ("ErrorMimeContentInvalidBase64String",
                                  "Invalid base64 string for MIME content.")
