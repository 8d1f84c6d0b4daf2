"""Drafts being composed, in the shared store (Redis, or files on one host: store.py), so any
instance serves any request and nothing typed or attached is lost when a send fails or an
instance dies. A record (typed fields, owner, files' names and sizes, timestamps, "sent") is
changed only by an atomic read-modify-write; each save carries the whole form (of two tabs the
later save wins). A new message is stored at its first save (``save_fields`` with ``create``,
or ``ensure`` before a file), not when Compose opens.

While the message fits one sendMail, files below SMALL_ATTACHMENT_MAX are bytes in the same
store; once it outgrows one it becomes a draft in the person's mailbox (mailbox_drafts.py): the
record keeps its Graph id and each file entry says where its bytes are ("store" or "graph").
Everything expires DRAFT_MAX_AGE after the last save; a person keeps at most
DRAFT_MAX_PER_USER drafts of at most DRAFT_MAX_SIZE of files each. Ids are checked before any
key is built from them; another person's draft is "not found".
"""
from __future__ import annotations

import dataclasses
import io
import logging
import time
import uuid
from mailer.sending.compose import ComposeData
from mailer.sending.draft_file_ops import GONE, DraftFiles, bytes_key, valid_id
from mailer.sending.draft_files import (IN_STORE, DraftError, DraftNotFound, FileNotFound,
                                        StoredAttachment, fields_of, is_draft_id, is_file_id)
from mailer.sending.draft_owners import blank_record, listed, owner_key, trim
from mailer.sending.store import KeyValueStore

__all__ = ["DraftStore", "DraftError", "DraftNotFound", "FileNotFound", "is_draft_id",
           "is_file_id"]
logger = logging.getLogger(__name__)



def _key(draft_id: str) -> str:
    return f"draft:{valid_id(draft_id)}"


