"""The MIME flavour of sendMail / create message: a base64 MIME message in a text/plain body."""
from __future__ import annotations

import base64
import binascii
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses

from ..common import GraphFailure, now
from .store import Attachment, MailStore, new_id

_INVALID_BASE64 = ("ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.")


def decode(raw: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        raise GraphFailure(400, *_INVALID_BASE64) from None


def _recipients(message, header: str) -> list[dict]:
    values = message.get_all(header) or []
    return [{"emailAddress": {"name": name or None, "address": address}}
            for name, address in getaddresses([str(v) for v in values]) if name or address]


def parse(store: MailStore, raw: bytes) -> tuple[dict, list[dict], list[Attachment]]:
    """(message properties, x- headers, attachments) of a base64-encoded MIME message."""
    message = BytesParser(policy=policy.default).parsebytes(decode(raw))
    props: dict = {
        "subject": str(message.get("Subject") or ""),
        "toRecipients": _recipients(message, "To"),
        "ccRecipients": _recipients(message, "Cc"),
        "bccRecipients": _recipients(message, "Bcc"),
        "replyTo": _recipients(message, "Reply-To"),
    }
    sender = _recipients(message, "From")
    if sender:
        props["from"] = sender[0]
    body = message.get_body(preferencelist=("html", "plain"))
    if body is not None:
        kind = "html" if body.get_content_subtype() == "html" else "text"
        props["body"] = {"contentType": kind, "content": body.get_content()}
    headers = [{"name": k, "value": str(v)} for k, v in message.items()
               if k.lower().startswith("x-")]
    attachments = []
    # Every leaf that is not a body: iter_attachments() alone misses the inline pictures that
    # sit beside the HTML inside multipart/related (Outlook's and our $value's shape).
    bodies = {id(p) for p in (message.get_body(preferencelist=("plain",)),
                              message.get_body(preferencelist=("html",))) if p is not None}
    for part in message.walk():
        if part.is_multipart() or id(part) in bodies or part is message:
            continue
        data = part.get_payload(decode=True) or b""
        content_id = (part.get("Content-ID") or "").strip().strip("<>") or None
        attachments.append(Attachment(
            id=new_id("AAMkAD", 45), name=part.get_filename(), content_type=part.get_content_type(),
            blob=store.blob(data), is_inline=part.get_content_disposition() == "inline"
            or (content_id is not None and part.get_content_disposition() is None),
            content_id=content_id, modified=now()))
    return props, headers, attachments
