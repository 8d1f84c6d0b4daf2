"""The mailboxes: folders, messages, attachments and upload sessions, kept in emulator state.

``mail_store()`` returns the store of the running emulator (``state.extension("mail")``, so
``state.reset()`` empties it). Attachment bytes live in a ``Blob``: small ones in memory, large
ones in a spool file under a temporary folder owned by the store, so a 100 MB attachment never
sits in memory and is shared, read-only, by every copy of a sent message. Ids look like
Exchange's (URL-safe base64 ending in ``=``), so clients must quote them as they must for Graph.

Messages enter, change and leave a mailbox only through ``Mailbox.put``, ``touched``, ``take``
and ``move``, which record each change in the mailbox's ``ChangeLog`` (changelog.py): delta
queries read it, and the store's ``observers`` (change notifications, persistence) hear of it.
"""
from __future__ import annotations

import base64
import datetime as dt
import itertools
import os
import re
import secrets
import tempfile
import heapq
import threading
from dataclasses import dataclass, field
from typing import Callable

from ...state import get_state
from .changelog import ADDED, REMOVED, UPDATED, Change, ChangeLog

SPOOL_IN_MEMORY = 1024 * 1024  # blobs above this go to a spool file
# Well-known folder names (lowercase) -> display name, in Outlook's order.
WELL_KNOWN = {
    "inbox": "Inbox", "drafts": "Drafts", "sentitems": "Sent Items",
    "deleteditems": "Deleted Items", "outbox": "Outbox", "junkemail": "Junk Email",
    "archive": "Archive",
}
_ID = re.compile(r"^AAMkAD[A-Za-z0-9_-]{20,}=*$")
_SEQUENCE = itertools.count()  # orders items stored within the same second


def new_id(prefix: str = "AAMkAD", size: int = 33) -> str:
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(size)).decode().rstrip("=") + "AAA="


def well_formed(item_id: str) -> bool:
    return bool(_ID.match(item_id or ""))


def change_key() -> str:
    return "CQAAABYAAA" + base64.b64encode(secrets.token_bytes(15)).decode()


class Blob:
    """Immutable bytes of one attachment, in memory or in a spool file."""

    def __init__(self, data: bytes | None = None, path: str | None = None, size: int = 0):
        self.data, self.path = data, path
        self.size = len(data) if data is not None else size

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        with open(self.path, "rb") as handle:
            return handle.read()

    def chunks(self, size: int = 256 * 1024):
        if self.data is not None:
            for start in range(0, len(self.data), size):
                yield self.data[start:start + size]
            return
        with open(self.path, "rb") as handle:
            while chunk := handle.read(size):
                yield chunk


@dataclass
class Attachment:
    id: str
    name: str | None
    content_type: str | None
    blob: Blob
    is_inline: bool = False
    content_id: str | None = None
    content_location: str | None = None
    modified: dt.datetime | None = None

    @property
    def size(self) -> int:
        return self.blob.size


@dataclass
class Message:
    id: str
    folder: str  # well-known folder name
    props: dict  # Graph properties as written by the client (canonical names)
    created: dt.datetime
    modified: dt.datetime
    received: dt.datetime
    sent: dt.datetime | None
    change_key: str
    internet_message_id: str
    conversation_id: str
    conversation_index: str
    is_draft: bool = True
    is_read: bool = True
    headers: list[dict] = field(default_factory=list)  # internetMessageHeaders
    attachments: list[Attachment] = field(default_factory=list)
    seq: int = field(default_factory=lambda: next(_SEQUENCE))

    def total_size(self) -> int:
        body = (self.props.get("body") or {}).get("content") or ""
        return len(body.encode()) + sum(a.size for a in self.attachments)

    def touch(self, moment: dt.datetime) -> None:
        self.modified, self.change_key = moment, change_key()


@dataclass
class Folder:
    id: str
    name: str  # well-known name
    display_name: str


@dataclass
class Mailbox:
    user_id: str
    folders: dict[str, Folder]  # by well-known name
    messages: dict[str, Message] = field(default_factory=dict)
    root_id: str = field(default_factory=lambda: new_id("AQMkAD", 24))
    changes: ChangeLog = field(default_factory=ChangeLog)

    # Every change goes through these four (callers hold the store's lock), so that the change
    # log, delta queries and notifications see it.
    def put(self, message: Message) -> None:
        """A new message in its folder (created, delivered, copied)."""
        self.messages[message.id] = message
        self.changes.record(message.folder, message.id, ADDED, message.change_key)

    def touched(self, message: Message, moment: dt.datetime) -> None:
        """The message changed in place: a new change key and modified time."""
        message.touch(moment)
        self.changes.record(message.folder, message.id, UPDATED, message.change_key)

    def take(self, message: Message) -> None:
        """The message leaves the mailbox (sent from Drafts or the Outbox, deleted for good)."""
        if self.messages.pop(message.id, None) is not None:
            self.changes.record(message.folder, message.id, REMOVED, message.change_key)

    def move(self, message: Message, folder: str, moment: dt.datetime) -> None:
        """To another folder, with a new id, as Exchange moves ("a new copy ... and removes the
        original")."""
        self.take(message)
        message.id, message.folder = new_id(), folder
        message.touch(moment)
        self.put(message)

    def folder(self, ref: str) -> Folder | None:
        """A folder by well-known name (case-insensitive) or id."""
        key = ref.lower()
        if key in self.folders:
            return self.folders[key]
        return next((f for f in self.folders.values() if f.id == ref), None)

    def in_folder(self, name: str) -> list[Message]:
        snapshot = list(self.messages.values())  # one C-level copy: safe against writers
        items = [m for m in snapshot if m.folder == name]
        return sorted(items, key=lambda m: (m.received, m.seq), reverse=True)


