"""Stored messages, attachments and folders as Graph JSON: default property sets, ``$select``,
bodies in the format the client prefers, display names resolved from the directory.
"""
from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser
from urllib.parse import quote

from ...state import get_state
from ..common import GraphFailure, iso
from .store import Attachment, Folder, Mailbox, Message

MESSAGE_DEFAULT = (
    "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
    "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId", "subject",
    "bodyPreview", "importance", "parentFolderId", "conversationId", "conversationIndex",
    "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft", "webLink",
    "inferenceClassification", "body", "sender", "from", "toRecipients", "ccRecipients",
    "bccRecipients", "replyTo", "flag")
MESSAGE_SELECTABLE = MESSAGE_DEFAULT + ("uniqueBody", "internetMessageHeaders")
ATTACHMENT_PROPS = ("id", "lastModifiedDateTime", "name", "contentType", "size", "isInline",
                    "contentId", "contentLocation", "contentBytes")
FOLDER_PROPS = ("id", "displayName", "parentFolderId", "childFolderCount", "unreadItemCount",
                "totalItemCount", "isHidden")


def parse_select(raw: str | None, allowed: tuple[str, ...], type_name: str) -> list[str] | None:
    """``$select`` as canonical names; Graph's 400 for a name the type does not have."""
    if raw is None:
        return None
    by_lower = {name.lower(): name for name in allowed}
    chosen = []
    for name in (part.strip() for part in raw.split(",")):
        if not name:
            continue
        if name.lower() not in by_lower:
            raise GraphFailure(400, "RequestBroker--ParseUri",
                               f"Could not find a property named '{name}' on type "
                               f"'microsoft.graph.{type_name}'.")
        chosen.append(by_lower[name.lower()])
    return chosen


def html_document(fragment: str) -> str:
    return ('<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; '
            'charset=utf-8">\r\n</head>\r\n<body>\r\n' + fragment + '\r\n</body>\r\n</html>\r\n')


class _TextExtractor(HTMLParser):
    _BREAKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(content: str) -> str:
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def body_as(body: dict | None, wanted: str | None) -> dict:
    """The body in the wanted format ("text" or "html"; None: HTML, Graph's default)."""
    body = body or {"contentType": "text", "content": ""}
    kind, content = body.get("contentType") or "text", body.get("content") or ""
    if (wanted or "html") == "text":
        return {"contentType": "text",
                "content": content if kind == "text" else html_to_text(content)}
    if kind == "html":
        wrapped = content if "<html" in content.lower() else html_document(content)
        return {"contentType": "html", "content": wrapped}
    # Plain text shown as HTML: escaped, line breaks kept (markup UNCONFIRMED).
    fragment = html.escape(content).replace("\r\n", "\n").replace("\n", "<br>\r\n")
    return {"contentType": "html", "content": html_document(f'<div class="PlainText">{fragment}</div>')}


def preview(body: dict | None) -> str:
    text = body_as(body, "text")["content"]
    return " ".join(text.split())[:255]


def recipient(value: dict | None) -> dict | None:
    """A recipient with Graph's name resolution: directory display name, else the address."""
    if not value:
        return None
    email = dict(value.get("emailAddress") or {})
    address = email.get("address")
    if not email.get("name"):
        user = get_state().directory.user(address) if address else None
        email["name"] = user.display_name if user else address
    return {"emailAddress": {"name": email.get("name"), "address": address}}


def recipients(values: list | None) -> list[dict]:
    return [recipient(v) for v in values or [] if v]


def web_link(message_id: str) -> str:
    return (f"{get_state().urls.pages}/owa/?ItemID={quote(message_id, safe='')}"
            "&exvsurl=1&viewmodel=ReadMessageItem")


def message_json(box: Mailbox, message: Message, select: list[str] | None = None,
                 body_type: str | None = None) -> dict:
    p = message.props
    fields = {
        "id": message.id, "createdDateTime": iso(message.created),
        "lastModifiedDateTime": iso(message.modified), "changeKey": message.change_key,
        "categories": list(p.get("categories") or []), "receivedDateTime": iso(message.received),
        "sentDateTime": iso(message.sent or message.created),
        "hasAttachments": any(not a.is_inline for a in message.attachments),
        "internetMessageId": message.internet_message_id, "subject": p.get("subject"),
        "bodyPreview": preview(p.get("body")), "importance": p.get("importance") or "normal",
        "parentFolderId": box.folders[message.folder].id,
        "conversationId": message.conversation_id,
        "conversationIndex": message.conversation_index,
        "isDeliveryReceiptRequested": bool(p.get("isDeliveryReceiptRequested")),
        "isReadReceiptRequested": bool(p.get("isReadReceiptRequested")),
        "isRead": message.is_read, "isDraft": message.is_draft, "webLink": web_link(message.id),
        "inferenceClassification": p.get("inferenceClassification") or "focused",
        "body": body_as(p.get("body"), body_type),
        "uniqueBody": body_as(p.get("body"), body_type),
        "sender": recipient(p.get("sender")), "from": recipient(p.get("from")),
        "toRecipients": recipients(p.get("toRecipients")),
        "ccRecipients": recipients(p.get("ccRecipients")),
        "bccRecipients": recipients(p.get("bccRecipients")),
        "replyTo": recipients(p.get("replyTo")),
        "flag": p.get("flag") or {"flagStatus": "notFlagged"},
        "internetMessageHeaders": [dict(h) for h in message.headers],
    }
    names = MESSAGE_DEFAULT if select is None else select
    result = {"@odata.etag": f'W/"{message.change_key}"'}
    for name in ("id",) + tuple(names):
        if name in ("sender", "from") and fields[name] is None and select is None:
            continue  # a draft with no from: Graph leaves both out
        result[name] = fields[name]
    return result


def attachment_json(attachment: Attachment, select: list[str] | None = None) -> dict:
    fields = {
        "id": attachment.id, "lastModifiedDateTime": iso(attachment.modified),
        "name": attachment.name, "contentType": attachment.content_type,
        "size": attachment.size, "isInline": attachment.is_inline,
        "contentId": attachment.content_id, "contentLocation": attachment.content_location,
    }
    result = {"@odata.type": "#microsoft.graph.fileAttachment",
              "@odata.mediaContentType": attachment.content_type or "application/octet-stream"}
    for name in ("id",) + tuple(ATTACHMENT_PROPS if select is None else select):
        if name == "contentBytes":
            result[name] = base64.b64encode(attachment.blob.read()).decode("ascii")
        else:
            result[name] = fields[name]
    return result


def folder_json(box: Mailbox, folder: Folder) -> dict:
    items = box.in_folder(folder.name)
    return {"id": folder.id, "displayName": folder.display_name, "parentFolderId": box.root_id,
            "childFolderCount": 0, "unreadItemCount": sum(not m.is_read for m in items),
            "totalItemCount": len(items), "isHidden": False}
