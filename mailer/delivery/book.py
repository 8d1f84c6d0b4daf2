"""The lane algorithm over plain data: what ``take`` gives a runner, what a job waits with.

A lane holds its jobs in order of priority (a person's own send before a program's, a
program's before a merge row), then of arrival; jobs with a time of their own wait aside
("later") until it comes. ``take`` registers the runner (at most ``concurrency`` per lane,
each alive while it renews), moves jobs whose time came into the queue, and gives the runner
the next job with its slot (pace.py) when the slot is within ``horizon`` (a moment), else
how long to wait. FileLanes (lanes.py) runs this under its lock; redis_lanes.py's Lua does the same.

Results: ``Go(job_id, delay, token, more)`` (``more``: start another runner), ``Wait(seconds)``,
``IDLE`` (nothing to do: the runner was let go), ``FULL`` (enough runners already).

A batch's jobs can be held (a merge paused): ``hold`` marks them and parks those waiting in
the lane ("parked", with their time); any of them that comes back later (a requeue after a
429, the sweep, a submit) is parked instead of queued, so nothing of the batch starts until
``release`` puts them back where they were, in their order.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import NamedTuple

from mailer.delivery.pace import Pace, commit, slot_for

PRIORITY = {"compose": 0, "cli": 1, "api": 1, "merge": 2}  # lower goes first
KEEP_LISTED = 1000  # jobs listed per owner or mailbox (Outbox pages), newest first
NOTICES = 20  # outcomes kept per person until they see them


@dataclass(frozen=True)
class Entry:
    """How a job waits in its lane."""

    mailbox: str
    priority: int
    recipients: int
    reserve_at_take: bool  # its hand-over follows at once (no files to upload first)
    not_before: float | None = None  # scheduled: the lane holds it until then

    def meta(self, seq: float) -> list:
        return [self.priority, seq, self.recipients, int(self.reserve_at_take)]


@dataclass(frozen=True)
class Go:
    job_id: str
    delay: float  # seconds until its slot (0 when the slot is taken at hand-over)
    token: str  # the job's lease token
    more: bool  # jobs remain, this one uploads files first, and the lane has room for a runner
    handed_before: float | None = None  # an earlier holder may have handed it over then
    record: dict | None = None  # the job's record as it was taken (None: read it)


@dataclass(frozen=True)
class Wait:
    seconds: float


class Submitted(NamedTuple):
    """What a lane's submit did: the record as stored, True when made now, True when a runner
    is needed, the seconds until the job's slot when it is next in its lane (None: behind
    others, held, paused, scheduled, or not made now), and True when the step itself queued
    the runner's start (the kick entry it was given)."""

    record: dict
    made: bool
    kick: bool
    due_in: float | None = None
    kicked: bool = False


IDLE, FULL = "idle", "full"


def job_key(job_id: str) -> str:
    return f"job:{job_id}"


def job_lease(job_id: str) -> str:
    return f"lease:job:{job_id}"


def score(meta: list) -> float:
    return meta[0] * 1e13 + meta[1]


