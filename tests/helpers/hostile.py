"""Raw request bodies a browser would never send: for the hostile and generated compose tests."""
from __future__ import annotations

import re
import secrets
from urllib.parse import quote_from_bytes

# Every field of the compose form and the words its messages must use to name it.
LABELS = {"from_address": "From", "to": "To", "cc": "Cc", "bcc": "Bcc", "reply_to": "Reply-To",
          "subject": "Subject", "body": "Message", "body_type": "Format",
          "importance": "Importance", "save_to_sent_items": "Sent Items",
          "attachments": "ttach"}  # "Attachment ..." / "attach ..." or the file's own name
TEXT = ("from_address", "to", "cc", "bcc", "reply_to", "subject", "body")


def multipart(parts) -> tuple[bytes, str]:
    """(body, content type) from (name, value bytes, filename or None) triples, in order."""
    boundary = "hostile" + secrets.token_hex(12)
    out = bytearray()
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode("utf-8")
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def urlencoded(parts) -> tuple[bytes, str]:
    """(body, content type) from (name, value bytes) pairs, percent-encoded as a browser does."""
    body = "&".join(f"{quote_from_bytes(n.encode() if isinstance(n, str) else n)}="
                    f"{quote_from_bytes(v)}" for n, v, *_ in parts)
    return body.encode("ascii"), "application/x-www-form-urlencoded"


def stored_fields(app, draft_id: str) -> dict:
    """What the draft store keeps of the typed fields (read from the store, as another instance
    would): nothing for a new message no request has saved yet (stored at its first save)."""
    record = app.extensions["mailer.mail"].drafts.record(draft_id)
    return record["fields"] if record else {}


def form_value(page: str, name: str) -> str | None:
    """The value the re-rendered page shows in the text input or textarea ``name`` (escaped)."""
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    if match:
        return match.group(1)
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""
