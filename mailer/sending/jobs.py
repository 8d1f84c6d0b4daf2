"""Send jobs: run a send plan in a background thread, with progress any worker can read.

Idempotent by construction: a job is keyed by its draft id and starts only after an atomic
claim on that id (store.py; the running send holds a lease, lease.py), so a double click, a
page refresh or a retried request returns the existing job instead of sending again; a sent
draft's claim is never released. Only a definite "not sent" releases it, so the person can fix
the problem and send again.

When a send's connection drops after the request went out, the job does not resend: for the
draft path it asks Graph for the draft (gone, or ``isDraft`` false → sent); for sendMail it
looks in Sent Items for the ``x-mailer-draft-id`` header the message carries. The outcome is
then one of "sent", "not_sent" or "unknown" (could not confirm: check Sent Items).

A running send holds a short lease in the store (lease.py, SEND_LEASE), renewed by a heartbeat
while it works or sleeps; every write of its record is guarded by it. When an instance dies its
lease expires within seconds, and ``recover`` (called by whichever instance serves the person's
next status poll, with their token) takes it over atomically and settles the send from what
Graph says (confirm.py): sent, finished under the new lease, or released to send again.

Status fields (a plain dict, JSON-ready): draft_id, owner, state (running | sent | not_sent |
unknown), phase, plan, from_address (None: the user's own mailbox), bytes_done, bytes_total,
files [{name, size, done}], scopes, save_to_sent_items, graph_message_id, waiting_until (asleep on
Graph's Retry-After), code (why it ended so: one of the outcome codes below, None while
running or once sent), detail (the facts behind it: the Graph error's fields, the file being
attached, the exception's name), error_code (Graph's code), needs_sign_in, started, updated.
Records hold data only; mailer/web/words.py says it in words.
"""
from __future__ import annotations

import logging
import threading
import time

from mailer.graph.client import GraphClient
from mailer.graph.errors import GraphError, needs_sign_in
from mailer.sending.compose import PreparedMessage
from mailer.sending.confirm import Confirming
from mailer.sending.lease import Lease, lease_key
from mailer.sending.outcomes import (  # noqa: F401 - the names callers know as jobs.X
    ALREADY_SENDING, FAILED, GRAPH_REFUSED, INTERRUPTED, INTERRUPTED_NOT_SENT,
    LOST_WHILE_PREPARING, NOT_IN_SENT_ITEMS, NOT_SENT, NOT_TAKEN, RUNNING, SENT,
    SIGN_IN_EXPIRED, UNCONFIRMED, UNCONFIRMED_NOT_SAVED, UNKNOWN, LeaseLost, graph_detail)
from mailer.sending.plan import SENDMAIL, SendPlan
from mailer.sending.steps import SendSteps
from mailer.sending.store import KeyValueStore

logger = logging.getLogger(__name__)

