"""The background dispatcher: POSTs notifications to subscribers, never on a request's thread.

A ``Job`` is one notification collection for one URL, due at a time on the mail clock. A
scheduler thread wakes at least every TICK seconds, lets the registry do its housekeeping
(expiry, reauthorization notices), and hands each due job to a small pool of workers. A job
not answered 2xx within 3 seconds is tried again with exponential backoff (base and cap are
settings; Graph's own schedule is not published: UNCONFIRMED), "for up to 4 hours" of the mail
clock; then it is discarded and, for a change notification, a ``missed`` lifecycle
notification goes out. Moving the mail clock therefore moves retries and give-ups too.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import webhook

if TYPE_CHECKING:
    from .registry import Registry

logger = logging.getLogger(__name__)

TICK = 0.2  # seconds between housekeeping rounds (and the longest wait for a moved clock)
WORKERS = 4
MAX_PENDING = 100_000  # jobs waiting; beyond, new change notifications are dropped (missed)
_ORDER = itertools.count()


@dataclass(order=True)
class Job:
    due: float  # mail-clock epoch seconds
    order: int = field(default_factory=lambda: next(_ORDER))
    url: str = field(default="", compare=False)
    payload: dict = field(default_factory=dict, compare=False)
    subscription_id: str = field(default="", compare=False)
    label: str = field(default="", compare=False)  # changeType or lifecycleEvent, for the log
    lifecycle: bool = field(default=False, compare=False)
    attempt: int = field(default=0, compare=False)
    first_due: float = field(default=0.0, compare=False)


class Dispatcher:
    def __init__(self, registry: "Registry") -> None:
        self.registry = registry
        self.jobs: list[Job] = []
        self.running = 0  # jobs handed to a worker and not finished
        self.wake = threading.Condition()
        self.stopped = False
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="emulator-notify")
        self.thread = threading.Thread(target=self._schedule, daemon=True,
                                       name="emulator-notify-scheduler")
        self.thread.start()

    def submit(self, job: Job) -> bool:
        """Queue a job; False when too many are waiting already."""
        if not job.first_due:
            job.first_due = job.due
        with self.wake:
            if self.stopped or len(self.jobs) >= MAX_PENDING:
                return False
            heapq.heappush(self.jobs, job)
            self.wake.notify()
        return True

    def pending(self) -> int:
        with self.wake:
            return len(self.jobs) + self.running

    def stop(self) -> None:
        with self.wake:
            self.stopped = True
            self.jobs.clear()
            self.wake.notify_all()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _schedule(self) -> None:
        while True:
            try:
                self.registry.housekeeping()
            except Exception:  # a bug here must not end notifications for good
                logger.exception("subscription housekeeping failed")
            with self.wake:
                if self.stopped:
                    return
                now = self.registry.now()
                due = []
                while self.jobs and self.jobs[0].due <= now:
                    due.append(heapq.heappop(self.jobs))
                self.running += len(due)
                for job in due:
                    try:
                        self.pool.submit(self._deliver, job)
                    except RuntimeError:  # the pool shut down under us: stopping
                        return
                wait = TICK if not self.jobs else max(0.0, min(TICK, self.jobs[0].due - now))
                self.wake.wait(wait)

    def _deliver(self, job: Job) -> None:
        try:
            self._attempt(job)
        except Exception:
            logger.exception("notification delivery failed")
        finally:
            with self.wake:
                self.running -= 1

    def _attempt(self, job: Job) -> None:
        settings = self.registry.settings
        job.attempt += 1
        status, seconds = webhook.post(job.url, job.payload,
                                       settings.notification_timeout_seconds)
        ok = status is not None and 200 <= status < 300
        self.registry.record(job, status, seconds, ok)
        if ok or self.stopped:
            return
        now = self.registry.now()
        if now - job.first_due >= settings.retry_window_seconds:
            self.registry.discarded(job)
            return
        delay = min(settings.retry_base_seconds * 2 ** (job.attempt - 1),
                    settings.retry_max_seconds)
        job.due = now + delay
        self.submit(job)
