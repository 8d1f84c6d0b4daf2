"""After an answer was lost while a draft was prepared: ask Graph what it has, instead of guessing.

A lost answer to ``POST /me/messages`` may have left a draft in the sender's Drafts; the app
finds it by the ``x-mailer-draft-id`` header it put on the message (headers are settable only at
creation and returned only with ``$select``). A lost answer to the last upload chunk (or to a
small attachment's POST) may mean the attachment is complete: the upload session is then gone
(404), and the draft's attachments are the only witness.
"""
from __future__ import annotations

import logging

from mailer.sending.compose import Attachment
from mailer.graph.client import GraphClient
from mailer.sending.plan import DRAFT_ID_HEADER

logger = logging.getLogger(__name__)

RECENT_DRAFTS = 25  # a draft created a moment ago is among the newest


def drafts_tagged(client: GraphClient, draft_id: str) -> list[str]:
    """Ids of the drafts in Drafts that carry this app draft's id."""
    found = []
    for item in client.list_messages("drafts", select=["internetMessageHeaders"],
                                     top=RECENT_DRAFTS):
        for header in item.get("internetMessageHeaders") or []:
            if header.get("name", "").lower() == DRAFT_ID_HEADER \
                    and header.get("value") == draft_id:
                found.append(item["id"])
    return found


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
