"""The files of a submit, as the automation intake takes them (mailer/automation/intake.py).

Werkzeug spools each multipart file part to a temporary file of the request as it arrives (only
a few hundred KB are ever in memory); here each gets its sanitized name and is measured (size
and SHA-256, a megabyte at a time). Nothing is copied to this host's disk: the intake puts the
bytes in the shared store or the sender's mailbox draft while the request lasts.
"""
from __future__ import annotations

from mailer.automation.intake import Incoming
from mailer.sending.compose import sanitize_filename
from mailer.web.api.errors import ApiError


def incoming(file, max_size: int) -> Incoming:
    """One uploaded file (a werkzeug FileStorage), named and measured; 400/413 naming it."""
    try:
        name = sanitize_filename(file.filename or "")
    except ValueError as exc:
        raise ApiError(400, f"attachments: {file.filename!r}: {exc}", field="attachments")
    found = Incoming(name, (file.mimetype or "application/octet-stream")[:200],
                     file.stream).measure()
    if found.size > max_size:
        raise ApiError(413, f"attachments: {name} is larger than the "
                       f"{max_size // (1024 * 1024)} MB a file may be", field="attachments")
    if found.size == 0:
        raise ApiError(400, f"attachments: {name} is empty (0 bytes)", field="attachments")
    return found
