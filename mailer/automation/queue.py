"""The task queue: huey, on SQLite under APP_STATE_DIR on one host, on Redis with REDIS_URL.

huey keeps queued and scheduled tasks in its storage, so they outlive a worker's restart; a
task a worker had taken when it died is found again by the sweep (jobs.sweep), which every
worker runs at start and then every third of SEND_LEASE. Waits of a second or less are slept
in the worker's thread; longer ones (a paced or paused lane) reschedule the task, freeing the
thread for other mailboxes' jobs.
"""
from __future__ import annotations

import logging
import threading
import time

from huey import RedisHuey, SqliteHuey
from huey.exceptions import RetryTask

from mailer.automation import jobs, once
from mailer.automation.errors import Later
from mailer.automation.runtime import Runtime, automation_dir

logger = logging.getLogger(__name__)

NAME = "mailer-automation"
SHORT_WAIT = 1.0  # seconds: slept in the thread rather than rescheduled


def build_huey(cfg: dict):
    if cfg.get("REDIS_URL"):
        return RedisHuey(NAME, url=cfg["REDIS_URL"])
    folder = automation_dir(cfg)
    folder.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(NAME, filename=str(folder / "queue.db"))


class Queue:
    """The huey instance with the automation's one task, for producers and workers alike."""

    def __init__(self, cfg: dict, runtime: Runtime | None = None):
        self.cfg, self._rt = cfg, runtime
        self.huey = build_huey(cfg)
        self.task = self.huey.task(name="send_job")(self._send_job)

    @property
    def runtime(self) -> Runtime:
        if self._rt is None:
            self._rt = Runtime(self.cfg)
        return self._rt

    def enqueue(self, job_id: str, ticket: str) -> None:
        self.task(job_id, ticket)

    def _send_job(self, job_id: str, ticket: str) -> str:
        while True:
            try:
                return once.run(self.runtime, job_id, ticket)
            except Later as later:
                if later.seconds > SHORT_WAIT:
                    logger.info("job %s: %s", job_id, later)
                    raise RetryTask(delay=later.seconds) from None
                time.sleep(later.seconds)

    def queued_ids(self) -> set[str]:
        """Jobs with a task waiting in huey's queue or schedule."""
        tasks = list(self.huey.pending()) + list(self.huey.scheduled())
        return {t.args[0] for t in tasks if t.name == "send_job" and t.args}

    def sweep(self) -> list[str]:
        return jobs.sweep(self.runtime, self.queued_ids(), self.enqueue)

    def run_worker(self, threads: int) -> None:
        """Run a consumer in this process until SIGINT/SIGTERM, sweeping alongside."""
        stop = threading.Event()

        def sweeping():
            while True:
                try:
                    again = self.sweep()
                    if again:
                        logger.warning("queued again %d job(s) a dead worker held", len(again))
                except Exception:  # noqa: BLE001 - a store hiccup: the next sweep tries again
                    logger.exception("sweep failed")
                if stop.wait(max(1.0, self.runtime.lease_seconds / 3)):
                    return
        threading.Thread(target=sweeping, name="sweep", daemon=True).start()
        consumer = self.huey.create_consumer(workers=threads, worker_type="thread",
                                             initial_delay=0.05, max_delay=0.5, backoff=1.15,
                                             scheduler_interval=1, periodic=False)
        try:
            consumer.run()
        finally:
            stop.set()
