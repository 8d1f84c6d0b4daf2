"""New mail in a folder, by delta rounds: what a watched mailbox and ``python -m mailer watch``
both read.

A first round asks for the messages received since a moment (``$filter=receivedDateTime ge``)
and for ``changeType=created`` afterwards; the link it ends with is kept, and each later round
from it returns only messages created in the folder since (moved in included). When Graph no
longer knows the kept link (410 ``syncStateNotFound``, ...), the round starts again from a
moment a little before the last good round: what arrived meanwhile is found, and what was
already handled comes back too, so callers remember what they handled (a delivery claim, a
printed id) and skip it. Notifications are only a hint to run a round sooner: nothing here
depends on one arriving.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mailer.graph.changes import MailChanges, needs_full_sync
from mailer.graph.errors import GraphError

PAGE = 100  # messages per delta page asked for (Prefer: odata.maxpagesize)
MARGIN = dt.timedelta(minutes=5)  # a resync reaches this far before the last good round


@dataclass
class Arrivals:
    """One round: the new messages (oldest first), the link to keep, whether it resynced,
    and Graph's time at its end (a later resync starts MARGIN before it)."""
    messages: list[dict] = field(default_factory=list)
    delta_link: str | None = None
    resynced: bool = False
    ended: dt.datetime | None = None


def _first(changes: MailChanges, folder: str, since: dt.datetime | None, select: list[str]):
    return changes.delta(folder, select=select, page_size=PAGE, change_type="created",
                         received_since=since)


def arrivals(changes: MailChanges, link: str | None, since: dt.datetime | None,
             last_round: dt.datetime | None = None, *, folder: str = "inbox",
             select: list[str] | None = None) -> Arrivals:
    """A round from ``link`` (None: the first, from ``since``; since None: the whole folder).
    ``last_round`` is when the last good round ended (Graph's time), where a resync starts
    (less MARGIN)."""
    result = Arrivals()
    select = select or ["subject"]
    if link is None:
        delta = _first(changes, folder, since, select)
    else:
        try:
            delta = changes.delta(delta_link=link, page_size=PAGE)
        except GraphError as err:
            if not needs_full_sync(err):
                raise
            result.resynced = True
            start = [m for m in (since, last_round and last_round - MARGIN) if m]
            delta = _first(changes, folder, max(start) if start else None, select)
    result.ended = changes.graph_now()  # the Date of the round's last answer
    result.messages = sorted(delta.changed, key=lambda m: m.get("receivedDateTime") or "")
    result.delta_link = delta.delta_link
    return result
