"""Handing a job to the engine, waiting a moment for its outcome, cancelling it: the calls
every sender makes (the compose page, the API, the CLI, merges).

``submit`` records the job and puts it in its mailbox's lane in one step (lanes.py), unless
the same job is already on its way (a double click, a retried request: its record comes back
instead), and starts a runner when the lane has none. Nothing is sent by the caller: a worker
sends it, whether or not the caller waits, comes back, or lives.
"""
from __future__ import annotations

import time

from mailer.delivery.held import forget_files
from mailer.delivery.outcomes import ACTIVE, CANCELLED, RECEIVING, REPLACEABLE, SENDING
from mailer.delivery.records import entry_of
from mailer.graph.errors import GraphError


class Refused(ValueError):
    """The job can never be sent as it is (e.g. more recipients than a day allows)."""


def submit(rt, record: dict, replaceable: tuple[str, ...] = REPLACEABLE) -> tuple[dict, bool]:
    """(the job's record as stored, True when this call made it). A job of the same id in a
    state not ``replaceable`` comes back as it is: a person may send again what failed; a
    program's Idempotency-Key names one job whatever became of it (``replaceable=()``)."""
    refusal = rt.pace.refusal(record["lane"]["recipients"])
    if refusal:
        raise Refused(refusal)
    stored, made, kick = rt.lanes.submit(record, entry_of(record), replaceable)
    if kick:
        rt.queue.kick(record["mailbox"], record["kind"])
    return stored, made


def claim(rt, record: dict, replaceable: tuple[str, ...] = ()) -> tuple[dict, bool]:
    """An API submit that still receives its files: recorded, not yet in a lane (``hand_in``
    puts it there once its files are in place), unless a job of that id is there in a state
    not ``replaceable``: (the record as stored, True when made now)."""
    return rt.lanes.claim(record, replaceable)


def hand_in(rt, record: dict) -> dict:
    """A claimed job whose files arrived: into its lane (the intake's lease ends with it)."""
    stored, _, kick = rt.lanes.submit(record, entry_of(record), (RECEIVING,))
    if kick:
        rt.queue.kick(record["mailbox"], record["kind"])
    return stored


def wait(rt, job_id: str, timeout: float) -> bool:
    """True once the job ended (within ``timeout`` seconds); its record says how."""
    return rt.lanes.wait_done(job_id, timeout)


def cancel(rt, job_id: str) -> tuple[bool, str]:
    """Cancel a job still waiting in its lane (queued, scheduled, waiting): (done, its state
    now: "cancelled", or what kept it: "sending" while a worker holds it, a final state,
    "missing"). A draft the API made in the sender's mailbox is deleted after (best effort:
    the job is cancelled either way)."""
    now = time.time()
    record = rt.lanes.cancel(job_id, lambda r: {**r, "state": CANCELLED, "phase": "done",
                                                "cancelled_at": now, "updated": now})
    if record is None:
        found = rt.lanes.get(job_id)
        if found is None:
            return False, "missing"
        return False, SENDING if found["state"] in ACTIVE else found["state"]
    forget_files(rt.store, record)
    if record.get("draft"):
        try:
            rt.app_graph(record["sender"]).delete_message(record["draft"])
        except GraphError as exc:  # it stays in the sender's Drafts: the record says so
            record = {**record, "draft_left": exc.code}
            rt.store.put(f"job:{job_id}", record)
    return True, CANCELLED
