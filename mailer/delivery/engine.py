"""The one send engine: a job taken from its lane, sent exactly once, whoever asked for it.

A worker's runner (runner.py) takes a job from its mailbox's lane with a lease (set in the
same step) and hands it here. ``run`` builds the message again from the record (sources.py),
picks the Graph client of whom it acts as (acting.py), settles first what an earlier worker
may have left (confirm.py), then runs the plan's steps (steps.py): every write of the record
goes through the lease, so a worker that lost it can no longer act or write; the hand-over
(sendMail, POST …/send) waits for the lane's slot.

A step that cannot go on now raises Later: Graph's Retry-After (the lane is paused for
everyone sending from that mailbox), Graph or the sign-in service unavailable, a lost answer
to confirm later. The job goes back to its lane, waiting, and comes back by itself; after
GIVE_UP of such waits it fails with the last reason. Graph's refusals end it "failed" with
Graph's code; a lost answer that cannot be settled ends it "unknown". The person sees every
outcome: the record, their Outbox, a notice on their next page.
"""
from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

import redis

from mailer.delivery import acting, sources
from mailer.delivery.book import Go
from mailer.delivery.confirm import Confirming
from mailer.delivery.held import forget_files
from mailer.delivery.outcomes import (FAILED, FAILED_INTERNALLY, FILES_INCOMPLETE, FINAL,
                                      FOR_GRAPH, FOR_PACE, FOR_THROTTLING, FOR_TOKEN,
                                      GRAPH_REFUSED, INVALID, RECEIVING, SENDING, SENT,
                                      SIGN_IN_EXPIRED, UNKNOWN, WAITING, Later, LeaseLost,
                                      StoreDown, graph_detail)
from mailer.delivery.records import entry_of
from mailer.delivery.steps import SendSteps
from mailer.delivery.wording import program_error
from mailer.graph.errors import SIGN_IN_UNAVAILABLE, GraphError, needs_sign_in
from mailer.sending import recovery
from mailer.sending.description import AutomationError
from mailer.sending.draft_files import DraftError
from mailer.sending.lease import Lease

logger = logging.getLogger(__name__)

GIVE_UP = 24 * 3600.0  # seconds of Graph or the sign-in service unavailable before "failed"
BACKOFF_MAX = 300.0  # seconds between tries when Graph gives no Retry-After


@dataclass
class Run:
    job: dict
    lease: Lease
    go: Go
    runner: str | None
    slot_at: float | None  # monotonic time of the slot granted at take, if any
    result: str = "more"
    client: object = None  # the job's Graph client, once built


@contextlib.contextmanager
def store_errors():
    """The shared store failing (Redis down, a disk error) is StoreDown: never an outcome."""
    try:
        yield
    except (redis.RedisError, OSError) as exc:
        raise StoreDown(f"{type(exc).__name__}: {exc}") from exc


