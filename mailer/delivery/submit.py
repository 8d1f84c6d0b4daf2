"""Handing a job to the engine, waiting a moment for its outcome, cancelling it, holding a
batch's jobs and letting them go: the calls every sender makes (the compose page, the API,
the CLI, merges).

``submit`` records the job and puts it in its mailbox's lane in one step (lanes.py), unless
the same job is already on its way (a double click, a retried request: its record comes back
instead), and starts a runner when the lane has none; ``submit_due`` also says, from the same
step, how soon the job may go. Nothing is sent by the caller: a worker
sends it, whether or not the caller waits, comes back, or lives.
"""
from __future__ import annotations

import time

from mailer.delivery.held import forget_files
from mailer.delivery.outcomes import (ACTIVE, CANCELLED, HELD, QUEUED, RECEIVING, REPLACEABLE,
                                      SCHEDULED, SENDING, WAITING)
from mailer.delivery.records import entry_of
from mailer.graph.errors import GraphError


class Refused(ValueError):
    """The job can never be sent as it is (e.g. more recipients than a day allows)."""


def submit(rt, record: dict, replaceable: tuple[str, ...] = REPLACEABLE) -> tuple[dict, bool]:
    """(the job's record as stored, True when this call made it). A job of the same id in a
    state not ``replaceable`` comes back as it is: a person may send again what failed; a
    program's Idempotency-Key names one job whatever became of it (``replaceable=()``)."""
    stored, made, _ = submit_due(rt, record, replaceable)
    return stored, made


def submit_due(rt, record: dict,
               replaceable: tuple[str, ...] = REPLACEABLE) -> tuple[dict, bool, float | None]:
    """``submit``, and the seconds until the job may go when it is next in its lane (None:
    it waits behind others, for a pause or for its time), told by the same step: the compose
    page waits for the outcome only of a send that goes at once."""
    refusal = rt.pace.refusal(record["lane"]["recipients"])
    if refusal:
        raise Refused(refusal)
    done = _into_lane(rt, record, replaceable)
    return done.record, done.made, done.due_in


def _into_lane(rt, record: dict, replaceable: tuple[str, ...]):
    """One job into its lane, the runner's start queued in the same step where the queue
    allows it (Redis), else after it."""
    done = rt.lanes.submit(record, entry_of(record), replaceable,
                           rt.queue.kick_entry(record["mailbox"], record["kind"]))
    if done.kick and not done.kicked:
        rt.queue.kick(record["mailbox"], record["kind"])
    return done


def submit_many(rt, records: list[dict], replaceable: tuple[str, ...] = REPLACEABLE) -> list[dict]:
    """``submit`` for many jobs of one mailbox (a merge's rows), in as few steps as the
    backend needs (the file backend writes its lane once); each record as stored."""
    for record in records:
        refusal = rt.pace.refusal(record["lane"]["recipients"])
        if refusal:
            raise Refused(refusal)
    if not records:
        return []
    stored, kick = rt.lanes.submit_many([(r, entry_of(r)) for r in records], replaceable)
    if kick:
        rt.queue.kick(records[0]["mailbox"], records[0]["kind"])
    return stored


def claim(rt, record: dict, replaceable: tuple[str, ...] = ()) -> tuple[dict, bool]:
    """An API submit that still receives its files: recorded, not yet in a lane (``hand_in``
    puts it there once its files are in place), unless a job of that id is there in a state
    not ``replaceable``: (the record as stored, True when made now)."""
    return rt.lanes.claim(record, replaceable)


def hand_in(rt, record: dict) -> dict:
    """A claimed job whose files arrived: into its lane (the intake's lease ends with it)."""
    return _into_lane(rt, record, (RECEIVING,)).record


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


def hold(rt, mailbox: str, job_ids: list[str]) -> int:
    """Hold these jobs of ``mailbox``'s lane (a merge paused): the ones waiting are taken out,
    "held", in one step; one a worker is sending finishes, and if it comes back to the lane
    (a 429) it is held then. How many were taken out now."""
    now = time.time()

    def held(record: dict) -> dict:
        return {**record, "state": HELD, "phase": "held", "held_from": record.get("state"),
                "updated": now}
    return len(rt.lanes.hold(mailbox, job_ids, held))


def release(rt, mailbox: str, job_ids: list[str]) -> int:
    """Put held jobs back in their lane, where they were (a scheduled or waiting one keeps its
    time), and start a runner if the lane has none; how many went back."""
    now = time.time()

    def released(record: dict) -> dict:
        if record.get("state") != HELD:
            return record  # parked by a requeue while held: its record says what it waits for
        was, until = record.get("held_from"), {SCHEDULED: record.get("not_before"),
                                               WAITING: record.get("waiting_until")}
        state = was if (until.get(was) or 0) > now else QUEUED
        return {**record, "state": state, "phase": "waiting" if state == WAITING else "queued",
                "held_from": None, "updated": now}
    back, kick = rt.lanes.release(mailbox, job_ids, released)
    if kick:
        rt.queue.kick(mailbox, "merge")
    return len(back)
