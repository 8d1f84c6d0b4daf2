"""A send job's record: one JSON object in the job store, the same for every sender.

    id, kind           the job's id (a compose job's is its draft's); compose | api | cli | merge
    owner              the person whose Outbox lists it (None: a program's)
    mailbox, lane      the sender mailbox whose lane paces it; its priority, recipients, and
                       whether its slot is taken when a worker takes it (no files to upload first)
    acting             whom it acts as (acting.py): the app, or the person (their token, sealed)
    compose            a compose job's message as it was when Send was pressed: Graph's JSON,
                       its From, its files' entries in the draft store, its mailbox draft
    description        a program's message (sending/description.py); held_files: its files'
                       bytes wait in the job store (held.py); draft: the API made it a draft in
                       the sender's mailbox already
    state, phase       outcomes.py's states; the step under way (creating draft, uploading, ...)
    code, detail,      why it ended so, the facts behind it, Graph's code, and for programs
    error_code, error  the error in words; needs_sign_in when only a new sign-in helps
    subject, to        for the Outbox and notices
    files, bytes_*     progress of its attachments
    not_before         scheduled: not handed over before then; waiting_until / waiting_for: a
                       pause and its reason; handed_at: the last hand-over attempt
    graph_message_id   the draft it is sent from, once there is one
    attempts, throttled, created, updated, sent_at, batch

Records hold data only; the pages and the API put them in words.
"""
from __future__ import annotations

import time

from mailer.delivery.book import PRIORITY, Entry
from mailer.delivery.outcomes import QUEUED, SCHEDULED
from mailer.sending.compose import PreparedMessage
from mailer.sending.plan import SENDMAIL, SendPlan

SECRET = ("acting",)  # never shown: the sealed token
PROGRAM_ONLY = ("description", "compose", "lane")  # the message itself: not in a listing


def _summary(message: dict) -> dict:
    to = [r["emailAddress"]["address"] for r in message.get("toRecipients") or []]
    return {"subject": message.get("subject") or "", "to": to[:5]}


def _base(job_id: str, kind: str, owner: str | None, mailbox: str, acting: dict,
          recipients: int, reserve: bool, not_before: float | None) -> dict:
    now = time.time()
    scheduled = bool(not_before and not_before > now)
    return {"id": job_id, "kind": kind, "owner": owner, "mailbox": mailbox.lower(),
            "lane": {"priority": PRIORITY[kind], "recipients": recipients,
                     "reserve": reserve},
            "acting": acting, "state": SCHEDULED if scheduled else QUEUED, "phase": "queued",
            "code": None, "detail": {}, "error_code": None, "error": None,
            "needs_sign_in": False, "not_before": not_before if scheduled else None,
            "waiting_until": None, "waiting_for": None, "attempts": 0, "throttled": 0,
            "created": now, "updated": now, "sent_at": None, "graph_message_id": None,
            "bytes_done": 0, "bytes_total": 0, "files": []}


def compose_job(draft_id: str, owner: str, mailbox: str, prepared: PreparedMessage,
                plan: SendPlan, acting: dict, entries: list[dict],
                not_before: float | None = None) -> dict:
    """A person's Send on the compose page: the message as it is now, its files as entries
    of the draft store (their bytes are read when the job runs)."""
    record = _base(draft_id, "compose", owner, mailbox, acting, prepared.recipient_count,
                   plan.kind == SENDMAIL, not_before)
    record.update(_summary(prepared.message), plan=plan.kind, from_address=prepared.from_address,
                  save_to_sent_items=prepared.save_to_sent_items, bytes_total=plan.total_bytes,
                  files=[{"name": a.name, "size": a.size, "done": 0}
                         for a in prepared.attachments],
                  compose={"draft_id": draft_id, "message": prepared.message,
                           "from_address": prepared.from_address,
                           "save_to_sent_items": prepared.save_to_sent_items,
                           "recipients": prepared.recipient_count, "files": entries,
                           "mailbox_draft": plan.graph_id})
    return record


def description_job(job_id: str, kind: str, sender: str, description: dict, acting: dict,
                    prepared: PreparedMessage, plan_kind: str, owner: str | None = None,
                    batch: str | None = None, not_before: float | None = None,
                    **source) -> dict:
    """A program's message (API, CLI, a merge row), sent from ``sender``. ``source``:
    held_files, draft (the API's own), key and fingerprint (its idempotency)."""
    record = _base(job_id, kind, owner, sender, acting, prepared.recipient_count,
                   plan_kind == SENDMAIL and not source.get("draft"), not_before)
    record.update(_summary(prepared.message), plan=plan_kind, sender=sender.lower(),
                  from_address=None, save_to_sent_items=prepared.save_to_sent_items,
                  description=description, batch=batch or f"job:{job_id}",
                  bytes_total=sum(a.size for a in prepared.attachments),
                  files=[{"name": a.name, "size": a.size, "done": 0}
                         for a in prepared.attachments], **source)
    return record


def entry_of(record: dict, not_before: float | None = None) -> Entry:
    """How the job waits in its lane (again, after a pause: ``not_before``)."""
    lane = record["lane"]
    return Entry(record["mailbox"], lane["priority"], lane["recipients"], lane["reserve"],
                 not_before if not_before is not None else record.get("not_before"))


def public(record: dict, listing: bool = False) -> dict:
    """The record without its sealed token (and, in a listing, without the message)."""
    hidden = SECRET + (PROGRAM_ONLY if listing else ())
    return {k: v for k, v in record.items() if k not in hidden}