class Engine(SendSteps, Confirming):
    """Runs jobs for the worker whose runner took them; one Engine serves every thread."""

    def __init__(self, rt, sleep=time.sleep):
        self.rt, self.lanes, self.store, self.sleep = rt, rt.lanes, rt.store, sleep
        cfg = rt.cfg
        self.confirm_tries, self.confirm_delay = cfg["SEND_CONFIRM_TRIES"], cfg["SEND_CONFIRM_DELAY"]
        self.lease_seconds = cfg["SEND_LEASE"]
        self._runs: dict[str, Run] = {}

    def run(self, go: Go, runner: str | None = None) -> str:
        """Run the job ``go`` names; "idle" (the runner was let go), "more" or "lost"."""
        job = go.record if go.record is not None else self.lanes.get(go.job_id)
        lease = Lease(self.store, f"job:{go.job_id}", self.lease_seconds, token=go.token)
        run = Run(job, lease, go, runner,
                  time.monotonic() + go.delay if job and job["lane"]["reserve"] else None)
        self._runs[go.job_id] = run
        lease.start_heartbeat()
        try:
            if job is None:
                logger.warning("job %s: no record (expired?); dropped", go.job_id)
                return "more"
            if job["state"] in FINAL:
                return self.lanes.finish(job, go.token, runner)
            self._attempt(run)
            return run.result
        except LeaseLost:
            logger.warning("job %s: taken over by another worker; this one stops", go.job_id)
            return "lost"
        except StoreDown as exc:
            logger.warning("job %s: the store is unreachable (%s); the sweep settles it later",
                           go.job_id, exc)
            return "lost"
        finally:
            self._runs.pop(go.job_id, None)
            lease.release()

    def _attempt(self, run: Run) -> None:
        job = run.job
        job["attempts"] = job.get("attempts", 0) + 1
        try:
            if job["state"] == RECEIVING:
                return self._abandoned(job)
            try:
                source = sources.load(self.rt, job)
            except sources.Unsendable as exc:
                return self._finish(job, FAILED, INVALID, reason=str(exc))
            client = run.client = acting.client_for(self.rt, job["acting"], job.get("sender"))
            client.sleep = self._recorded_wait(job, client.sleep)
            if run.go.handed_before is not None or job["state"] == SENDING:
                return self._recover(job, source, client, run.go.handed_before)
            return self._send_now(job, source, client)
        except Later as later:
            return self._later(run, later)
        except (LeaseLost, StoreDown):
            raise
        except (AutomationError, DraftError) as exc:  # a file's bytes gone from the store
            return self._finish(job, FAILED, INVALID, reason=getattr(exc, "message", str(exc)))
        except Exception as exc:  # a disk or programming failure: still an outcome, not a loop
            logger.exception("job %s failed", job["id"])
            return self._finish(job, FAILED, FAILED_INTERNALLY, exception=type(exc).__name__)

    def _abandoned(self, job: dict) -> None:
        """An API submit whose files never all arrived: the request receiving them died with
        its instance (its lease ran out). Nothing was sent; its half-made draft goes; a retry
        under its Idempotency-Key receives the files again (automation/intake.py)."""
        client = self.rt.app_graph(job["sender"])
        try:
            for orphan in recovery.drafts_tagged(client, job["id"]):
                client.delete_message(orphan)
        except GraphError as exc:
            return self._failure(job, exc)
        job.pop("draft", None)
        self._finish(job, FAILED, FILES_INCOMPLETE)

    def _send_now(self, job: dict, source, client) -> None:
        if source.ready_draft:
            return self._send_the_draft(job, client, source.ready_draft)
        return self._steps(job, source, client)

    # -- the record, the lease and the slot ------------------------------------------------------
    def _save(self, job: dict) -> None:
        job["updated"] = time.time()
        run = self._runs.get(job["id"])
        with store_errors():
            if run is None or not run.lease.put(f"job:{job['id']}", job):
                raise LeaseLost(job["id"])

    def _phase(self, job: dict, phase: str, **detail) -> None:
        job.update(state=SENDING, phase=phase, detail=detail)
        self._save(job)

    def _act(self, job: dict) -> None:
        """Right before the hand-over: the lane's slot (taken now, unless given at take), then
        the lease renewed, or stop if another worker took the job meanwhile."""
        run = self._runs[job["id"]]
        if run.slot_at is None:
            got = self.lanes.reserve(job["mailbox"], job["lane"]["recipients"],
                                     self.rt.pace.wait_in_thread, job["id"])
            if not isinstance(got, float):
                raise Later(got.seconds, f"{job['mailbox']} is at its pace", FOR_PACE)
            run.slot_at = time.monotonic() + got
        wait = run.slot_at - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        job["handed_at"] = time.time()
        if not run.lease.held_for_sure():
            raise LeaseLost(job["id"])

    # -- outcomes --------------------------------------------------------------------------------
    def _failure(self, job: dict, exc: GraphError, handed: bool = False, cleanup=None,
                 **detail) -> None:
        """A Graph failure: wait and try again when nothing was processed (429, 503, 504, no
        connection, no token yet), else the job ends "failed" with Graph's words. ``cleanup``
        removes what this attempt half-made, on a refusal."""
        if exc.status == 429 or (exc.status in (0, 502, 503, 504) and not exc.outcome_unknown):
            if time.time() - job["created"] < GIVE_UP:
                waiting_for = (FOR_THROTTLING if exc.status == 429 else
                               FOR_TOKEN if exc.code == SIGN_IN_UNAVAILABLE else FOR_GRAPH)
                backoff = min(BACKOFF_MAX, 5.0 * 2 ** min(job.get("attempts", 1), 6))
                raise Later(exc.retry_after if exc.retry_after is not None else backoff,
                            f"{exc.status} {exc.code}", waiting_for, error=exc)
        if exc.outcome_unknown:  # a lost answer while preparing: nothing went out; again
            raise Later(1.0, "a lost answer while preparing", FOR_GRAPH, error=exc)
        if cleanup is not None:
            cleanup(job, self._runs[job["id"]].client)
        code = SIGN_IN_EXPIRED if needs_sign_in(exc) and job["acting"].get("as") == "person" \
            else GRAPH_REFUSED
        self._finish(job, FAILED, code, exc, **detail)

    def _later(self, run: Run, later: Later) -> None:
        job = run.job
        until = time.time() + later.seconds
        job.update(state=WAITING, phase="waiting", waiting_until=until,
                   waiting_for=later.waiting_for, updated=time.time())
        if later.error is not None:
            job["detail"] = {"graph": graph_detail(later.error)}
        if later.waiting_for == FOR_THROTTLING:
            job["throttled"] = job.get("throttled", 0) + 1
        logger.info("job %s: %s", job["id"], later)
        with store_errors():
            if later.waiting_for == FOR_THROTTLING:
                self.lanes.pause(job["mailbox"], later.seconds)  # for everyone sending from it
            requeued = self.lanes.requeue(job, run.go.token, entry_of(job, until),
                                          handed=later.handed)
        if not requeued:
            raise LeaseLost(job["id"])
        run.lease.held = False  # given up with the job, back in its lane

    def _finish(self, job: dict, state: str, code: str | None = None,
                error: GraphError | None = None, **detail) -> None:
        if error is not None:
            detail["graph"] = graph_detail(error)
        job.update(state=state, phase="done", code=code, detail=detail,
                   error_code=error.code if error else None, waiting_until=None,
                   waiting_for=None, updated=time.time(),
                   needs_sign_in=code == SIGN_IN_EXPIRED or bool(error and needs_sign_in(error)))
        job["error"] = program_error(job) if state in (FAILED, UNKNOWN) else None
        if state == SENT:
            job["sent_at"] = time.time()
            job["bytes_done"] = job.get("bytes_total", 0)
            for f in job.get("files", []):
                f["done"] = f["size"]
        run = self._runs[job["id"]]
        with store_errors():
            run.result = self.lanes.finish(job, run.go.token, run.runner,
                                           notice=job["kind"] == "compose")
        if run.result == "lost":
            raise LeaseLost(job["id"])
        run.lease.held = False  # given up with the outcome: nothing left to release
        logger.info("job %s: %s%s", job["id"], state, f" ({code})" if code else "")
        self._after(job)

    def _after(self, job: dict) -> None:
        """What a finished job leaves to tidy: a sent draft's files, what From taught, held
        files. A failure here never changes the outcome."""
        try:
            if job["state"] == SENT and "compose" in job:
                self.rt.drafts.mark_sent(job["compose"]["draft_id"])
            if "compose" in job:
                self.rt.from_history.record_job(job)
            if job["state"] in (SENT, FAILED) and job.get("held_files"):
                forget_files(self.store, job)
        except Exception:  # noqa: BLE001
            logger.exception("job %s: tidying up after it failed", job["id"])
