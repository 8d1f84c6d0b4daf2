"""A person's drafts, within DRAFT_MAX_PER_USER: an index of them per owner in the shared store,
a new record, the list the Drafts page shows, and the choice of which go when a new one would
pass the bound (drafts.py calls ``trim``)."""
from __future__ import annotations

import hashlib
import time
from typing import Callable

from mailer.sending.draft_files import is_draft_id
from mailer.sending.store import KeyValueStore

RecordsOf = Callable[[list[str]], list["dict | None"]]  # draft ids -> their records, one read


def blank_record(owner: str) -> dict:
    now = time.time()
    return {"owner": owner, "created": now, "updated": now, "fields": {}, "files": [],
            "sent": False}


def _owned(ids: list[str], owner: str, records_of: RecordsOf) -> list[tuple[str, dict]]:
    """(id, record) of each listed draft that still exists and is ``owner``'s, read at once."""
    ids = [draft_id for draft_id in ids if is_draft_id(draft_id)]
    return [(draft_id, record) for draft_id, record in zip(ids, records_of(ids))
            if record and record.get("owner") == owner]


def listed(store: KeyValueStore, index_key: str, owner: str,
           records_of: RecordsOf) -> list[dict]:
    """The owner's unsent drafts in the index, most recently saved first: {id, record}."""
    found = [{"id": draft_id, "record": record} for draft_id, record in
             _owned((store.get(index_key) or {}).get("drafts", []), owner, records_of)
             if not record.get("sent")]
    return sorted(found, key=lambda d: d["record"].get("updated", 0), reverse=True)


def owner_key(owner: str) -> str:  # hashed: an owner id of any shape makes a safe key
    return "drafts-of:" + hashlib.sha256(owner.encode("utf-8", "replace")).hexdigest()[:40]


def trim(store: KeyValueStore, index_key: str, owner: str, keep: str, bound: int,
         records_of: RecordsOf, forget: Callable[[str, dict], None]) -> None:
    """Record ``keep`` as the owner's; beyond ``bound`` drop sent drafts first (they only
    remember "already sent"), then the least recently saved (one in the mailbox stays
    there, in Drafts). The index is written once, the records read at once only when past
    the bound; those dropped are forgotten after (``forget(draft_id, record)``)."""
    over: list[tuple[str, dict]] = []

    def change(index: dict | None) -> dict:
        drafts = [d for d in (index or {}).get("drafts", []) if d != keep] + [keep]
        over.clear()
        if len(drafts) <= bound:  # within the bound: no record needs reading
            return {"drafts": drafts}
        others = _owned([d for d in drafts if d != keep], owner, records_of)
        ranked = sorted((not record.get("sent"), record.get("updated", 0), draft_id)
                        for draft_id, record in others)
        dropped = {draft_id for *_, draft_id in ranked[: max(0, len(others) - bound + 1)]}
        over.extend((draft_id, record) for draft_id, record in others if draft_id in dropped)
        alive = {draft_id for draft_id, _ in others} - dropped
        return {"drafts": [d for d in drafts if d == keep or d in alive]}
    store.update(index_key, change)
    for draft_id, record in over:
        forget(draft_id, record)
