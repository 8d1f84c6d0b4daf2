"""A lane's runner: the task a worker runs for one mailbox, taking its jobs one after another.

``run_lane`` registers as one of the lane's runners (at most MAILBOX_CONCURRENCY) and loops:
take the next job with its slot and run it (engine.py), sleep in its thread for a slot or a
pause of up to ``wait_in_thread`` seconds (so a slot is met to the millisecond, not at the task
scheduler's next tick), and otherwise hand the wait to the task queue's schedule and let the
thread go. It starts one more runner when jobs are left and the lane has room, gives its
thread up after SLICE seconds (the queue may hold a more urgent lane's task: a person's own
send goes before the rest of a merge), and keeps its registration alive while a long job
(a 150 MB upload) runs.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid

from mailer.delivery.book import FULL, IDLE, Go, Wait

logger = logging.getLogger(__name__)

SLICE = 15.0  # seconds a runner keeps its thread before giving other lanes their turn


class _Alive:
    """Renews the runner's registration every third of a lease while a job runs."""

    def __init__(self, lanes, mailbox: str, runner: str, every: float):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(lanes, mailbox, runner, every),
                                        name=f"runner-{runner[:6]}", daemon=True)

    def _beat(self, lanes, mailbox, runner, every):
        while not self._stop.wait(every):
            try:
                lanes.renew_runner(mailbox, runner)
            except Exception:  # noqa: BLE001 - a store hiccup: the next beat tries again
                logger.exception("could not renew runner of %s", mailbox)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)


def run_lane(rt, engine, mailbox: str, kick, later, sleep=time.sleep) -> str:
    """Run ``mailbox``'s lane until it is idle, waits long, or the slice is used up; why it
    stopped ("idle", "full", "later", "slice", "lost")."""
    runner, started = uuid.uuid4().hex, time.monotonic()
    while True:
        step = rt.lanes.take(mailbox, runner)
        if step in (IDLE, FULL):
            return step
        if isinstance(step, Wait):
            if step.seconds <= rt.pace.wait_in_thread:
                sleep(step.seconds)
                continue
            rt.lanes.leave(mailbox, runner)
            later(mailbox, step.seconds)
            return "later"
        assert isinstance(step, Go)
        if step.more:
            kick(mailbox)
        with _Alive(rt.lanes, mailbox, runner, rt.pace.lease / 3):
            result = engine.run(step, runner)
        if result == "idle":
            return "idle"
        if time.monotonic() - started > SLICE:
            rt.lanes.leave(mailbox, runner)
            kick(mailbox)
            return "slice"


def drain_lane(rt, engine, mailbox: str, threads: int = 1, sleep=time.sleep) -> None:
    """Run ``mailbox``'s lane in this process until it is idle (the CLI's ``--now``, and a
    person's CLI send, whose token only this process holds): ``threads`` runners, each waiting
    in its own thread where a worker would hand the wait to the queue's schedule."""
    def one() -> None:
        while True:
            waited = []
            stopped = run_lane(rt, engine, mailbox, kick=lambda *_: None,
                               later=lambda _, seconds: waited.append(seconds), sleep=sleep)
            if stopped == "later":
                sleep(min(waited[-1], 5.0))
            elif stopped != "slice":
                return
    pool = [threading.Thread(target=one, name=f"drain-{n}") for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
