"""Submitting jobs and reading how they went: the one entry point a CLI or an API calls.

``submit(rt, description, idempotency_key, enqueue)`` checks the message and the sender now
(an error names the field), records the job once under an id derived from the sender and the
key (a retried submit returns the same job, and refuses a different message under that key),
and hands it to the queue (``claim`` alone records it: the API's intake.py receives the files
of a claimed job before it queues it). Jobs belong to a batch (a merge, or the job alone); the batches
still open are listed under one key, which the worker's sweep reads to find jobs whose task
was lost with a dead worker.
"""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Callable

from mailer.automation.errors import AutomationError
from mailer.automation.message import check
from mailer.automation.once import FINAL, job_key

OPEN = "open-batches"
Enqueue = Callable[[str, str], None]  # (job id, ticket)


def job_id_for(sender: str, idempotency_key: str) -> str:
    return "j" + hashlib.sha256(f"{sender}\n{idempotency_key}".encode()).hexdigest()[:24]


def fingerprint(description: dict) -> str:
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()


def submit(rt, description: dict, idempotency_key: str, enqueue: Enqueue | None,
           batch: str | None = None) -> str:
    """Record and queue one message; its job id. ``enqueue`` None: recorded only (a merge
    queues its rows itself; ``once.run`` may also run it in this process)."""
    job_id, record, won = claim(rt, description, idempotency_key, batch=batch)
    if won and enqueue is not None:
        enqueue(job_id, record["ticket"])
    return job_id


def claim(rt, description: dict, idempotency_key: str, batch: str | None = None,
          state: str = "queued") -> tuple[str, dict, bool]:
    """Record the job once: (its id, its record, True when this call made it). The same key
    again gives the job already recorded, or refuses a different message under it."""
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
        raise AutomationError("idempotency_key", "give a key of 1 to 200 characters")
    sender = rt.check_sender(description.get("from") if isinstance(description, dict) else None)
    check(description, max_recipients=rt.cfg["MAX_RECIPIENTS"], me_address=sender)
    job_id = job_id_for(sender, idempotency_key)
    now = time.time()
    record = {"id": job_id, "key": idempotency_key, "sender": sender, "state": state,
              "description": description, "fingerprint": fingerprint(description),
              "batch": batch or f"job:{job_id}", "created": now, "updated": now,
              "ticket": uuid.uuid4().hex}
    if not rt.store.claim(job_key(job_id), record):
        existing = rt.store.get(job_key(job_id)) or {}
        if existing.get("fingerprint") not in (None, record["fingerprint"]):
            raise AutomationError("idempotency_key", "this key was used for a different "
                                  "message: use a new key for a new message")
        return job_id, existing, False  # the same job, however often it is submitted
    if batch is None:
        rt.store.put(f"batch:job:{job_id}", {"id": f"job:{job_id}", "jobs": [job_id]})
        open_batch(rt, f"job:{job_id}")
    return job_id, record, True


def open_batch(rt, batch_id: str) -> None:
    rt.store.update(OPEN, lambda v: {"batches": sorted(set((v or {}).get("batches", []))
                                                       | {batch_id})})


def status(rt, job_id: str) -> dict | None:
    """The job's record without its message: state, times, error."""
    record = rt.store.get(job_key(job_id))
    if record is None:
        return None
    return {k: v for k, v in record.items() if k not in ("description", "ticket", "fingerprint")}


def sweep(rt, queued: set[str], enqueue: Enqueue) -> list[str]:
    """Queue again every unfinished job that no task holds or waits for (its worker died with
    it); close batches that are done. The job ids queued again."""
    again: list[str] = []
    batches = (rt.store.get(OPEN) or {}).get("batches", [])
    done = []
    for batch_id in batches:
        batch = rt.store.get(f"batch:{batch_id}")
        unfinished = 0
        for job_id in (batch or {}).get("jobs", []):
            record = rt.store.get(job_key(job_id))
            if record is None or record["state"] in FINAL:
                continue
            unfinished += 1
            if job_id in queued or rt.store.lease_holder(f"lease:{job_key(job_id)}"):
                continue
            ticket = uuid.uuid4().hex  # any older task of this job becomes a no-op
            changed = rt.store.update(job_key(job_id), lambda r, t=ticket: r and {**r, "ticket": t})
            if changed and changed["state"] not in FINAL:
                enqueue(job_id, ticket)
                again.append(job_id)
        if not unfinished:
            done.append(batch_id)
    if done:
        rt.store.update(OPEN, lambda v: {"batches": [b for b in (v or {}).get("batches", [])
                                                     if b not in done]})
    return again
