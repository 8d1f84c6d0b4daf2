"""A client's message JSON turned into stored properties, attachments and headers.

Shared by sendMail, draft creation and PATCH. ``parse_message`` runs the schema check; the
``take_*`` helpers split out what Graph stores apart from plain properties: inline attachments
(decoded into blobs) and custom internet message headers (``x-`` names only, creation only).
"""
from __future__ import annotations

import base64
import uuid

from ..common import GraphFailure, now
from .store import Attachment, MailStore, new_id
from ..schema import parse_object

# What a client may write on a message; everything else in the schema is read-only (ignored).
WRITABLE = ("subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo",
            "from", "sender", "importance", "categories", "flag", "isReadReceiptRequested",
            "isDeliveryReceiptRequested", "inferenceClassification", "isRead", "internetMessageId",
            "singleValueExtendedProperties")
# message-update.md: the rest is "updatable only if isDraft = true".
UPDATABLE_AFTER_SEND = ("categories", "flag", "inferenceClassification", "isRead")
ATTACHMENT_POST_LIMIT = 3 * 1024 * 1024  # POST .../attachments takes files under 3 MB


def parse_message(raw) -> dict:
    return parse_object(raw, "message", "message")


def writable(parsed: dict) -> dict:
    return {k: v for k, v in parsed.items() if k in WRITABLE}


def take_headers(parsed: dict) -> list[dict]:
    headers = []
    for header in parsed.get("internetMessageHeaders") or []:
        name = (header or {}).get("name") or ""
        if not name.lower().startswith("x-"):
            raise GraphFailure(400, "InvalidInternetMessageHeader",
                               f"The internet message header name '{name}' should start with "
                               "'x-' or 'X-'.")
        headers.append({"name": name, "value": header.get("value")})
    return headers


def file_attachment(store: MailStore, parsed: dict) -> Attachment:
    """A stored attachment from a parsed attachment entity (fileAttachment only)."""
    kind = parsed.get("@odata.type", "")
    if kind != "#microsoft.graph.fileAttachment":
        raise GraphFailure(501, "NotImplemented",
                           f"The emulator stores only fileAttachment, not '{kind.lstrip('#')}'.")
    for required in ("name", "contentBytes"):
        if parsed.get(required) in (None, ""):
            # UNCONFIRMED: Exchange's code for a missing required property.
            raise GraphFailure(400, "ErrorRequiredPropertyMissing",
                               f"Required property is missing. PropertyName = {required}")
    data = base64.b64decode("".join(parsed["contentBytes"].split()))
    return Attachment(
        id=new_id("AAMkAD", 45), name=parsed["name"],
        content_type=parsed.get("contentType") or "application/octet-stream",
        blob=store.blob(data), is_inline=bool(parsed.get("isInline")),
        content_id=parsed.get("contentId"), content_location=parsed.get("contentLocation"),
        modified=now())


def take_attachments(store: MailStore, parsed: dict) -> list[Attachment]:
    return [file_attachment(store, item) for item in parsed.get("attachments") or []]


def new_internet_message_id() -> str:
    return f"<{uuid.uuid4().hex.upper()}@mail.emulator.local>"


def new_conversation() -> tuple[str, str]:
    """(conversationId, conversationIndex) for a new thread."""
    index = base64.b64encode(b"\x01" + uuid.uuid4().bytes + b"\x00" * 5).decode()
    return new_id("AAQkAD", 24), index