class SendJobs(SendSteps, Confirming):
    """Starts each draft's send at most once and runs it in a background thread.

    ``start`` claims the draft id atomically in ``store`` (a second Send finds the running job),
    then sends through the plan's path; progress and the outcome (state, code, detail) are saved
    to ``store`` as they change, so any worker's ``status`` reads them. A lost answer is checked
    against the mailbox, never resent; only a definite "not sent" frees the draft to send again.
    """

    def __init__(self, store: KeyValueStore, drafts=None, *, confirm_tries: int,
                 confirm_delay: float, lease_seconds: float, sleep=time.sleep,
                 auth_errors: tuple[type[BaseException], ...] = (), on_finish=None):
        self.store, self.drafts = store, drafts
        self.on_finish = on_finish  # called with each finished job (e.g. to learn From rights)
        # Exceptions the token provider raises when only a fresh sign-in helps.
        self.auth_errors = auth_errors
        self.confirm_tries, self.confirm_delay, self.sleep = confirm_tries, confirm_delay, sleep
        self.lease_seconds = lease_seconds  # SEND_LEASE: a dead instance's send waits this long
        self._threads: dict[str, threading.Thread] = {}
        self._leases: dict[str, Lease] = {}  # this process's running sends

    def status(self, draft_id: str, owner: str) -> dict | None:
        """The job of ``draft_id`` as any worker sees it; None if none (or not this owner's)."""
        job = self.store.get(f"job:{draft_id}")
        if not job or job.get("owner") != owner:
            return None
        return job

    def orphaned(self, job: dict | None) -> bool:
        """True for a running send that no live instance holds: its lease expired."""
        return bool(job and job["state"] == RUNNING
                    and self.store.lease_holder(lease_key(job["draft_id"])) is None)

    def recover(self, draft_id: str, owner: str, client: GraphClient,
                background: bool = True) -> dict | None:
        """Take an orphaned send over and settle it with Graph (confirm.py); the job as it is now.

        Only the caller whose atomic takeover wins acts; the others see it "confirming"."""
        job = self.status(draft_id, owner)
        if not self.orphaned(job):
            return job
        lease = Lease(self.store, draft_id, self.lease_seconds)
        if not lease.take():
            return self.status(draft_id, owner)
        job = self.status(draft_id, owner)  # as the dead instance last wrote it
        if job is None or job["state"] != RUNNING:
            lease.release()
            return job
        logger.info("send job %s: lease expired in phase %s; taken over", draft_id, job["phase"])
        return self._launch(job, lease, self._take_over, (job, client), background)

    def start(self, draft_id: str, owner: str, prepared: PreparedMessage, plan: SendPlan,
              client: GraphClient, background: bool = True) -> tuple[dict, bool]:
        """Start sending unless this draft already has a job; returns (status, started)."""
        files = [{"name": a.name, "size": a.size, "done": 0} for a in prepared.attachments]
        now = time.time()
        # A sendMail's first step is the send itself: its record says "sending" from the start
        # (one write less per send; a takeover then looks in Sent Items before offering again).
        phase = "sending" if plan.kind == SENDMAIL else "queued"
        job = {"draft_id": draft_id, "owner": owner, "state": RUNNING, "phase": phase,
               "plan": plan.kind, "from_address": prepared.from_address,
               "scopes": list(plan.scopes), "save_to_sent_items": prepared.save_to_sent_items,
               "bytes_done": 0, "bytes_total": plan.total_bytes,
               "files": files, "code": None, "detail": {}, "error_code": None,
               "needs_sign_in": False, "started": now, "updated": now,
               "graph_message_id": plan.graph_id}
        lease = Lease(self.store, draft_id, self.lease_seconds)
        # The once-only claim, the lease and the job's first record: one atomic step.
        began = lease.begin(f"claim:{draft_id}", {"owner": owner, "at": now},
                            f"job:{draft_id}", job)
        if began == "claimed":
            existing = self.status(draft_id, owner)
            return (existing or {**job, "code": ALREADY_SENDING}), False
        if began == "leased":  # a takeover of this draft's last send still holds it
            return {**job, "code": ALREADY_SENDING}, False
        return self._launch(job, lease, self._send, (job, prepared, plan, client), background,
                            saved=True), True

    def _launch(self, job: dict, lease: Lease, work, args: tuple, background: bool,
                saved: bool = False) -> dict:
        """Save the job under its lease (unless ``saved``), then run ``work`` with the
        heartbeat on."""
        draft_id = job["draft_id"]
        self._leases[draft_id] = lease
        lease.start_heartbeat()
        try:
            if not saved:
                self._save(job)
        except LeaseLost:
            self._end(draft_id)
            return job
        if not background:
            self._run(draft_id, work, args)
            return job
        thread = threading.Thread(target=self._run, args=(draft_id, work, args),
                                  name=f"send-{draft_id[:8]}", daemon=True)
        self._threads[draft_id] = thread
        thread.start()
        return dict(job)

    def wait(self, draft_id: str, timeout: float = 60.0) -> None:
        """Block until this process's thread for ``draft_id`` ends (tests, CLI)."""
        thread = self._threads.get(draft_id)
        if thread:
            thread.join(timeout)

    # -- the worker --------------------------------------------------------------------------
    def _save(self, job: dict) -> None:
        job["updated"] = time.time()
        lease = self._leases.get(job["draft_id"])
        if lease is None or not lease.put(f"job:{job['draft_id']}", job):
            raise LeaseLost(job["draft_id"])

    def _act(self, job: dict) -> None:
        """Right before handing the message to Graph: renew, and stop if taken over meanwhile."""
        lease = self._leases.get(job["draft_id"])
        if lease is None or not lease.held_for_sure():
            raise LeaseLost(job["draft_id"])

    def _phase(self, job: dict, phase: str, **detail) -> None:
        job.update(phase=phase, detail=detail)
        self._save(job)

    def _finish(self, job: dict, state: str, code: str | None = None,
                error: GraphError | None = None, **detail):
        if error is not None:
            detail["graph"] = graph_detail(error)
        job.update(state=state, phase="done", code=code, detail=detail,
                   error_code=error.code if error else None,
                   needs_sign_in=bool(error and needs_sign_in(error)))
        if state == SENT:
            job["bytes_done"] = job["bytes_total"]
            for f in job["files"]:
                f["done"] = f["size"]
        self._save(job)
        if state == NOT_SENT:  # a definite failure: the person may fix it and send again
            self.store.delete(f"claim:{job['draft_id']}")
        elif state == SENT and self.drafts is not None:
            try:
                self.drafts.mark_sent(job["draft_id"])
            except Exception:  # the mail is sent; a tidy-up failure must not say otherwise
                logger.exception("could not mark draft %s as sent", job["draft_id"])
        if self.on_finish is not None:
            try:
                self.on_finish(job)
            except Exception:  # a hint store failing must not change the send's outcome
                logger.exception("on_finish failed for send job %s", job["draft_id"])
        logger.info("send job %s: %s", job["draft_id"], state)

    def _run(self, draft_id: str, work, args: tuple) -> None:
        try:
            work(*args)
        except LeaseLost:
            logger.warning("send job %s: taken over by another instance; this one stops", draft_id)
        finally:
            self._end(draft_id)

    def _end(self, draft_id: str) -> None:
        lease = self._leases.pop(draft_id, None)
        if lease is not None:
            lease.release()
        self._threads.pop(draft_id, None)  # finished: wait() has nothing to join
