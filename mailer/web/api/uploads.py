"""Files of a submitted message, kept on disk for the worker, a chunk at a time.

Werkzeug spools each multipart file part to a temporary file as it arrives (only a few
hundred KB are ever in memory); here each is copied, hashed on the way, to
``files/<sha256>/<name>``. The same bytes under the same name land on the same path, so a
retried submit describes the same message and is recognised as the same job. Folders older
than JOB_TTL (their jobs are forgotten too) are removed as new files come.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from pathlib import Path

from mailer.sending.compose import sanitize_filename
from mailer.web.api.errors import ApiError

CHUNK = 1024 * 1024


def keep(file, root: Path, max_size: int) -> str:
    """Store one uploaded file (a werkzeug FileStorage); its path, for the job's description."""
    try:
        name = sanitize_filename(file.filename or "")
    except ValueError as exc:
        raise ApiError(400, f"attachments: {file.filename!r}: {exc}", field="attachments")
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".part-{uuid.uuid4().hex}"
    digest, size = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as out:
            while chunk := file.stream.read(CHUNK):
                size += len(chunk)
                if size > max_size:
                    raise ApiError(413, f"attachments: {name} is larger than the "
                                   f"{max_size // (1024 * 1024)} MB a file may be",
                                   field="attachments")
                digest.update(chunk)
                out.write(chunk)
        folder = root / digest.hexdigest()
        folder.mkdir(exist_ok=True)
        target = folder / name
        os.replace(tmp, target)  # the same bytes again: the same file, replaced whole
        os.utime(folder)
        return str(target)
    finally:
        tmp.unlink(missing_ok=True)
        file.close()


def sweep(root: Path, ttl: float) -> int:
    """Remove file folders untouched for ``ttl`` seconds; how many went."""
    gone, now = 0, time.time()
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > ttl:
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        except OSError:
            continue
    return gone
