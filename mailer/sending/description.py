"""A message description (what the CLI, a merge row or an API submits) checked into the send
core's ``PreparedMessage``.

The description is plain JSON-able data, so it can wait in a job record:
``{"from", "to", "cc", "bcc", "reply_to", "subject", "text" | "html", "importance",
"attachments", "save_to_sent_items"}``; address fields take a list or one string (commas,
semicolons). An attachment is a path on this host (the CLI's, a merge's) or, for the JSON API,
a held file ``{"name", "size", "content_type", "sha256"}`` whose bytes are in the shared store
(``read`` gives them) or already in the sender's mailbox draft (no ``read``: sizes only).
Everything is checked by mailer/sending/compose.py, as the web form is; an error names the
field as the description spells it.
"""
from __future__ import annotations

import base64
import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from mailer.sending.compose import Attachment, ComposeData, ComposeInvalid, prepare, \
    sanitize_filename
from mailer.sending.compose import PreparedMessage


class AutomationError(Exception):
    """Something a person must change; ``field`` names the option (``--from``, ``to``...)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field, self.message = field, message


FIELDS = {"from", "to", "cc", "bcc", "reply_to", "subject", "text", "html", "importance",
          "attachments", "save_to_sent_items"}
# compose.py's field names -> the description's
NAMES = {"from_address": "from", "body_type": "html", "body": "text"}


def _addresses(value, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    raise AutomationError(field, "give addresses as a list of strings or one string")


def attachment(path: str) -> Attachment:
    """A file on this host to attach; AutomationError naming it when it cannot be read."""
    file = Path(path)
    if not file.is_file() or not os.access(file, os.R_OK):
        raise AutomationError("attachments", f"{path} is not a readable file")
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return Attachment(name=sanitize_filename(file.name) or "file", path=file.resolve(),
                      size=file.stat().st_size, content_type=kind)


@dataclass
class HeldFile(Attachment):
    """A submitted file whose bytes wait in the shared store (read once per use)."""

    read: Callable[[], bytes | None] | None = field(default=None, repr=False, compare=False)

    def read_bytes(self) -> bytes:
        data = self.read() if self.read else None
        if data is None:
            raise AutomationError("attachments", f"{self.name} is no longer held (the job "
                                  "outlived JOB_TTL); submit the message again")
        return data

    def base64(self) -> str:
        return base64.b64encode(self.read_bytes()).decode("ascii")


Reader = Callable[[int], Callable[[], bytes | None]]  # file index -> its bytes' reader


def held(item: dict, index: int, read: Reader | None) -> Attachment:
    """A held file's description as an Attachment (only sizes and names without ``read``)."""
    name, size = item.get("name"), item.get("size")
    if not isinstance(name, str) or not isinstance(size, int) or size < 0:
        raise AutomationError("attachments", "a held file needs a name and a size")
    kind = str(item.get("content_type") or "application/octet-stream")
    if read is None:
        return Attachment(name=name, path=None, size=size, content_type=kind)
    return HeldFile(name=name, path=None, size=size, content_type=kind, read=read(index))


def check(description: dict, *, max_recipients: int, me_address: str | None = None,
          read: Reader | None = None) -> PreparedMessage:
    """The description as Graph's message (without files) and its files; AutomationError if
    anything is wrong (the first field at fault, and what to change)."""
    if not isinstance(description, dict):
        raise AutomationError("message", "describe the message as an object")
    unknown = sorted(set(description) - FIELDS)
    if unknown:
        raise AutomationError(unknown[0], f"unknown field; known: {', '.join(sorted(FIELDS))}")
    if description.get("text") is not None and description.get("html") is not None:
        raise AutomationError("html", "give the body as text or as html, not both")
    html = description.get("html")
    body = html if html is not None else description.get("text") or ""
    if not isinstance(body, str) or not isinstance(description.get("subject") or "", str):
        raise AutomationError("text" if html is None else "html", "the body must be text")
    paths = description.get("attachments") or []
    if not isinstance(paths, list):
        raise AutomationError("attachments", "give a list of file paths")
    files = [held(p, i, read) if isinstance(p, dict) else attachment(str(p))
             for i, p in enumerate(paths)]
    data = ComposeData(
        to=_addresses(description.get("to"), "to"), cc=_addresses(description.get("cc"), "cc"),
        bcc=_addresses(description.get("bcc"), "bcc"),
        reply_to=_addresses(description.get("reply_to"), "reply_to"),
        subject=description.get("subject") or "", body=body,
        body_type="html" if html is not None else "text",
        importance=str(description.get("importance") or "normal").lower(),
        from_address=str(description.get("from") or ""),
        save_to_sent_items=bool(description.get("save_to_sent_items", True)),
        attachments=files)
    try:
        return prepare(data, me_address, max_recipients=max_recipients)
    except ComposeInvalid as exc:
        field, messages = next(iter(exc.errors.items()))
        raise AutomationError(NAMES.get(field, field), " ".join(messages)) from None