class DraftStore(DraftFiles):
    """Drafts in a KeyValueStore (whose TTL is ``max_age``).

    Every call names the owner; another user's draft is "not found". A sent draft keeps its
    fields and drops its files; ``cleanup`` ages out what the store does not expire itself.
    """

    def __init__(self, store: KeyValueStore, *, max_file: int,
                 max_draft: int, max_age: float, max_drafts_per_owner: int, small_max: int):
        self.store = store
        self.max_file, self.max_draft, self.small_max = max_file, max_draft, small_max
        self.max_age, self.max_drafts_per_owner = max_age, max_drafts_per_owner
        self._last_cleanup = 0.0

    # -- the record --------------------------------------------------------------------------
    def owned(self, draft_id: str, owner: str) -> dict:
        """The draft's record as stored, if it is ``owner``'s (else DraftNotFound)."""
        record = self.store.get(_key(draft_id))
        if not record or record.get("owner") != owner:
            raise DraftNotFound(GONE)
        return record

    _owned = owned

    def _change(self, draft_id: str, owner: str | None, change) -> dict:
        """Apply ``change(record)`` atomically to the owner's draft (any owner when None)."""
        def step(record):
            if not record or (owner is not None and record.get("owner") != owner):
                raise DraftNotFound(GONE)
            record = change(dict(record))
            record["updated"] = time.time()
            return record
        return self.store.update(_key(draft_id), step)

    def record(self, draft_id: str) -> dict | None:
        """The draft's record as stored (fields, files, owner), or None: for diagnostics."""
        return self.store.get(_key(draft_id))

    # -- public API --------------------------------------------------------------------------
    @staticmethod
    def fresh_id() -> str:
        """An id for a new message, stored only once something is saved: a visit to Compose
        that types nothing leaves nothing behind."""
        return str(uuid.uuid4())

    def new(self, owner: str) -> str:
        """A fresh draft, stored now, for ``owner`` (an adopted Graph draft, a copy)."""
        draft_id = self.fresh_id()
        self.store.put(_key(draft_id), blank_record(owner))
        self._created(owner, draft_id)
        return draft_id

    def ensure(self, draft_id: str, owner: str) -> dict:
        """The owner's record, stored now if no draft has this id yet (the first save of a
        new message); another person's draft is "not found"."""
        made = []

        def create(found):
            made.append(not found)
            return found or blank_record(owner)
        record = self.store.get(_key(draft_id)) or self.store.update(_key(draft_id), create)
        if record.get("owner") != owner:
            raise DraftNotFound(GONE)
        if any(made):
            self._created(owner, draft_id)
        return record

    def owned_or_blank(self, draft_id: str, owner: str) -> dict:
        """The owner's record, or a blank one (not stored) for an id no draft has yet."""
        return self.stored(draft_id, owner) or blank_record(owner)

    def typed(self, draft_id: str, owner: str) -> tuple[ComposeData, dict | None]:
        """What the draft holds now (empty for a new message), for a form to check what was
        typed against, and its record as stored (None: no draft yet) for ``save_fields``'s
        ``seen``: a save reads it once."""
        record = self.stored(draft_id, owner)
        return self.load(draft_id, owner, record or blank_record(owner)), record

    def stored(self, draft_id: str, owner: str) -> dict | None:
        """The owner's record, or None for an id no draft has yet (another's: not found)."""
        record = self.store.get(_key(draft_id))
        if record and record.get("owner") != owner:
            raise DraftNotFound(GONE)
        return record

    def _created(self, owner: str, draft_id: str) -> None:
        self._trim(owner, keep=draft_id)  # the least recently saved go beyond the bound
        now = time.time()
        if now - self._last_cleanup > 3600:  # no cron needed: tidy while composing
            self._last_cleanup = now
            self.cleanup()

    def listed(self, owner: str) -> list[dict]:
        """The owner's unsent drafts kept here, most recently saved first: {id, record}."""
        return listed(self.store, owner_key(owner), owner, self._records)

    def load(self, draft_id: str, owner: str, record: dict | None = None) -> ComposeData:
        """The fields and files of a draft, as a ComposeData the form can be refilled from
        (from ``record``, a record save_fields just returned, without reading it again)."""
        record = record or self._owned(draft_id, owner)
        names = {f.name for f in dataclasses.fields(ComposeData)} - {"attachments"}
        data = ComposeData(**{k: v for k, v in record["fields"].items() if k in names})
        data.attachments = [self._attachment(draft_id, f) for f in record["files"]]
        return data

    def is_sent(self, draft_id: str, owner: str) -> bool:
        return bool(self._owned(draft_id, owner).get("sent"))

    def save_fields(self, draft_id: str, owner: str, data: ComposeData,
                    create: bool = False, seen: object = ...) -> dict:
        """Keep what was typed (attachments are managed by add_file/remove_file); the record
        as saved. ``create``: a new message's first save stores it in the same step; ``seen``:
        the record as ``typed`` or ``stored`` just gave it (None: no draft yet), not read
        again."""
        fields = fields_of(data)  # never asdict: a stray object in a field must not recurse
        made = [False]

        def change(record):  # may run again (another tab saved meanwhile): decide each time
            made[0] = create and not record
            record = blank_record(owner) if made[0] else record
            if not record or record.get("owner") != owner:
                raise DraftNotFound(GONE)
            self._refuse_if_sent(record)
            return {**record, "fields": fields, "updated": time.time()}
        record = self.store.update(_key(draft_id), change, seen)
        if made[0]:
            self._created(owner, draft_id)  # listed as the owner's (no files to keep alive)
        else:
            self._touch(draft_id, owner, record)
        return record

    def entries(self, draft_id: str, owner: str) -> tuple[str | None, list[dict]]:
        """(the mailbox draft's Graph id or None, the file entries as stored)."""
        record = self._owned(draft_id, owner)
        return (record.get("graph") or {}).get("id"), list(record["files"])

    def set_mailbox_id(self, draft_id: str, owner: str, graph_id: str) -> None:
        self._change(draft_id, owner, lambda record: {**record, "graph": {"id": graph_id}})

    def mark_creating(self, draft_id: str, owner: str) -> bool:
        """Note that a mailbox draft is about to be created; True when an earlier attempt
        noted it too (and may have made one, unanswered: look for it first)."""
        before = []

        def change(record):
            before.append(bool((record.get("graph") or {}).get("creating")))
            return {**record, "graph": {**(record.get("graph") or {}), "creating": time.time()}}
        self._change(draft_id, owner, change)
        return before[0]

    def mark_sent(self, draft_id: str) -> None:
        """After a send: the files go, the fields stay (so a resubmit shows "already sent")."""
        dropped = []

        def change(record):
            dropped[:] = record["files"]
            return {**record, "sent": True, "files": []}  # no entry may point at gone bytes
        self._change(draft_id, None, change)
        for entry in dropped:
            self._drop_file(draft_id, entry)

    def copy(self, draft_id: str, owner: str) -> str:
        """A new draft with this one's fields and the files held in the store (a mailbox
        draft's files are copied by mailbox_drafts.copy)."""
        data = self.load(draft_id, owner)
        new_id = self.new(owner)
        self.save_fields(new_id, owner, data)
        for attachment in data.attachments:
            if isinstance(attachment, StoredAttachment):
                self.add_file(new_id, owner, attachment.name,
                              io.BytesIO(attachment.read_bytes()), attachment.content_type,
                              attachment.is_inline)
        return new_id

    def forget(self, draft_id: str, owner: str) -> None:
        """Discard the draft (its mailbox copy is deleted by mailbox_drafts.discard)."""
        self._owned(draft_id, owner)
        self._forget(draft_id)

    def cleanup(self, now: float | None = None) -> int:
        """Remove expired records (the file store); returns how many went."""
        return self.store.sweep()

    def keep_until(self, draft_id: str, owner: str, when: float) -> None:
        """A draft scheduled to be sent at ``when`` (up to 30 days ahead, beyond DRAFT_MAX_AGE)
        keeps its record and small files until a day after then."""
        record = self._owned(draft_id, owner)
        seconds = max(self.max_age, when - time.time() + 86400)
        self.store.touch([_key(draft_id)] + [bytes_key(draft_id, f["id"]) for f in
                                             record["files"] if f.get("where") == IN_STORE],
                         seconds)

    # -- helpers -----------------------------------------------------------------------------
    def _touch(self, draft_id: str, owner: str, record: dict) -> None:
        """The draft's bytes and its owner's list live as long as the draft just saved."""
        self.store.touch([owner_key(owner)] + [bytes_key(draft_id, f["id"])
                                                 for f in record["files"]
                                                 if f.get("where") == IN_STORE])

    @staticmethod
    def _refuse_if_sent(record: dict) -> None:
        if record.get("sent"):
            raise DraftError("This message has already been sent; start a new one.")

    def _trim(self, owner: str, keep: str) -> None:
        trim(self.store, owner_key(owner), owner, keep, self.max_drafts_per_owner,
             self._records, self._forget)

    def _records(self, draft_ids: list[str]) -> list[dict | None]:
        return self.store.get_many([_key(draft_id) for draft_id in draft_ids])

    def _forget(self, draft_id: str, record: dict | None = None) -> None:
        record = record or self.store.get(_key(draft_id)) or {}
        self.store.delete(_key(draft_id))
        for entry in record.get("files", []):
            self._drop_file(draft_id, entry)
