"""The mail store as files: one JSON document per mailbox (folders, messages, change log),
the deferred sends, and attachment bytes as files in ``blobs/`` (the store's spool folder).

Large attachments already live in the spool folder; small ones live in memory and are written
to ``blobs/`` (named by their SHA-256) when their mailbox is saved. Reading back turns every
attachment into a file-backed blob and removes the spool files nothing refers to (unfinished
upload sessions, deleted mail).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
from collections import deque

from ..graph.mail import store as store_module
from ..graph.mail.changelog import Change, ChangeLog
from ..graph.mail.store import Attachment, Blob, Folder, Mailbox, MailStore, Message
from ..graph.mail.submission import DeferredSend

_MESSAGE_FIELDS = ("id", "folder", "props", "change_key", "internet_message_id",
                   "conversation_id", "conversation_index", "is_draft", "is_read", "headers",
                   "seq")
_TIMES = ("created", "modified", "received", "sent")


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def mailbox_snapshot(box: Mailbox, spool_dir: str) -> tuple[dict, dict[str, bytes]]:
    """(the mailbox as JSON-ready data, small blobs to write: file name -> bytes). Call it
    under the store's lock; it copies what may change and shares what never does."""
    small: dict[str, bytes] = {}

    def blob_name(blob: Blob) -> str:
        if blob.data is None and blob.path and os.path.dirname(blob.path) == spool_dir:
            return os.path.basename(blob.path)
        data = blob.read()
        name = "m-" + hashlib.sha256(data).hexdigest()
        small[name] = data
        return name

    messages = []
    for message in list(box.messages.values()):
        record = {name: getattr(message, name) for name in _MESSAGE_FIELDS}
        record.update({name: _time(getattr(message, name)) for name in _TIMES})
        record["headers"] = [dict(h) for h in message.headers]
        record["attachments"] = [
            {"id": a.id, "name": a.name, "content_type": a.content_type,
             "is_inline": a.is_inline, "content_id": a.content_id,
             "content_location": a.content_location, "modified": _time(a.modified),
             "size": a.size, "blob": blob_name(a.blob)} for a in message.attachments]
        messages.append(record)
    log = box.changes
    data = {"user_id": box.user_id, "root_id": box.root_id,
            "folders": {name: {"id": f.id, "display_name": f.display_name}
                        for name, f in box.folders.items()},
            "messages": messages,
            "changes": {"epoch": log.epoch, "seq": log.seq, "capacity": log.capacity,
                        "floors": dict(log.floors),
                        "folders": {name: [[c.seq, c.message_id, c.kind, c.change_key]
                                           for c in entries]
                                    for name, entries in log.folders.items()}}}
    return data, small


def restore_mailbox(data: dict, spool_dir: str) -> Mailbox:
    folders = {name: Folder(f["id"], name, f["display_name"]) for name, f in data["folders"].items()}
    saved = data["changes"]
    log = ChangeLog(capacity=saved["capacity"], epoch=saved["epoch"])
    log.seq = saved["seq"]
    log.floors = dict(saved["floors"])
    log.folders = {name: deque(Change(*entry) for entry in entries)
                   for name, entries in saved["folders"].items()}
    box = Mailbox(data["user_id"], folders, root_id=data["root_id"], changes=log)
    for record in data["messages"]:
        attachments = [
            Attachment(id=a["id"], name=a["name"], content_type=a["content_type"],
                       blob=Blob(path=os.path.join(spool_dir, a["blob"]), size=a["size"]),
                       is_inline=a["is_inline"], content_id=a["content_id"],
                       content_location=a["content_location"],
                       modified=_parse_time(a["modified"]))
            for a in record["attachments"]]
        message = Message(**{name: record[name] for name in _MESSAGE_FIELDS},
                          **{name: _parse_time(record[name]) for name in _TIMES},
                          attachments=attachments)
        box.messages[message.id] = message
    return box


def referenced_blobs(mailboxes: list[dict]) -> set[str]:
    return {a["blob"] for data in mailboxes for m in data["messages"] for a in m["attachments"]}


def pending_snapshot(store: MailStore) -> list[dict]:
    """The deferred sends (only DeferredSend actions are data; nothing else is deferred)."""
    return [{"due": due.isoformat(), "owner_id": action.owner_id,
             "message_id": action.message_id, "save_to_sent": action.save_to_sent}
            for due, _, action in sorted(store.pending, key=lambda item: item[:2])
            if isinstance(action, DeferredSend)]


def restore(store: MailStore, mailboxes: list[dict], pending: list[dict]) -> None:
    """Fill an empty store with what was saved."""
    top = -1
    with store.lock:
        for data in mailboxes:
            box = restore_mailbox(data, store.spool_dir)
            store.adopt(box)
            top = max([top] + [m.seq for m in box.messages.values()])
        for item in pending:
            store.defer(dt.datetime.fromisoformat(item["due"]),
                        DeferredSend(item["owner_id"], item["message_id"], item["save_to_sent"]))
    # Messages order by (received, seq): new ones must come after the ones read back.
    current = next(store_module._SEQUENCE)
    store_module._SEQUENCE = itertools.count(max(current, top + 1))
