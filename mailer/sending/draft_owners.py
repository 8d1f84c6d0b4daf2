"""A person's drafts, within DRAFT_MAX_PER_USER: an index of them per owner in the shared store,
and the choice of which go when a new one would pass the bound (drafts.py calls ``trim``)."""
from __future__ import annotations

import hashlib
from typing import Callable

from mailer.sending.store import KeyValueStore


def owner_key(owner: str) -> str:  # hashed: an owner id of any shape makes a safe key
    return "drafts-of:" + hashlib.sha256(owner.encode("utf-8", "replace")).hexdigest()[:40]


def trim(store: KeyValueStore, index_key: str, owner: str, keep: str, bound: int,
         record_of: Callable[[str], dict | None], forget: Callable[[str], None]) -> None:
    """Record ``keep`` as the owner's; beyond ``bound`` drop sent drafts first (they only
    remember "already sent"), then the least recently saved (one in the mailbox stays
    there, in Drafts)."""
    listed = store.update(index_key, lambda index: {
        "drafts": [d for d in (index or {}).get("drafts", []) if d != keep] + [keep]})
    others = [(not record.get("sent"), record.get("updated", 0), draft_id)
              for draft_id in listed["drafts"]
              if draft_id != keep and (record := record_of(draft_id))
              and record.get("owner") == owner]
    alive = {draft_id for *_, draft_id in others}
    over = sorted(others)[: max(0, len(others) - bound + 1)]
    for *_, draft_id in over:
        forget(draft_id)
    gone = {draft_id for draft_id in listed["drafts"] if draft_id != keep
            and draft_id not in alive} | {draft_id for *_, draft_id in over}
    if gone:
        store.update(index_key, lambda index: {
            "drafts": [d for d in (index or {}).get("drafts", []) if d not in gone]})
