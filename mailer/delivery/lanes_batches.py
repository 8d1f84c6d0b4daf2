"""A batch's jobs held out of their lane and put back (a merge paused, then resumed), and
reads over many jobs at once (their states, a list's ids): FileLanes' part of it
(redis_batches.py is Redis's).

``hold`` and ``release`` are each one step under the store's lock, like every lane step:
book.py parks the jobs waiting in the lane and marks every one held, and the records of the
jobs parked or put back change in the same step (``held`` and ``released`` say how), so a
worker never takes a job whose record says it is held, nor finds a queued job out of its lane.
"""
from __future__ import annotations

from typing import Callable

from mailer.delivery.book import job_key

Change = Callable[[dict], dict]


class FileBatches:
    """Mixed into FileLanes (its store, book, clock, ``_lane`` and ``_put_lane``)."""

    def hold(self, mailbox: str, job_ids: list[str], held: Change) -> list[str]:
        """Hold these jobs of ``mailbox``'s lane; those parked now (their records changed by
        ``held``). A job a worker has now is held when it comes back, if it does."""
        with self.store.locked():
            lane = self._lane(mailbox)
            parked = self.book.hold(lane, job_ids)
            self._change(parked, held)
            self._put_lane(mailbox, lane)
            return parked

    def release(self, mailbox: str, job_ids: list[str],
                released: Change) -> tuple[list[str], bool]:
        """Let these jobs go: the parked ones back in the lane (their records changed by
        ``released``); (those put back, True when a runner should be started)."""
        with self.store.locked():
            lane = self._lane(mailbox)
            back, kick = self.book.release(lane, job_ids, self.clock())
            self._change(back, released)
            self._put_lane(mailbox, lane)
            return back, kick

    def _change(self, job_ids: list[str], change: Change) -> None:
        for job_id in job_ids:
            record = self.store.get(job_key(job_id))
            if record:
                self.store.put(job_key(job_id), change(dict(record)))

    def index(self, key: str) -> list[tuple[str, float]]:
        """A list's job ids with the times they were listed (``jobs-in:<mailbox>``), newest
        first, without reading the jobs."""
        return [(j, t) for j, t in (self.store.get(key) or {}).get("jobs", [])]

    def states(self, job_ids: list[str]) -> list[str | None]:
        """Each job's state (None: no record), without handing its message around."""
        return [(self.store.get(job_key(j)) or {}).get("state") for j in job_ids]
