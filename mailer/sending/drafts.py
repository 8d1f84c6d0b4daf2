"""An on-disk draft store, so nothing typed or attached is lost when a send fails.

Each compose gets one id (uuid4) when the form is first shown; its folder under ``UPLOAD_DIR``
holds ``draft.json`` (the typed fields, the owner, the files' names and sizes) and the
uploaded files. Files are streamed to disk in 1 MB pieces (never whole in memory) under
generated names, so a hostile file name can never choose a path; the sanitized display name
lives in draft.json. After any failure, a fresh sign-in included, the page reloads the draft
by id. Sizes are bounded while streaming; ``cleanup()`` removes drafts older than a set age.
Drafts belong to an owner (the signed-in user's id): another user's id is "not found".
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from mailer.sending.compose import Attachment, ComposeData, sanitize_filename
from mailer.sending.sizes import file_refusal

logger = logging.getLogger(__name__)

META = "draft.json"
PIECE = 1024 * 1024


class DraftError(ValueError):
    """A draft operation refused, with a message for the person composing."""


class DraftNotFound(DraftError):
    pass


class FileNotFound(DraftError):
    """A file id that no file of any draft can have (a path, a NUL, the wrong length...)."""


# The only shapes ids take (uuid4 and uuid4().hex): anything else never reaches the disk.
DRAFT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
FILE_ID = re.compile(r"[0-9a-f]{32}")


def is_draft_id(value) -> bool:
    return isinstance(value, str) and DRAFT_ID.fullmatch(value) is not None


def is_file_id(value) -> bool:
    return isinstance(value, str) and FILE_ID.fullmatch(value) is not None


def _valid_id(draft_id: str) -> str:
    if is_draft_id(draft_id):
        return draft_id
    raise DraftNotFound("This draft does not exist (it may have been sent or cleaned up).")


def _fields_of(data: ComposeData) -> dict:
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


class DraftStore:
    """Drafts on disk, one folder per draft id: the typed fields (draft.json) and the files.

    Every call names the owner; another user's draft is "not found". Files stream in under
    generated names, bounded per file and per draft while they arrive (sizes.file_refusal);
    a sent draft keeps its fields and drops its files; ``cleanup`` ages drafts out.
    """

    def __init__(self, root: str | Path, *, max_file: int, max_draft: int, max_age: float,
                 max_drafts_per_owner: int):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_file, self.max_draft = max_file, max_draft
        self.max_age, self.max_drafts_per_owner = max_age, max_drafts_per_owner
        self._last_cleanup = 0.0

    # -- paths, locking, metadata ------------------------------------------------------------
    def _dir(self, draft_id: str) -> Path:
        return self.root / _valid_id(draft_id)

    @contextmanager
    def _locked(self, draft_id: str):
        folder = self._dir(draft_id)
        if not (folder / META).exists():
            raise DraftNotFound("This draft does not exist (it may have been sent or cleaned up).")
        with open(folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one writer of draft.json at a time, across workers
            yield folder

    def _read(self, folder: Path) -> dict:
        try:
            return json.loads((folder / META).read_text("utf-8"))
        except (OSError, ValueError):
            raise DraftNotFound("This draft could not be read; start a new message.") from None

    def _write(self, folder: Path, meta: dict) -> None:
        meta["updated"] = time.time()
        tmp = folder / f".{META}.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(meta), "utf-8")
        os.replace(tmp, folder / META)  # atomic: a reader sees the old or the new, never half

    def _owned(self, folder: Path, owner: str) -> dict:
        meta = self._read(folder)
        if meta.get("owner") != owner:
            raise DraftNotFound("This draft does not exist (it may have been sent or cleaned up).")
        return meta

    # -- public API --------------------------------------------------------------------------
    def new(self, owner: str) -> str:
        """A fresh draft id for ``owner``; their oldest drafts go beyond the per-user bound."""
        draft_id = str(uuid.uuid4())
        folder = self.root / draft_id
        (folder / "files").mkdir(parents=True)
        self._write(folder, {"owner": owner, "created": time.time(), "fields": {},
                             "files": [], "sent": False})
        self._trim(owner, keep=draft_id)
        if time.time() - self._last_cleanup > 3600:  # no cron needed: tidy while composing
            self._last_cleanup = time.time()
            self.cleanup()
        return draft_id

    def load(self, draft_id: str, owner: str) -> ComposeData:
        """The fields and files of a draft, as a ComposeData the form can be refilled from."""
        folder = self._dir(draft_id)
        meta = self._owned(folder, owner)
        names = {f.name for f in dataclasses.fields(ComposeData)} - {"attachments"}
        data = ComposeData(**{k: v for k, v in meta["fields"].items() if k in names})
        data.attachments = [self._attachment(folder, f) for f in meta["files"]]
        return data

    def is_sent(self, draft_id: str, owner: str) -> bool:
        return bool(self._owned(self._dir(draft_id), owner).get("sent"))

    def save_fields(self, draft_id: str, owner: str, data: ComposeData) -> None:
        """Keep what was typed (attachments are managed by add_file/remove_file)."""
        fields = _fields_of(data)  # never asdict: a stray object in a field must not recurse
        with self._locked(draft_id) as folder:
            meta = self._owned(folder, owner)
            self._refuse_if_sent(meta)
            meta["fields"] = fields
            self._write(folder, meta)

    def add_file(self, draft_id: str, owner: str, filename: str, stream: BinaryIO,
                 content_type: str = "", inline: bool = False) -> Attachment:
        """Stream an upload to disk; refuses empty names, 0-byte files and oversize files."""
        name = sanitize_filename(filename)  # ValueError with a message for the page
        folder = self._dir(draft_id)
        meta = self._owned(folder, owner)
        self._refuse_if_sent(meta)
        used = sum(f["size"] for f in meta["files"])
        file_id = uuid.uuid4().hex
        target = folder / "files" / file_id
        size = 0
        try:
            with open(target, "xb") as out:
                while piece := stream.read(PIECE):
                    size += len(piece)
                    refusal = file_refusal(name, size, used, self.max_file, self.max_draft,
                                           streaming=True)
                    if refusal:
                        raise DraftError(refusal)
                    out.write(piece)
            if size == 0:
                raise DraftError(f"{name!r} is empty (0 bytes); attach a file with content.")
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        entry = {"id": file_id, "name": name, "size": size,
                 "content_type": (content_type or "application/octet-stream")[:200],
                 "inline": bool(inline), "content_id": f"{file_id[:12]}@mailer" if inline else None}
        with self._locked(draft_id) as folder:
            meta = self._owned(folder, owner)
            meta["files"].append(entry)
            self._write(folder, meta)
        return self._attachment(folder, entry)

    def remove_file(self, draft_id: str, owner: str, file_id: str) -> None:
        """Remove one file; an id no file can have is refused before any path is built, and
        a well-formed one already gone is not an error (a double click)."""
        if not is_file_id(file_id):
            raise FileNotFound("There is no such attachment in this draft (it may have been "
                               "removed already); reload the page to see its attachments.")
        with self._locked(draft_id) as folder:
            meta = self._owned(folder, owner)
            self._refuse_if_sent(meta)
            meta["files"] = [f for f in meta["files"] if f["id"] != file_id]
            self._write(folder, meta)
            (folder / "files" / file_id).unlink(missing_ok=True)

    def mark_sent(self, draft_id: str) -> None:
        """After a send: the files go, the fields stay (so a resubmit shows "already sent")."""
        with self._locked(draft_id) as folder:
            meta = self._read(folder)
            meta["sent"] = True
            meta["files"] = []  # their bytes go next: no entry may point at a missing file
            self._write(folder, meta)
            shutil.rmtree(folder / "files", ignore_errors=True)

    def cleanup(self, now: float | None = None) -> int:
        """Remove drafts untouched for longer than max_age; returns how many went."""
        now = now or time.time()
        removed = 0
        for folder in self.root.iterdir():
            meta_path = folder / META
            try:
                age = now - meta_path.stat().st_mtime
            except OSError:
                continue
            if age > self.max_age:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    # -- helpers -----------------------------------------------------------------------------
    def _attachment(self, folder: Path, entry: dict) -> Attachment:
        return Attachment(entry["name"], folder / "files" / entry["id"], entry["size"],
                          entry["content_type"], entry["inline"], entry.get("content_id"),
                          entry["id"])

    @staticmethod
    def _refuse_if_sent(meta: dict) -> None:
        if meta.get("sent"):
            raise DraftError("This message has already been sent; start a new one.")

    def _trim(self, owner: str, keep: str) -> None:
        mine = []
        for folder in self.root.iterdir():
            try:
                meta = json.loads((folder / META).read_text("utf-8"))
            except (OSError, ValueError):
                continue
            if meta.get("owner") == owner and folder.name != keep:
                mine.append((meta.get("updated", 0), folder))
        for _, folder in sorted(mine)[: max(0, len(mine) - self.max_drafts_per_owner + 1)]:
            shutil.rmtree(folder, ignore_errors=True)