@dataclass
class UploadSession:
    id: str
    token: str
    mailbox_id: str
    message_id: str
    item: dict  # the attachmentItem
    size: int
    expires: dt.datetime
    path: str
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class MailStore:
    """The mailboxes of one emulator. ``spool_dir``: where attachment files live (a folder of
    the state folder when the emulator keeps its mail across restarts; else a temporary one)."""

    def __init__(self, spool_dir: str | None = None) -> None:
        if spool_dir is None:
            self._spool = tempfile.TemporaryDirectory(prefix="emulator-mail-",
                                                      ignore_cleanup_errors=True)
            self.spool_dir = self._spool.name
        else:
            self._spool = None
            os.makedirs(spool_dir, exist_ok=True)
            self.spool_dir = spool_dir
        self.mailboxes: dict[str, Mailbox] = {}
        # Called as observer(mailbox user id, folder, Change) for every change, under the lock.
        self.observers: list[Callable[[str, str, Change], None]] = []
        self.sessions: dict[str, UploadSession] = {}
        self.lock = threading.RLock()
        # Deferred deliveries (send later): (due, order, action), released by release_due(),
        # which calls action(store, due).
        self.pending: list[tuple[dt.datetime, int, Callable]] = []
        self.clock_offset = dt.timedelta()  # tests move the mail clock forward instead of sleeping

    def now(self) -> dt.datetime:
        """The mail clock: UTC now, plus the offset tests may set."""
        moment = dt.datetime.now(dt.timezone.utc) + self.clock_offset
        return moment.replace(microsecond=0)

    def defer(self, due: dt.datetime, action: Callable) -> None:
        with self.lock:
            heapq.heappush(self.pending, (due, next(_SEQUENCE), action))

    def release_due(self) -> None:
        """Run the deferred deliveries whose time has come, oldest first. Called on every access
        to the store, so a message is in the Inbox by the first read after its time."""
        if not self.pending:
            return
        with self.lock:
            moment = self.now()
            while self.pending and self.pending[0][0] <= moment:
                due, _, action = heapq.heappop(self.pending)
                action(self, due)  # as Exchange would have: sent at its time, not at our read

    def mailbox(self, user_id: str) -> Mailbox:
        with self.lock:
            if user_id not in self.mailboxes:
                folders = {name: Folder(new_id("AQMkAD", 24), name, display)
                           for name, display in WELL_KNOWN.items()}
                self.adopt(Mailbox(user_id, folders))
            return self.mailboxes[user_id]

    def adopt(self, box: Mailbox) -> None:
        """Add a mailbox (new, or read back from disk) and hear of its changes."""
        def changed(folder: str, change: Change, user_id: str = box.user_id) -> None:
            for observer in list(self.observers):
                observer(user_id, folder, change)
        box.changes.notify = changed
        self.mailboxes[box.user_id] = box

    def close(self) -> None:
        """Forget every mailbox and session and delete the spool folder (state.reset() calls
        this): dropping the store without it leaves the folder to a finalizer, which warns
        (ResourceWarning) and may run only at exit, keeping large attachments on disk."""
        with self.lock:
            self.mailboxes.clear()
            self.sessions.clear()
            self.pending.clear()
            self.observers.clear()
            if self._spool is not None:
                self._spool.cleanup()
            else:  # a kept spool folder: emptied, since the mail it held is gone
                for name in os.listdir(self.spool_dir) if os.path.isdir(self.spool_dir) else []:
                    try:
                        os.remove(os.path.join(self.spool_dir, name))
                    except OSError:
                        pass

    def spool_path(self) -> str:
        os.makedirs(self.spool_dir, exist_ok=True)  # `python -m emulator reset` may remove it
        return os.path.join(self.spool_dir, secrets.token_hex(16))

    def blob(self, data: bytes) -> Blob:
        if len(data) <= SPOOL_IN_MEMORY:
            return Blob(data=data)
        path = self.spool_path()
        with open(path, "wb") as handle:
            handle.write(data)
        return Blob(path=path, size=len(data))


def mail_store() -> MailStore:
    store = get_state().extension("mail", MailStore)
    store.release_due()
    return store
