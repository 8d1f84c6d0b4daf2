"""After an answer was lost while a draft was prepared: ask Graph what it has, instead of guessing.

A lost answer to ``POST /me/messages`` may have left a draft in the sender's Drafts; the app
(and the automation worker, in any sender's mailbox) finds it by the ``x-mailer-draft-id``
header it put on the message (headers are settable only at
creation and returned only with ``$select``). A lost answer to the last upload chunk (or to a
small attachment's POST) may mean the attachment is complete: the upload session is then gone
(404), and the draft's attachments are the only witness.
"""
from __future__ import annotations

import datetime as dt
import logging

from mailer.sending.compose import Attachment
from mailer.graph.client import GraphClient
from mailer.graph.errors import GraphError
from mailer.sending.plan import DRAFT_ID_HEADER

logger = logging.getLogger(__name__)

RECENT_DRAFTS = 25  # a draft created a moment ago is among the newest
SLACK = 120.0  # seconds: clocks of this host and of Exchange may differ a little


def tagged(item: dict, value: str) -> bool:
    """True when ``item`` carries ``x-mailer-draft-id: value`` (asked for with $select)."""
    return any(h.get("name", "").lower() == DRAFT_ID_HEADER and h.get("value") == value
               for h in item.get("internetMessageHeaders") or [])


def drafts_tagged(client: GraphClient, value: str, mailbox: str | None = None,
                  top: int = RECENT_DRAFTS) -> list[str]:
    """Ids of the drafts among the newest ``top`` of Drafts that carry this tag."""
    return [item["id"] for item in client.list_messages(
        "drafts", select=["internetMessageHeaders"], top=top, mailbox=mailbox)
        if tagged(item, value)]


def sent_copy(client: GraphClient, value: str, mailbox: str | None = None,
              since: float | None = None, top: int = RECENT_DRAFTS) -> bool:
    """True when Sent Items holds a message carrying this tag: among its newest ``top``, or,
    with ``since`` (epoch seconds), page after page back to that time (less SLACK)."""
    for items in client.message_pages("sentitems", top=top, mailbox=mailbox, select=[
            "internetMessageHeaders", "sentDateTime", "receivedDateTime"]):
        if any(tagged(item, value) for item in items):
            return True
        times = [t for t in map(_when, items) if t is not None]
        if since is None or not items or (times and max(times) < since - SLACK):
            return False
    return False


def _when(item: dict) -> float | None:
    text = item.get("sentDateTime") or item.get("receivedDateTime")
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def draft_state(client: GraphClient, graph_id: str, mailbox: str | None = None) -> str:
    """"sent" (gone from Drafts, or no longer a draft) or "draft"; GraphError otherwise."""
    try:
        found = client.get_message(graph_id, select=["isDraft"], mailbox=mailbox)
    except GraphError as exc:
        if exc.status == 404:  # a sent draft leaves Drafts
            return "sent"
        raise
    return "sent" if found.get("isDraft") is False else "draft"


def attachment_arrived(client: GraphClient, graph_id: str, attachment: Attachment,
                       earlier: list[Attachment]) -> bool:
    """True when the draft holds one more copy of ``attachment`` (name, and at least its size)
    than the ``earlier`` files of this message account for."""
    # UNCONFIRMED: whether Outlook's attachment size is the file's byte count or a little more
    # (it counts some properties); at least the file's size holds either way.
    listed = client.list_attachments(graph_id)
    same = sum(1 for a in listed
               if a.get("name") == attachment.name and int(a.get("size") or 0) >= attachment.size)
    before = sum(1 for a in earlier if a.name == attachment.name and a.size >= attachment.size)
    return same > before