class LaneBook:
    """The lane algorithm over a plain dict (FileLanes keeps one per mailbox)."""

    def __init__(self, pace: Pace):
        self.pace = pace

    def add(self, lane: dict, job_id: str, meta: list, not_before: float | None,
            now: float) -> bool:
        """Put a job in (parked when it is held); True when the lane has no live runner and
        was not kicked lately."""
        return self.add_many(lane, [(job_id, meta, not_before)], now)

    def add_many(self, lane: dict, jobs: list[tuple[str, list, float | None]],
                 now: float) -> bool:
        """``add`` for many jobs (job id, meta, not_before) at once, the queue sorted once (a
        merge of thousands of rows); True when a runner should be started."""
        held, queued = lane.get("held", {}), []
        for job_id, meta, not_before in jobs:
            lane.setdefault("meta", {})[job_id] = meta
            if job_id in held:
                lane.setdefault("parked", {})[job_id] = not_before or 0
            elif not_before and not_before > now:
                lane.setdefault("later", {})[job_id] = not_before
            else:
                queued.append(job_id)
        if queued:
            self._enqueue_all(lane, queued)
        if len(held) and all(job_id in held for job_id, _, _ in jobs):
            return False  # all parked: nothing for a runner
        return self._kick(lane, now)

    def due_in(self, lane: dict, job_id: str, now: float) -> float | None:
        """Seconds until ``job_id``'s slot when it is first in its lane and the lane is not
        paused: a person's send worth waiting for; None when it waits behind others."""
        if lane.get("paused", 0) > now or not lane.get("q") or lane["q"][0] != job_id:
            return None
        slot = slot_for(now, lane.get("next", 0.0), lane.get("stamps", []), lane.get("day", []),
                        lane["meta"][job_id][2], self.pace)
        return max(0.0, slot - now)

    def _kick(self, lane: dict, now: float) -> bool:
        """True (and the lane marked kicked) when it has no live runner and no recent kick."""
        runners = {t: e for t, e in lane.get("runners", {}).items() if e > now}
        lane["runners"] = runners
        if runners or lane.get("kicked", 0) > now:
            return False
        lane["kicked"] = now + self.pace.lease
        return True

    def _enqueue(self, lane: dict, job_id: str) -> None:
        self._enqueue_all(lane, [job_id])

    @staticmethod
    def _enqueue_all(lane: dict, job_ids: list[str]) -> None:
        """Into the queue, by priority then arrival, sorted once however many come (a stable
        sort: jobs that arrived in the same step keep the order they came in)."""
        new = dict.fromkeys(job_ids)
        queue = [j for j in lane.get("q", []) if j not in new] + list(new)
        lane["q"] = sorted(queue, key=lambda j: score(lane["meta"][j]))

    def remove(self, lane: dict, job_id: str) -> bool:
        """Take a job out (cancelled); True when it was waiting there (or parked)."""
        was = job_id in lane.get("q", []) or job_id in lane.get("later", {}) or \
            job_id in lane.get("parked", {})
        lane["q"] = [j for j in lane.get("q", []) if j != job_id]
        for part in ("later", "meta", "parked", "held"):
            lane.get(part, {}).pop(job_id, None)
        return was

    def hold(self, lane: dict, job_ids: list[str]) -> list[str]:
        """Hold these jobs: each marked, those waiting in the lane parked with their time (a
        job a worker holds now finishes; if it comes back, ``add`` parks it); the ids parked
        now."""
        held, parked, later = (lane.setdefault(part, {}) for part in ("held", "parked", "later"))
        queue, now_parked = set(lane.get("q", [])), []
        for job_id in job_ids:
            held[job_id] = 1
            if job_id in queue or job_id in later:
                parked[job_id] = later.pop(job_id, 0)
                now_parked.append(job_id)
        if now_parked:
            gone = set(now_parked)
            lane["q"] = [j for j in lane.get("q", []) if j not in gone]
        return now_parked

    def release(self, lane: dict, job_ids: list[str], now: float) -> tuple[list[str], bool]:
        """Let these jobs go again: parked ones back in the queue (in their order) or with
        their time; (the ids put back, True when a runner should be started)."""
        held, parked = lane.get("held", {}), lane.get("parked", {})
        back, queued = [], []
        for job_id in job_ids:
            held.pop(job_id, None)
            if job_id in parked:
                at = parked.pop(job_id)
                if at and at > now:
                    lane.setdefault("later", {})[job_id] = at
                else:
                    queued.append(job_id)
                back.append(job_id)
        if queued:  # sorted once, not once per job: a merge may hold thousands
            self._enqueue_all(lane, queued)
        return back, bool(back) and self._kick(lane, now)

    def take(self, lane: dict, runner: str, now: float):
        """The runner's next step (the job is popped only with Go)."""
        pace = self.pace
        runners = {t: e for t, e in lane.get("runners", {}).items() if e > now}
        if runner not in runners and len(runners) >= pace.concurrency:
            lane["runners"] = runners
            return FULL
        runners[runner] = now + pace.lease
        lane["runners"], lane["kicked"] = runners, 0
        later = lane.get("later", {})
        for job_id in [j for j, t in later.items() if t <= now]:
            del later[job_id]
            self._enqueue(lane, job_id)
        if lane.get("paused", 0) > now:
            return Wait(lane["paused"] - now)
        if not lane.get("q"):
            if later:
                return Wait(min(later.values()) - now)
            del runners[runner]
            return IDLE
        job_id = lane["q"][0]
        meta = lane["meta"][job_id]
        delay = 0.0
        if meta[3]:  # its hand-over follows: the slot is granted now
            slot = slot_for(now, lane.get("next", 0.0), lane.get("stamps", []),
                            lane.get("day", []), meta[2], pace)
            if slot - now > pace.horizon:
                return Wait(slot - now - pace.horizon)
            commit(lane, slot, meta[2], now, pace)
            delay = slot - now
        elif max(now, lane.get("next", 0.0)) - now > pace.horizon:  # not worth starting yet
            return Wait(lane["next"] - now - pace.horizon)
        lane["q"].pop(0)
        # Another runner only while this one uploads files: a small job is done long before
        # the next slot, so one runner keeps a lane of them at its pace (one thread a lane).
        more = bool(lane["q"]) and not meta[3] and len(runners) < pace.concurrency
        return Go(job_id, delay, uuid.uuid4().hex, more)

    @staticmethod
    def reserved_at_take(lane: dict, job_id: str) -> bool:
        return bool(lane.get("meta", {}).get(job_id, [0, 0, 0, 0])[3])

    def reserve(self, lane: dict, recipients: int, now: float, max_wait: float):
        """A slot at hand-over (a job whose files went up first): the delay, or Wait."""
        slot = slot_for(now, lane.get("next", 0.0), lane.get("stamps", []), lane.get("day", []),
                        recipients, self.pace)
        if slot - now > max_wait:
            return Wait(slot - now)
        commit(lane, slot, recipients, now, self.pace)
        return slot - now

    def idle_after(self, lane: dict, runner: str, now: float) -> bool:
        """After a job: True (and the runner let go) when nothing is left to do."""
        due = any(t <= now for t in lane.get("later", {}).values())
        if lane.get("q") or due or lane.get("later"):
            return False
        lane.get("runners", {}).pop(runner, None)
        return True
