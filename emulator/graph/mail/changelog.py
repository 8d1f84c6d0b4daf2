"""What changed in one mailbox, folder by folder: the record delta queries and notifications read.

Every change to a message is one ``Change`` with the mailbox's next sequence number: ``added``
(created in the folder, or moved in), ``updated`` (read state, flags, a draft's edit, an
attachment) or ``removed`` (deleted, or moved out: moving gives the message a new id, as
Exchange does). A delta token holds a sequence number, so a later delta query reads only the
changes after it, never the whole folder.

Memory stays bounded: each folder keeps its last ``capacity`` changes. Older ones are dropped
and the folder's ``floor`` rises; a token older than the floor can no longer be answered and
gets Graph's "sync state not found", as Outlook's delta tokens expire when its cache is full
(delta-query-overview: "dependent on the size of the internal delta token cache").
"""
from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass
from typing import Callable

DEFAULT_CAPACITY = 10_000  # changes kept per folder (UNCONFIRMED: Outlook's cache size is not published)
ADDED, UPDATED, REMOVED = "added", "updated", "removed"


@dataclass(frozen=True)
class Change:
    seq: int
    message_id: str
    kind: str  # ADDED, UPDATED or REMOVED
    change_key: str  # the message's change key after the change (its @odata.etag)


class ChangeLog:
    """The changes of one mailbox, per folder (well-known name), with their sequence numbers.

    ``notify(folder, change)`` (if given) hears of every change as it is recorded, under the
    mail store's lock: it must only enqueue, never block.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY,
                 notify: Callable[[str, Change], None] | None = None,
                 epoch: str | None = None) -> None:
        # A new mailbox (after a reset) has a new epoch: tokens of the old one are not found.
        self.epoch = epoch or secrets.token_hex(8)
        self.capacity = capacity
        self.seq = 0
        self.folders: dict[str, deque[Change]] = {}
        self.floors: dict[str, int] = {}  # folder -> oldest sequence a token may still hold
        self.notify = notify

    def record(self, folder: str, message_id: str, kind: str, change_key: str) -> Change:
        self.seq += 1
        change = Change(self.seq, message_id, kind, change_key)
        entries = self.folders.setdefault(folder, deque())
        entries.append(change)
        while len(entries) > self.capacity:
            self.floors[folder] = entries.popleft().seq
        if self.notify is not None:
            self.notify(folder, change)
        return change

    def valid(self, folder: str, seq: int) -> bool:
        """Whether the changes of ``folder`` after ``seq`` are all still kept."""
        return self.floors.get(folder, 0) <= seq <= self.seq

    def between(self, folder: str, after: int, until: int) -> list[Change]:
        """The folder's changes with ``after < seq <= until``, oldest first."""
        entries = list(self.folders.get(folder, ()))  # one C-level copy: safe against writers
        return [c for c in entries if after < c.seq <= until]

    def expire(self) -> None:
        """Forget every change: every token issued so far becomes too old (tests, admin)."""
        self.seq += 1  # tokens issued from now on hold a sequence the floor admits
        for folder in list(self.folders):
            self.folders[folder].clear()
        for folder in set(self.folders) | set(self.floors):
            self.floors[folder] = self.seq


def net_changes(changes: list[Change]) -> list[tuple[str, str, Change]]:
    """Each message's net change over a window: (message id, "created" | "updated" | "deleted",
    its last change), ordered by that last change. A message both added and removed within the
    window is left out: the client never saw it."""
    first: dict[str, Change] = {}
    last: dict[str, Change] = {}
    for change in changes:
        first.setdefault(change.message_id, change)
        last[change.message_id] = change
    result = []
    for message_id, final in sorted(last.items(), key=lambda item: item[1].seq):
        existed = first[message_id].kind != ADDED
        present = final.kind != REMOVED
        if existed and present:
            result.append((message_id, "updated", final))
        elif present:
            result.append((message_id, "created", final))
        elif existed:
            result.append((message_id, "deleted", final))
    return result
