"""Lanes: one per sender mailbox; every job of every sender waits in its mailbox's lane.

Workers run a lane through ``take`` (book.py says how a lane orders and paces its jobs): in
the same step as the job is given out, its lease is set, so a job is never held by two workers
and a dead worker's job is found by its expired lease (sweep.py). A 429 pauses the lane for
everyone who sends from that mailbox. The job's record, the lists of jobs per owner and per
mailbox (the Outbox pages) and a person's unseen outcomes (notices) change in the same steps.

Two backends with one behaviour: ``FileLanes`` here (one host: the job store's files, each
step under the store's one lock) and ``RedisLanes`` (redis_lanes.py: Lua, one round trip per
step). Both take the same calls and return the same results (book.py's Go, Wait, IDLE, FULL).
Holding a batch's jobs (a merge paused) and reading many jobs' states: lanes_batches.py.
"""
from __future__ import annotations

import time

from mailer.delivery.book import (KEEP_LISTED, NOTICES, Entry, Go, LaneBook, Submitted, Wait,
                                  job_key, job_lease)
from mailer.delivery.lanes_batches import FileBatches
from mailer.delivery.outcomes import ACTIVE, REPLACEABLE
from mailer.delivery.pace import Pace
from mailer.sending.store import FileStore


class FileLanes(FileBatches):
    """Lanes, job records and their indexes in the job store's files (one host), each step
    under the store's one lock."""

    def __init__(self, store: FileStore, pace: Pace, clock=time.time):
        self.store, self.pace, self.book, self.clock = store, pace, LaneBook(pace), clock

    # -- helpers under the lock ----------------------------------------------------------------
    def _lane(self, mailbox: str) -> dict:
        return self.store.get(f"lane:{mailbox}") or {}

    def _put_lane(self, mailbox: str, lane: dict) -> None:
        self.store.put(f"lane:{mailbox}", lane)
        busy = set((self.store.get("lanes") or {}).get("lanes", []))
        has_work = bool(lane.get("q") or lane.get("later"))
        if has_work != (mailbox in busy):
            busy = busy | {mailbox} if has_work else busy - {mailbox}
            self.store.put("lanes", {"lanes": sorted(busy)})

    def _list(self, key: str, job_id: str, now: float) -> None:
        listed = self.store.get(key) or {"jobs": []}
        jobs = [[job_id, now]] + [j for j in listed["jobs"] if j[0] != job_id]
        self.store.put(key, {"jobs": jobs[:KEEP_LISTED]})

    def _taken(self, change) -> None:
        taken = (self.store.get("taken") or {}).get("jobs", {})
        change(taken)
        self.store.put("taken", {"jobs": taken})

    # -- the steps -----------------------------------------------------------------------------
    def submit(self, record: dict, entry: Entry,
               replaceable: tuple[str, ...] = REPLACEABLE, kick_entry=None) -> Submitted:
        """Record the job and put it in its lane, unless a job of that id is there in a state
        not ``replaceable`` (on its way, sent; for a program, whatever its state): what was
        done (book.Submitted). ``kick_entry`` (Redis's queue only) is not used here."""
        with self.store.locked():
            found = self.store.get(job_key(record["id"]))
            if found and found.get("state") not in replaceable:
                return Submitted(found, False, False)
            now = self.clock()
            self.store.put(job_key(record["id"]), record)
            self.store.delete(f"done:{record['id']}")
            self._taken(lambda t: t.pop(record["id"], None))
            lane = self._lane(entry.mailbox)
            kick = self.book.add(lane, record["id"], entry.meta(now * 1000), entry.not_before, now)
            self._put_lane(entry.mailbox, lane)
            if record.get("owner"):
                self._list(f"jobs-of:{record['owner']}", record["id"], now)
            self._list(f"jobs-in:{entry.mailbox}", record["id"], now)
            return Submitted(record, True, kick, self.book.due_in(lane, record["id"], now))

    def take(self, mailbox: str, runner: str):
        with self.store.locked():
            now, lane = self.clock(), self._lane(mailbox)
            step = self.book.take(lane, runner, now)
            if isinstance(step, Go):
                self.store.put(job_lease(step.job_id), {"token": step.token,
                                                        "until": now + self.pace.lease})
                self._taken(lambda t: t.__setitem__(step.job_id, now))
                before = (self.store.get(f"handing:{step.job_id}") or {}).get("at")
                if self.book.reserved_at_take(lane, step.job_id):
                    self.store.put(f"handing:{step.job_id}", {"at": now + step.delay})
                step = Go(step.job_id, step.delay, step.token, step.more, before,
                          self.store.get(job_key(step.job_id)))
            self._put_lane(mailbox, lane)
            return step

    def reserve(self, mailbox: str, recipients: int, max_wait: float, job_id: str = ""):
        with self.store.locked():
            now, lane = self.clock(), self._lane(mailbox)
            result = self.book.reserve(lane, recipients, now, max_wait)
            if not isinstance(result, Wait):
                self._put_lane(mailbox, lane)
                if job_id:
                    self.store.put(f"handing:{job_id}", {"at": now + result})
            return result

    def renew_runner(self, mailbox: str, runner: str) -> bool:
        with self.store.locked():
            now, lane = self.clock(), self._lane(mailbox)
            runners = lane.get("runners", {})
            if runners.get(runner, 0) <= now:
                return False
            runners[runner] = now + self.pace.lease
            self._put_lane(mailbox, lane)
            return True

    def leave(self, mailbox: str, runner: str) -> None:
        with self.store.locked():
            lane = self._lane(mailbox)
            if lane.get("runners", {}).pop(runner, None) is not None:
                self._put_lane(mailbox, lane)

    def finish(self, record: dict, token: str, runner: str | None = None,
               notice: bool = False) -> str:
        """Write the job's final record under its lease and let it go: "lost" (another worker
        holds it), "idle" (the runner was let go: nothing left in its lane) or "more"."""
        with self.store.locked():
            held = self.store.get(job_lease(record["id"])) or {}
            if held.get("token") != token or held.get("until", 0) <= self.clock():
                return "lost"
            self.store.put(job_key(record["id"]), record)
            self.store.delete(job_lease(record["id"]))
            self.store.delete(f"handing:{record['id']}")
            self._taken(lambda t: t.pop(record["id"], None))
            self.store.put(f"done:{record['id']}", {"state": record["state"]})
            if notice and record.get("owner"):
                key = f"notices:{record['owner']}"
                seen = [j for j in (self.store.get(key) or {}).get("jobs", []) if j != record["id"]]
                self.store.put(key, {"jobs": ([record["id"]] + seen)[:NOTICES]})
            lane = self._lane(record["mailbox"])
            lane.get("meta", {}).pop(record["id"], None)
            idle = runner is not None and self.book.idle_after(lane, runner, self.clock())
            self._put_lane(record["mailbox"], lane)
            return "idle" if idle else "more"

    def requeue(self, record: dict, token: str, entry: Entry, handed: bool = False) -> bool:
        """Back to its lane (waiting: Retry-After, a lost answer to confirm, no token): the
        record written, the lease dropped. False when the lease was lost meanwhile."""
        with self.store.locked():
            held = self.store.get(job_lease(record["id"])) or {}
            if held.get("token") != token:
                return False
            now = self.clock()
            self.store.put(job_key(record["id"]), record)
            self.store.delete(job_lease(record["id"]))
            if not handed:
                self.store.delete(f"handing:{record['id']}")
            self._taken(lambda t: t.pop(record["id"], None))
            lane = self._lane(entry.mailbox)
            meta = lane.get("meta", {}).get(record["id"]) or entry.meta(now * 1000)
            self.book.add(lane, record["id"], meta, entry.not_before, now)
            self._put_lane(entry.mailbox, lane)
            return True

    def claim(self, record: dict, replaceable: tuple[str, ...]) -> tuple[dict, bool]:
        """Record a job that is not in a lane yet (an API submit still receiving its files),
        watched by the sweep as a taken job: (the record as stored, True when made now)."""
        with self.store.locked():
            found = self.store.get(job_key(record["id"]))
            if found and found.get("state") not in replaceable:
                return found, False
            self.store.put(job_key(record["id"]), record)
            now = self.clock()
            self._taken(lambda t: t.__setitem__(record["id"], now))
            if record.get("owner"):
                self._list(f"jobs-of:{record['owner']}", record["id"], now)
            self._list(f"jobs-in:{record['mailbox']}", record["id"], now)
            return record, True

    def orphan(self, job_id: str, entry: Entry | None) -> bool:
        """The sweep: a taken job whose lease is gone goes back to its lane (``entry``; None
        when its record is gone: it is only forgotten). False when a worker holds it again."""
        with self.store.locked():
            held = self.store.get(job_lease(job_id)) or {}
            if held.get("until", 0) > self.clock():
                return False
            self._taken(lambda t: t.pop(job_id, None))
            if entry is not None:
                lane = self._lane(entry.mailbox)
                meta = lane.get("meta", {}).get(job_id) or entry.meta(self.clock() * 1000)
                self.book.add(lane, job_id, meta, entry.not_before, self.clock())
                self._put_lane(entry.mailbox, lane)
            return True

    def pause(self, mailbox: str, seconds: float) -> None:
        with self.store.locked():
            lane = self._lane(mailbox)
            lane["paused"] = max(lane.get("paused", 0), self.clock() + seconds)
            self._put_lane(mailbox, lane)

    def cancel(self, job_id: str, cancelled) -> dict | None:
        """``cancelled(record)`` (the record as it ends) applied if the job still waits in its
        lane (not held by a worker); the new record, or None (it is not waiting there)."""
        with self.store.locked():
            record = self.store.get(job_key(job_id))
            if not record or record.get("state") not in ACTIVE:
                return None
            lane = self._lane(record["mailbox"])
            if not self.book.remove(lane, job_id):
                return None
            self._put_lane(record["mailbox"], lane)
            record = cancelled(dict(record))
            self.store.put(job_key(job_id), record)
            return record

    # -- reading -------------------------------------------------------------------------------
    def get(self, job_id: str) -> dict | None:
        return self.store.get(job_key(job_id))

    def listed(self, key: str, start: int = 0, count: int = 50) -> list[dict]:
        """Jobs of an owner (``jobs-of:<owner>``) or a mailbox (``jobs-in:<mailbox>``)."""
        ids = [j for j, _ in (self.store.get(key) or {}).get("jobs", [])][start:start + count]
        return [r for r in (self.store.get(job_key(j)) for j in ids) if r]

    def notices(self, owner: str) -> list[str]:
        """The person's unseen outcomes (job ids), forgotten once read."""
        with self.store.locked():
            found = (self.store.get(f"notices:{owner}") or {}).get("jobs", [])
            if found:
                self.store.delete(f"notices:{owner}")
            return found

    def seen(self, owner: str, job_id: str) -> None:
        """The person saw this outcome: no notice of it."""
        with self.store.locked():
            key = f"notices:{owner}"
            found = (self.store.get(key) or {}).get("jobs", [])
            if job_id in found:
                self.store.put(key, {"jobs": [j for j in found if j != job_id]})

    def wait_done(self, job_id: str, timeout: float) -> bool:
        """Block until the job ends (a quick send's answer), at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if self.store.get(f"done:{job_id}"):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def view(self, mailbox: str, job_id: str = "") -> dict:
        """For the pages: jobs waiting, scheduled and held, the next slot, a pause, live
        runners; ``ahead``: how many wait before ``job_id`` (None: it is not queued)."""
        lane, now = self._lane(mailbox), self.clock()
        queue = lane.get("q", [])
        return {"waiting": len(queue), "scheduled": len(lane.get("later", {})),
                "held": len(lane.get("parked", {})),
                "next_slot_in": max(0.0, lane.get("next", 0.0) - now),
                "paused_for": max(0.0, lane.get("paused", 0.0) - now),
                "runners": sum(1 for e in lane.get("runners", {}).values() if e > now),
                "ahead": queue.index(job_id) if job_id in queue else None}

    def busy_lanes(self) -> list[str]:
        return list((self.store.get("lanes") or {}).get("lanes", []))

    def taken_jobs(self) -> dict[str, float]:
        return dict((self.store.get("taken") or {}).get("jobs", {}))

    def kick_due(self, mailbox: str) -> bool:
        """For the sweep: True (and the lane marked kicked) when the lane has due work, no
        live runner and no recent kick."""
        with self.store.locked():
            now, lane = self.clock(), self._lane(mailbox)
            due = lane.get("q") or any(t <= now for t in lane.get("later", {}).values())
            live = any(e > now for e in lane.get("runners", {}).values())
            if not due or live or lane.get("kicked", 0) > now:
                return False
            lane["kicked"] = now + self.pace.lease
            self._put_lane(mailbox, lane)
            return True
