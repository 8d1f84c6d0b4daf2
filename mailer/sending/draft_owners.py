"""A person's drafts, within DRAFT_MAX_PER_USER: an index of them per owner in the shared store,
a new record, the list the Drafts page shows, and the choice of which go when a new one would
pass the bound (drafts.py calls ``trim``)."""
from __future__ import annotations

import hashlib
import time
from typing import Callable

from mailer.sending.draft_files import is_draft_id
from mailer.sending.store import KeyValueStore


def blank_record(owner: str) -> dict:
    now = time.time()
    return {"owner": owner, "created": now, "updated": now, "fields": {}, "files": [],
            "sent": False}


def listed(store: KeyValueStore, index_key: str, owner: str,
           record_of: Callable[[str], dict | None]) -> list[dict]:
    """The owner's unsent drafts in the index, most recently saved first: {id, record}."""
    found = []
    for draft_id in (store.get(index_key) or {}).get("drafts", []):
        record = record_of(draft_id) if is_draft_id(draft_id) else None
        if record and record.get("owner") == owner and not record.get("sent"):
            found.append({"id": draft_id, "record": record})
    return sorted(found, key=lambda d: d["record"].get("updated", 0), reverse=True)


def owner_key(owner: str) -> str:  # hashed: an owner id of any shape makes a safe key
    return "drafts-of:" + hashlib.sha256(owner.encode("utf-8", "replace")).hexdigest()[:40]


def trim(store: KeyValueStore, index_key: str, owner: str, keep: str, bound: int,
         record_of: Callable[[str], dict | None], forget: Callable[[str], None]) -> None:
    """Record ``keep`` as the owner's; beyond ``bound`` drop sent drafts first (they only
    remember "already sent"), then the least recently saved (one in the mailbox stays
    there, in Drafts)."""
    listed = store.update(index_key, lambda index: {
        "drafts": [d for d in (index or {}).get("drafts", []) if d != keep] + [keep]})
    if len(listed["drafts"]) <= bound:  # within the bound: no record needs reading
        return
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
