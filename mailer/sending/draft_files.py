"""A draft's pieces: the ids it accepts, its typed fields as stored, taking a file in (small ones as bytes for the shared store, large ones to disk),
and the attachment the sender reads them through.

A file below ``small_max`` (SMALL_ATTACHMENT_MAX: the files the send plan posts inline) is held
in memory while it arrives and kept as bytes in the shared store; once it reaches ``small_max``
it spills to disk and streams on in 1 MB pieces. Memory is therefore bounded by about
``small_max`` per upload. Sizes are checked while the bytes arrive (sizes.file_refusal).
"""
from __future__ import annotations

import base64
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable

from mailer.sending.compose import Attachment, ComposeData
from mailer.sending.sizes import file_refusal

PIECE = 1024 * 1024
HELD_PIECE = 256 * 1024  # while a file may still be small: its last read adds little to the peak
IN_STORE, ON_DISK = "store", "disk"


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


@dataclass
class Intake:
    """What arrived: its size and, for a small file, its bytes (None: it went to ``path``)."""

    size: int
    data: bytes | None


def take_in(name: str, stream: BinaryIO, path: Path, *, used: int, small_max: int,
            max_file: int, max_draft: int) -> Intake:
    """Read ``stream`` whole, refusing it (DraftError, nothing left on disk) once it is over a
    limit or if it is empty; bytes below ``small_max`` come back, larger files are at ``path``."""
    pieces, size, out = [], 0, None
    try:
        while True:
            # While in memory, never read past small_max: reaching it means "large", and the
            # pieces held then total small_max at most.
            piece = stream.read(PIECE if out else min(HELD_PIECE, small_max - size))
            if not piece:
                break
            size += len(piece)
            refusal = file_refusal(name, size, used, max_file, max_draft, streaming=True)
            if refusal:
                raise DraftError(refusal)
            if out is None and size < small_max:
                pieces.append(piece)
                continue
            if out is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                out = open(path, "xb")
                for held in pieces:
                    out.write(held)
                pieces = []
            out.write(piece)
            del piece  # before the next read: one piece in memory at a time
        if size == 0:
            raise DraftError(f"{name!r} is empty (0 bytes); attach a file with content.")
    except BaseException:
        if out is not None:
            out.close()
            path.unlink(missing_ok=True)
        raise
    if out is not None:
        out.close()
        return Intake(size, None)
    return Intake(size, b"".join(pieces))
