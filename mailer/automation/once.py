"""One job, sent exactly once, whichever worker runs it and however many die on the way.

A job's record (``job:<id>``) says where it stands: queued, waiting, sending, sent or failed.
A worker acts on it only while holding its lease (mailer/sending/lease.py: renewed by a
heartbeat, so it runs out only when the worker is dead or stuck) and writes only through it.
Before a request goes out the record says "sending", with the time; so a worker that finds
"sending" knows the last holder died with the message possibly handed over. It then looks in
the sender's Sent Items for the job's ``x-mailer-draft-id`` tag (deliver.sent_copy): found,
the job is sent; not found, it was not, and it goes again. A job the API made a draft for in
the sender's mailbox (intake.py) is sent by ``POST …/messages/{id}/send``; after a death
mid-send, that draft no longer being a draft also means sent. A send whose answer was lost is
left "sending" and looked at the same way after a lease's length (Sent Items may lag).
A 429 pauses the sender's lane for its Retry-After (Later); a refusal fails the job, in words.
"""
from __future__ import annotations

import logging
import time

from mailer.automation.app_token import TokenUnavailable
from mailer.automation.deliver import deliver, discard_tagged_drafts, sent_copy, still_a_draft
from mailer.automation.errors import AutomationError, Later
from mailer.automation.held import INCOMPLETE, RECEIVING, forget_files, reader
from mailer.automation.message import check
from mailer.graph.errors import GraphError
from mailer.sending.lease import Lease

logger = logging.getLogger(__name__)

FINAL = ("sent", "failed", "cancelled")  # cancelled: by an admin or an API key, while queued
UNAVAILABLE_WAIT = 5.0  # seconds before trying again after 503/504 or no token


def job_key(job_id: str) -> str:
    return f"job:{job_id}"


def run(rt, job_id: str, ticket: str | None = None) -> str:
    """Run the job if it is still to do and nobody else holds it; its state afterwards
    ("held": another worker has it; "stale": a newer ticket replaced this task).
    Raises Later when its lane cannot take it now."""
    record = rt.store.get(job_key(job_id))
    if record is None or record["state"] in FINAL:
        return record["state"] if record else "missing"
    if ticket is not None and record.get("ticket") != ticket:
        return "stale"
    lease = Lease(rt.store, job_key(job_id), rt.lease_seconds)
    if not lease.take():
        return "held"
    lease.start_heartbeat()
    try:
        return _held(rt, job_id, lease)
    finally:
        lease.release()


def _save(lease: Lease, record: dict, **changes) -> None:
    record.update(changes, updated=time.time())
    if not lease.put(job_key(record["id"]), record):
        raise Later(0.0, "the job's lease was lost to another worker")


def _fail(lease: Lease, record: dict, code: str, words: str) -> str:
    _save(lease, record, state="failed", error={"code": code, "message": words})
    logger.info("job %s failed: %s %s", record["id"], code, words)
    return "failed"


