"""``GET …/messages/{id}/$value``: the message as MIME (RFC 5322 with CRLF line ends).

Shape as Exchange builds it: the body as multipart/alternative (plain text and HTML) when it is
HTML, inline attachments beside the HTML in multipart/related with their Content-ID, the other
attachments in multipart/mixed. The response's Content-Type is ``text/plain``, as Graph's was
observed to be (msgraph-sdk-java#722; the docs show only the body).
"""
from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import Response

from ..auth import Caller
from .lookup import locate
from .store import Message
from .json_out import body_as, recipient, recipients
from ..routing.table import message_route

CRLF_POLICY = policy.default.clone(linesep="\r\n")


def _addresses(items: list[dict]) -> list[Address | str]:
    result = []
    for item in items:
        email = item["emailAddress"]
        name, address = email.get("name") or "", email.get("address") or ""
        try:
            result.append(Address(display_name=name if name != address else "",
                                  addr_spec=address))
        except (ValueError, IndexError):
            result.append(address)  # an address Exchange kept but RFC 5322 would not parse
    return result


def build(message: Message) -> EmailMessage:
    p = message.props
    mail = EmailMessage(policy=CRLF_POLICY)
    author = recipient(p.get("from")) or recipient(p.get("sender"))
    sender = recipient(p.get("sender"))
    if author:
        mail["From"] = _addresses([author])
    if sender and author and sender["emailAddress"]["address"].lower() != \
            author["emailAddress"]["address"].lower():
        mail["Sender"] = _addresses([sender])
    for header, name in (("To", "toRecipients"), ("Cc", "ccRecipients"),
                         ("Bcc", "bccRecipients"), ("Reply-To", "replyTo")):
        items = recipients(p.get(name))
        if items:
            mail[header] = _addresses(items)
    mail["Subject"] = p.get("subject") or ""
    mail["Date"] = format_datetime(message.sent or message.created)
    mail["Message-ID"] = message.internet_message_id
    if p.get("_inReplyTo"):
        mail["In-Reply-To"] = p["_inReplyTo"]
        mail["References"] = p.get("_references") or p["_inReplyTo"]
    if (p.get("importance") or "normal") != "normal":
        mail["Importance"] = p["importance"]
    for header in message.headers:
        mail[header["name"]] = header.get("value") or ""
    _body(mail, message)
    return mail


def _body(mail: EmailMessage, message: Message) -> None:
    body = message.props.get("body") or {"contentType": "text", "content": ""}
    text = body_as(body, "text")["content"]
    mail.set_content(text, cte="quoted-printable")
    if body.get("contentType") == "html":
        mail.add_alternative(body_as(body, "html")["content"], subtype="html",
                             cte="quoted-printable")
        html_part = mail.get_payload()[-1]
        for attachment in (a for a in message.attachments if a.is_inline):
            maintype, _, subtype = (attachment.content_type or
                                    "application/octet-stream").partition("/")
            html_part.add_related(attachment.blob.read(), maintype, subtype or "octet-stream",
                                  cid=f"<{attachment.content_id or attachment.id}>",
                                  filename=attachment.name, disposition="inline")
    for attachment in message.attachments:
        if attachment.is_inline and body.get("contentType") == "html":
            continue
        maintype, _, subtype = (attachment.content_type or
                                "application/octet-stream").partition("/")
        mail.add_attachment(attachment.blob.read(), maintype, subtype or "octet-stream",
                            filename=attachment.name or "attachment",
                            cid=f"<{attachment.content_id}>" if attachment.content_id else None)


@message_route("GET", "{message_id}/$value")
def message_mime(caller: Caller, message_id: str, user: str | None = None,
                 folder: str | None = None):
    """The MIME of one message."""
    _, _, _, message = locate(caller, message_id, user, folder, "read")
    data = build(message).as_bytes()
    response = Response(data, content_type="text/plain")
    response.headers["Content-Length"] = str(len(data))
    return response
