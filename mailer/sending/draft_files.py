"""A draft's pieces: the ids it accepts, its typed fields as stored, a file entry, taking a small
file in as bytes for the shared store, and the attachment the sender reads them through.

A file below ``small_max`` (SMALL_ATTACHMENT_MAX: the files the send plan posts inline) is held
in memory while it arrives (at most ``small_max``) and kept as bytes in the shared store; a larger
one is refused here: it streams into the mailbox draft instead (mailbox_drafts.py). Sizes are
checked while the bytes arrive (sizes.file_refusal).
"""
from __future__ import annotations

import base64
import dataclasses
import re
import uuid
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from mailer.sending.compose import Attachment, ComposeData
from mailer.sending.sizes import file_refusal

HELD_PIECE = 256 * 1024
IN_STORE, IN_GRAPH = "store", "graph"  # where a file's bytes are


class DraftError(ValueError):
    """A draft operation refused, with a message for the person composing."""


class DraftNotFound(DraftError):
    pass


class FileNotFound(DraftError):
    """A file id that no file of any draft can have (a path, a NUL, the wrong length...)."""


# The only shapes ids take (uuid4 and uuid4().hex): anything else never reaches a key or a path.
DRAFT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
FILE_ID = re.compile(r"[0-9a-f]{32}")


def is_draft_id(value) -> bool:
    return isinstance(value, str) and DRAFT_ID.fullmatch(value) is not None


def is_file_id(value) -> bool:
    return isinstance(value, str) and FILE_ID.fullmatch(value) is not None


def fields_of(data: ComposeData) -> dict:
    """The typed fields as JSON-ready values: text stays text, anything else is dropped."""
    fields = {}
    for item in dataclasses.fields(ComposeData):
        value, default = getattr(data, item.name), item.default
        if item.name == "attachments":
            continue
        if isinstance(default, bool):
            fields[item.name] = bool(value)
        else:
            fields[item.name] = value if isinstance(value, str) else default
    return fields


@dataclass
class StoredAttachment(Attachment):
    """A small file kept as bytes in the shared store: ``path`` is None, the bytes are read
    (once per use) through ``read``. The plan only ever posts such files inline (base64)."""

    read: Callable[[], bytes | None] | None = field(default=None, repr=False, compare=False)

    def read_bytes(self) -> bytes:
        data = self.read() if self.read else None
        if data is None:
            raise DraftError(f"{self.name!r} is no longer stored (the draft expired); attach it "
                             "again.")
        return data

    def base64(self) -> str:
        return base64.b64encode(self.read_bytes()).decode("ascii")


def new_entry(name: str, size: int, content_type: str, inline: bool, where: str,
              graph_id: str | None = None) -> dict:
    """A file's entry in the draft record (``graph_id``: its attachment in the mailbox draft)."""
    file_id = uuid.uuid4().hex
    return {"id": file_id, "name": name, "size": size, "where": where, "graph_id": graph_id,
            "content_type": (content_type or "application/octet-stream")[:200],
            "inline": bool(inline), "content_id": f"{file_id[:12]}@mailer" if inline else None}


def take_in(name: str, stream: BinaryIO, *, used: int, small_max: int, max_file: int,
            max_draft: int) -> bytes:
    """Read ``stream`` whole (it must stay under ``small_max``); DraftError once it is over a
    limit or if it is empty."""
    pieces, size = [], 0
    while True:
        piece = stream.read(min(HELD_PIECE, small_max - size + 1))
        if not piece:
            break
        size += len(piece)
        refusal = file_refusal(name, size, used, max_file, max_draft, streaming=True)
        if refusal:
            raise DraftError(refusal)
        if size >= small_max:
            raise DraftError(f"{name!r} is {small_max:,} bytes or more: a file this size goes "
                             "into your mailbox's Drafts, which needs your permission.")
        pieces.append(piece)
    if size == 0:
        raise DraftError(f"{name!r} is empty (0 bytes); attach a file with content.")
    return b"".join(pieces)