def _held(rt, job_id: str, lease: Lease) -> str:
    record = rt.store.get(job_key(job_id))
    if record["state"] in FINAL:
        return record["state"]
    if record["state"] == RECEIVING:
        return _abandoned(rt, lease, record)
    sender, client, draft = record["sender"], rt.graph(), record.get("draft")
    read = reader(rt.store, job_id) if record.get("files") == "store" else None
    try:
        prepared = check(record["description"], max_recipients=rt.cfg["MAX_RECIPIENTS"],
                         me_address=sender, read=read)
    except AutomationError as exc:  # a file removed since it was submitted, for one
        return _fail(lease, record, "InvalidMessage", str(exc))
    try:
        if record["state"] == "sending":  # the last holder died (or lost the answer) mid-send
            if sent_copy(client, sender, job_id, record["sending_at"]) or (
                    draft and not still_a_draft(client, sender, draft)):
                _save(lease, record, state="sent", sent_at=record["sending_at"], recovered=True)
                forget_files(rt.store, record)
                return "sent"
            if prepared.attachments and not draft:  # a draft made at send: half-made
                discard_tagged_drafts(client, sender, job_id)
            _save(lease, record, state="waiting", recovered=True)
    except (GraphError, TokenUnavailable) as exc:
        raise Later(UNAVAILABLE_WAIT, f"could not look in Sent Items ({exc})") from None
    slot = rt.lanes.enter(sender, prepared.recipient_count)
    try:
        _save(lease, record, state="sending", sending_at=time.time(),
              attempts=record.get("attempts", 0) + 1)
        try:
            if draft:  # the API made it in the sender's mailbox (intake.py)
                client.send_draft(draft, mailbox=sender)
                kind = "draft"
            else:
                kind = deliver(client, sender, prepared, job_id, rt.limits())
        except GraphError as exc:
            if draft and exc.status == 404:
                return _draft_gone(rt, lease, record)
            return _after_error(rt, lease, record, exc)
        except TokenUnavailable as exc:
            _save(lease, record, state="waiting")
            raise Later(UNAVAILABLE_WAIT, str(exc)) from None
        except AutomationError as exc:
            return _fail(lease, record, "InvalidMessage", str(exc))
        _save(lease, record, state="sent", sent_at=time.time(), plan=kind, error=None)
        forget_files(rt.store, record)
        return "sent"
    finally:
        slot.release()


def _abandoned(rt, lease: Lease, record: dict) -> str:
    """A job whose files never all arrived: the request receiving them died with its instance
    (its lease ran out). Nothing was sent; its half-made draft goes; a retried submit under
    its key receives the files again (intake.py)."""
    if time.time() - record.get("updated", record["created"]) < rt.lease_seconds:
        raise Later(rt.lease_seconds, "its files are still arriving")
    try:
        discard_tagged_drafts(rt.graph(), record["sender"], record["id"])
    except (GraphError, TokenUnavailable) as exc:
        raise Later(UNAVAILABLE_WAIT, f"could not remove its half-made draft ({exc})") from None
    record.pop("draft", None)
    return _fail(lease, record, INCOMPLETE, "The instance receiving the message's files stopped "
                 "before they all reached the sender's mailbox; nothing was sent. Submit it "
                 "again (the same Idempotency-Key is fine).")


def _draft_gone(rt, lease: Lease, record: dict) -> str:
    """The draft to send is not in the mailbox: sent already (its copy in Sent Items), or
    deleted there by someone."""
    if sent_copy(rt.graph(), record["sender"], record["id"], record["created"]):
        _save(lease, record, state="sent", sent_at=time.time(), plan="draft", recovered=True)
        return "sent"
    return _fail(lease, record, "ErrorItemNotFound", "The message's draft is no longer in the "
                 "sender's mailbox (deleted there?); it was not sent.")


def _after_error(rt, lease: Lease, record: dict, exc: GraphError) -> str:
    sender = record["sender"]
    if exc.outcome_unknown:  # stays "sending": looked for in Sent Items after a lease's length
        raise Later(rt.lease_seconds, "the send's answer was lost")
    if exc.status == 429:
        wait = exc.retry_after if exc.retry_after is not None else UNAVAILABLE_WAIT
        rt.lanes.pause(sender, wait)
        _save(lease, record, state="waiting", throttled=record.get("throttled", 0) + 1,
              error={"code": exc.code, "message": exc.message})
        raise Later(wait, f"{sender} throttled ({exc.code})")
    if exc.status in (0, 503, 504):  # nothing was processed: safe to send again later
        _save(lease, record, state="waiting", error={"code": exc.code, "message": exc.message})
        raise Later(exc.retry_after or UNAVAILABLE_WAIT, f"Graph unavailable ({exc.code})")
    return _fail(lease, record, exc.code, words(exc))


def words(exc: GraphError) -> str:
    """A Graph refusal, said plainly (Graph's code is kept beside it in the record)."""
    if exc.status in (401, 403):
        return ("Microsoft Graph refused the app: it needs the Mail.Send application "
                f"permission with admin consent, and access to this mailbox ({exc.message})")
    if exc.status == 404:
        return f"The sender's mailbox was not found ({exc.message})"
    return f"Microsoft Graph refused the message: {exc.message}"
