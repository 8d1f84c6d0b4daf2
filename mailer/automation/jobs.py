"""A program's message, submitted to the send engine: what the API, the CLI and merges call.

``submit(rt, description, idempotency_key)`` checks the message and the sender now (an error
names the field), then hands the engine one job whose id derives from the sender and the key:
a retried submit finds the same job (whatever became of it) and a different message under the
same key is refused. App-only sending is fenced to AUTOMATION_SENDERS here; Exchange's
application access policy is the production fence.
"""
from __future__ import annotations

import hashlib
import json

from mailer.automation.errors import AutomationError, NotAllowed
from mailer.delivery import acting, records
from mailer.delivery import submit as engine
from mailer.sending.description import check
from mailer.sending.plan import plan

IDEMPOTENCY_MAX = 200


def job_id_for(sender: str, idempotency_key: str) -> str:
    return "j" + hashlib.sha256(f"{sender}\n{idempotency_key}".encode()).hexdigest()[:24]


def fingerprint(description: dict) -> str:
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()


def check_sender(rt, sender: str | None) -> str:
    """The sender, lower-cased, if automation may send as it; NotAllowed naming it if not."""
    address = (sender or "").strip().lower()
    if not address:
        raise NotAllowed("from", "name the mailbox to send as (app-only sending has no "
                         "signed-in user)")
    if address not in rt.senders:
        allowed = ", ".join(rt.senders) or "none (AUTOMATION_SENDERS is empty)"
        raise NotAllowed("from", f"automation may not send as {address}: it is not in "
                         f"AUTOMATION_SENDERS (allowed: {allowed})")
    return address


def build(rt, description: dict, idempotency_key: str, kind: str = "api",
          batch: str | None = None, not_before: float | None = None, **source) -> dict:
    """The job's record for ``description`` (checked; PlanRefused when no plan fits)."""
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= IDEMPOTENCY_MAX:
        raise AutomationError("idempotency_key", f"give a key of 1 to {IDEMPOTENCY_MAX} "
                              "characters")
    sender = check_sender(rt, description.get("from") if isinstance(description, dict) else None)
    prepared = check(description, max_recipients=rt.cfg["MAX_RECIPIENTS"], me_address=sender)
    job_id = job_id_for(sender, idempotency_key)
    chosen = plan(prepared, rt.limits, job_id)
    refusal = rt.pace.refusal(prepared.recipient_count)
    if refusal:
        raise AutomationError("to", refusal)
    return records.description_job(
        job_id, kind, sender, description, acting.APP, prepared, chosen.kind, batch=batch,
        not_before=not_before, key=idempotency_key, fingerprint=fingerprint(description),
        **source)


def submit(rt, description: dict, idempotency_key: str, kind: str = "api",
           batch: str | None = None, not_before: float | None = None,
           **source) -> tuple[str, bool]:
    """Record and queue one message: (its job id, True when it was submitted before).
    ``source``: where its files wait (``held_files``)."""
    record = build(rt, description, idempotency_key, kind, batch, not_before, **source)
    stored, made = engine.submit(rt, record, replaceable=())
    same_message(stored, record)
    return record["id"], not made


def submit_many(rt, messages: list[tuple[dict, str]], kind: str, batch: str,
                not_before: float | None = None, **source) -> list[str]:
    """``submit`` for many messages of one sender ((description, idempotency key) each, a
    merge's rows), handed to the engine together; their job ids, in order."""
    records = [build(rt, d, key, kind, batch, not_before, **source) for d, key in messages]
    for stored, record in zip(engine.submit_many(rt, records, replaceable=()), records):
        same_message(stored, record)
    return [r["id"] for r in records]


def same_message(stored: dict, record: dict) -> None:
    """A key used again must name the same message."""
    if stored.get("fingerprint") not in (None, record["fingerprint"]):
        raise AutomationError("idempotency_key", "this key was used for a different message: "
                              "use a new key for a new message")


def status(rt, job_id: str) -> dict | None:
    """The job as a program sees it: state, times, error (not the message, not the token)."""
    record = rt.lanes.get(job_id)
    return records.public(record, listing=True) if record else None
