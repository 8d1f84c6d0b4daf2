"""The task queue: huey, on Redis with REDIS_URL (workers on any host), else SQLite under
APP_STATE_DIR (one host). Its one task runs a mailbox's lane (runner.py).

huey keeps queued and scheduled tasks in its storage, so they outlive a worker's restart; a
lane whose runner died with its worker is started again by the sweep (sweep.py), which every
worker runs at start and then every third of SEND_LEASE. Tasks carry a priority (huey's
priority queue): a lane started for a person's own send is taken before a merge's. Waits of up
to a few seconds (the next slot) are slept in the runner's thread; longer ones (a pause after
a 429, a scheduled send) go to huey's schedule and free the thread.

Other parts of the app add their own tasks to this one huey, and periodic duties
(``add_duty``) that the same thread runs beside the sweep, in every worker.
"""
from __future__ import annotations

import logging
import struct
import threading
import time
from pathlib import Path
from typing import Callable

from huey import PriorityRedisHuey, SqliteHuey
from huey.consumer import Consumer

from mailer.delivery.engine import Engine
from mailer.delivery.runner import run_lane
from mailer.delivery.sweep import sweep

logger = logging.getLogger(__name__)

NAME = "mailer"
KICK_PRIORITY = {"compose": 20, "cli": 10, "api": 10, "merge": 0}  # higher first


def queue_dir(cfg) -> Path:
    return Path(cfg["APP_STATE_DIR"]) / "queue"


class _Unrevoked:
    """Tasks here are never revoked (a job is cancelled in its lane, not in the queue): no
    store round trip per task to ask."""

    def is_revoked(self, task, timestamp=None, peek=True) -> bool:
        return False

    def delete(self, key):
        """huey clears a task's revoke flag ("r:<id>") after each run: never set here, so
        not asked for (one store round trip a send saved); any other key as huey does."""
        if isinstance(key, str) and key.startswith("r:"):
            return False
        return super().delete(key)


class _RedisHuey(_Unrevoked, PriorityRedisHuey):
    pass


class _SqliteHuey(_Unrevoked, SqliteHuey):
    pass


def build_huey(rt):
    """huey on the process's Redis pool, or on SQLite in one host's state folder."""
    if rt.redis is not None:
        return _RedisHuey(NAME, connection_pool=rt.redis.connection_pool, results=False,
                          blocking=True, read_timeout=1)
    folder = queue_dir(rt.cfg)
    folder.mkdir(parents=True, exist_ok=True)
    return _SqliteHuey(NAME, filename=str(folder / "queue.db"), results=False)


class Queue:
    """The huey instance and its lane task, for producers (kick) and workers (run_worker)."""

    def __init__(self, rt):
        self.rt = rt
        self.huey = build_huey(rt)
        self.lane_task = self.huey.task(name="lane")(self._lane)
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self.duties: list[tuple[float, Callable[[], None]]] = []

    def add_duty(self, every: float, duty: Callable[[], None]) -> None:
        """Run ``duty()`` every ``every`` seconds in each worker, beside the sweep (it decides
        itself whether another worker did it already)."""
        self.duties.append((every, duty))

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = Engine(self.rt)
            return self._engine

    def kick(self, mailbox: str, kind: str = "merge") -> None:
        """Start a runner for ``mailbox``'s lane (``kind``: the job that asked, for priority)."""
        self.huey.enqueue(self.lane_task.s(mailbox, priority=KICK_PRIORITY.get(kind, 0)))

    def kick_entry(self, mailbox: str, kind: str = "merge") -> tuple[str, bytes, int] | None:
        """``kick`` as the entry huey's Redis queue keeps (its key, member, score: huey's
        RedisPriorityQueue.enqueue, a timestamp before the message, the priority negated), for
        a lane's submit to add in its own step only when the lane needs a runner: one round
        trip fewer a send. None on SQLite (``kick`` then)."""
        if not isinstance(self.huey, _RedisHuey):
            return None
        task = self.lane_task.s(mailbox, priority=KICK_PRIORITY.get(kind, 0))
        member = struct.pack(">Q", int(time.time() * 1e6)) + self.huey.serialize_task(task)
        return self.huey.storage.queue_key, member, -task.priority

    def later(self, mailbox: str, seconds: float) -> None:
        """Start one in ``seconds`` (a paused lane, a scheduled job)."""
        self.lane_task.schedule(args=(mailbox,), delay=max(0.0, seconds))

    def _lane(self, mailbox: str) -> str:
        return run_lane(self.rt, self.engine, mailbox, self.kick, self.later)

    def sweep(self) -> dict:
        return sweep(self.rt, self.kick)

    def run_worker(self, threads: int) -> None:
        """Run a consumer in this process until SIGINT/SIGTERM, sweeping alongside."""
        consumer, stop = self._consumer(threads), self._sweeping()
        try:
            consumer.run()
        finally:
            stop.set()

    def start_worker(self, threads: int = 4):
        """A consumer in threads of this process, without signal handling (a test's worker, or
        the CLI's): ``stop()`` it when done."""
        consumer, stop = self._consumer(threads, signals=False), self._sweeping()
        consumer.start()

        def stopped() -> None:
            stop.set()
            consumer.stop(graceful=True)
        return stopped

    def _consumer(self, threads: int, signals: bool = True):
        consumer = (Consumer if signals else _QuietConsumer)(
            self.huey, workers=threads, worker_type="thread", initial_delay=0.01, max_delay=0.25,
            backoff=1.15, scheduler_interval=1, periodic=False)
        return consumer

    def _sweeping(self) -> threading.Event:
        stop = threading.Event()
        every = max(0.5, self.rt.lease_seconds / 3)
        jobs = [(every, self.sweep), *self.duties]
        due = [0.0] * len(jobs)

        def sweeping():
            while True:
                for i, (interval, job) in enumerate(jobs):
                    if time.monotonic() < due[i]:
                        continue
                    due[i] = time.monotonic() + interval
                    try:
                        job()
                    except Exception:  # noqa: BLE001 - a store hiccup: the next round tries again
                        logger.exception("%s failed", getattr(job, "__name__", "duty"))
                if stop.wait(max(0.05, min(due) - time.monotonic())):
                    return
        threading.Thread(target=sweeping, name="sweep", daemon=True).start()
        return stop


class _QuietConsumer(Consumer):
    """huey's consumer, leaving the process's signals alone (it is not the process's main)."""

    def _set_signal_handlers(self):
        pass
