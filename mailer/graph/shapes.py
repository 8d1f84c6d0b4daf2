"""Graph's JSON shapes as the client sends them, and the file description the client takes.

``FileSource`` is all Graph needs to know of a file to attach (no compose or draft type: the
layers above describe their files with it). ``encode_json`` is the exact byte encoding the
client puts on the wire, so the send plan can measure a request before it is made.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FileSource:
    """A file on disk to attach: its display name, size, type, and inline picture details."""

    name: str
    path: Path
    size: int
    content_type: str = "application/octet-stream"
    is_inline: bool = False
    content_id: str | None = None

    def base64(self) -> str:
        """The whole file base64-encoded (for requests that carry it inline: < 3 MB)."""
        return base64.b64encode(Path(self.path).read_bytes()).decode("ascii")


def base64_length(size: int) -> int:
    """How many characters ``size`` bytes take in base64: 4·⌈n/3⌉."""
    return 4 * ((size + 2) // 3)


def file_attachment_json(file: FileSource, content_bytes: str = "") -> dict:
    """Graph's fileAttachment for ``file`` (contentBytes filled in by the caller)."""
    item = {"@odata.type": "#microsoft.graph.fileAttachment", "name": file.name,
            "contentType": file.content_type, "contentBytes": content_bytes}
    if file.is_inline:
        item["isInline"] = True
        item["contentId"] = file.content_id or file.name
    return item


def upload_item_json(file: FileSource) -> dict:
    """Graph's attachmentItem for createUploadSession."""
    item = {"attachmentType": "file", "name": file.name, "size": file.size,
            "contentType": file.content_type}
    if file.is_inline:
        item.update(isInline=True, contentId=file.content_id or file.name)
    return item


def encode_json(body: dict) -> bytes:
    """The exact bytes GraphClient sends for a JSON body (compact, UTF-8, not ASCII-escaped)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
