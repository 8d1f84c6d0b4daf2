"""Many jobs at once: submitted to one lane in one step (a merge's rows), held out of their
lane and put back (a merge paused, then resumed), and read (their states, a list's ids):
FileLanes' part of it (redis_batches.py is Redis's).

``hold`` and ``release`` are each one step under the store's lock, like every lane step:
book.py parks the jobs waiting in the lane and marks every one held, and the records of the
jobs parked or put back change in the same step (``held`` and ``released`` say how), so a
worker never takes a job whose record says it is held, nor finds a queued job out of its lane.
"""
from __future__ import annotations

from typing import Callable

from mailer.delivery.book import KEEP_LISTED, Entry, job_key
from mailer.delivery.outcomes import REPLACEABLE

Change = Callable[[dict], dict]


class FileBatches:
    """Mixed into FileLanes (its store, book, clock, ``_lane``, ``_put_lane``, ``_list``,
    ``_taken``)."""

    def submit_many(self, jobs: list[tuple[dict, Entry]],
                    replaceable: tuple[str, ...] = REPLACEABLE) -> tuple[list[dict], bool]:
        """``submit`` for many jobs of one lane (a merge's rows: (record, entry) each) in one
        step: the lane and the lists written once, not once a job (a lane of thousands would
        be rewritten as often). (Each record as stored, True when a runner is needed.)"""
        mailbox = jobs[0][1].mailbox if jobs else ""
        with self.store.locked():
            now, lane, stored, added = self.clock(), self._lane(mailbox), [], []
            for record, entry in jobs:
                found = self.store.get(job_key(record["id"]))
                if found and found.get("state") not in replaceable:
                    stored.append(found)
                    continue
                self.store.put(job_key(record["id"]), record)
                self.store.delete(f"done:{record['id']}")
                stored.append(record)
                added.append((record["id"], entry.meta(now * 1000), entry.not_before))
                if record.get("owner"):  # a person's (merges' rows have none)
                    self._list(f"jobs-of:{record['owner']}", record["id"], now)
            if not added:
                return stored, False
            fresh = {j for j, _, _ in added}
            self._taken(lambda t: [t.pop(j, None) for j in fresh])
            kick = self.book.add_many(lane, added, now)
            self._put_lane(mailbox, lane)
            listed = self.store.get(f"jobs-in:{mailbox}") or {"jobs": []}
            newest = [[j, now] for j, _, _ in reversed(added)]
            self.store.put(f"jobs-in:{mailbox}", {"jobs": (newest + [
                j for j in listed["jobs"] if j[0] not in fresh])[:KEEP_LISTED]})
            return stored, kick

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
