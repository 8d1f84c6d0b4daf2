"""Lanes in Redis (several hosts): FileLanes' calls, each one Lua script (redis_scripts.py).

The job store's RedisStore gives the client and the prefix; every key lives under that prefix
with a TTL, except a lane's own keys, which empty themselves as its jobs leave. Holding a
batch's jobs, reading many jobs' states and a lane's view: redis_batches.py.
"""
from __future__ import annotations

import json
import uuid

from mailer.delivery import redis_batches, redis_scripts as lua
from mailer.delivery.book import IDLE, FULL, KEEP_LISTED, NOTICES, Entry, Go, Submitted, Wait
from mailer.delivery.outcomes import ACTIVE, REPLACEABLE
from mailer.delivery.pace import Pace
from mailer.delivery.redis_batches import RedisBatches, _text
from mailer.sending.store import RedisStore


class RedisLanes(RedisBatches):
    """Lanes, job records and their indexes in Redis."""

    def __init__(self, store: RedisStore, pace: Pace):
        self.store, self.pace = store, pace
        self.client, self.prefix, self.ttl = store.client, store.prefix, store.ttl
        self._scripts = {name: self.client.register_script(getattr(lua, name)) for name in (
            "SUBMIT", "TAKE", "RESERVE", "FINISH", "REQUEUE", "CANCEL", "PAUSE",
            "RENEW_RUNNER", "KICK_DUE", "CLAIM", "ORPHAN")}
        self._scripts.update({name: self.client.register_script(getattr(redis_batches, name))
                              for name in redis_batches.SCRIPTS})

    def _k(self, key: str) -> str:
        return self.prefix + key

    def _lane(self, mailbox: str, *parts: str) -> list[str]:
        return [self._k(f"lane:{mailbox}:{part}") for part in parts]

    def _run(self, name: str, keys: list[str], args: list):
        return self._scripts[name](keys=keys, args=args)

    # -- the steps -----------------------------------------------------------------------------
    def submit(self, record: dict, entry: Entry,
               replaceable: tuple[str, ...] = REPLACEABLE,
               kick_entry: tuple[str, bytes, int] | None = None) -> Submitted:
        """FileLanes.submit as one Lua step; with ``kick_entry`` (queue.kick_entry) the step
        also queues the runner's start when the lane needs one."""
        owner, job_id, p = record.get("owner"), record["id"], self.pace
        keys = [self._k(f"job:{job_id}"), *self._lane(entry.mailbox, "q", "later", "meta", "s",
                                                      "runners"),
                self._k("lanes"), self._k(f"jobs-of:{owner or ''}"),
                self._k(f"jobs-in:{entry.mailbox}"), self._k(f"notify:{job_id}"),
                self._k("taken"), *self._lane(entry.mailbox, "held", "parked", "stamps", "day")]
        args = [json.dumps(record), job_id, entry.priority, entry.recipients,
                int(entry.reserve_at_take), entry.not_before or 0, self.ttl, p.lease,
                entry.mailbox, "1" if owner else "0", KEEP_LISTED,
                ",".join(replaceable), p.window, p.per_minute, p.recipients_per_day]
        if kick_entry:
            queue_key, member, score = kick_entry
            keys.append(queue_key)
            args += [member, score]
        made, found, kick, due = self._run("SUBMIT", keys, args)
        if not made:
            return Submitted(json.loads(found), False, False)
        due = _text(due)
        return Submitted(record, True, bool(kick), float(due) if due else None,
                         bool(kick) and kick_entry is not None)

    def take(self, mailbox: str, runner: str):
        token = _new_token()
        keys = [*self._lane(mailbox, "q", "later", "meta", "s", "runners", "stamps", "day"),
                self._k("taken"), self._k("lanes")]
        p = self.pace
        answer = [_text(a) for a in self._run("TAKE", keys, [
            runner, p.lease, p.concurrency, p.horizon, p.window, p.per_minute, p.interval,
            p.recipients_per_day, token, self.prefix, mailbox, self.ttl])]
        if answer[0] == "go":  # the job's record comes with it: no second round trip
            return Go(answer[1], float(answer[2]), token, answer[3] == "1",
                      float(answer[4]) if answer[4] else None,
                      json.loads(answer[5]) if answer[5] else None)
        if answer[0] == "wait":
            return Wait(float(answer[1]))
        return IDLE if answer[0] == "idle" else FULL

    def reserve(self, mailbox: str, recipients: int, max_wait: float, job_id: str = ""):
        p = self.pace
        job_id = job_id or _new_token()
        kind, seconds = (_text(a) for a in self._run(
            "RESERVE", [*self._lane(mailbox, "s", "stamps", "day"), self._k(f"handing:{job_id}")],
            [recipients, max_wait, p.window, p.per_minute, p.interval, p.recipients_per_day,
             job_id, self.ttl]))
        return Wait(float(seconds)) if kind == "wait" else float(seconds)

    def renew_runner(self, mailbox: str, runner: str) -> bool:
        return bool(self._run("RENEW_RUNNER", self._lane(mailbox, "runners"),
                              [runner, self.pace.lease]))

    def leave(self, mailbox: str, runner: str) -> None:
        self.client.zrem(self._lane(mailbox, "runners")[0], runner)

    def finish(self, record: dict, token: str, runner: str | None = None,
               notice: bool = False) -> str:
        job_id, mailbox = record["id"], record["mailbox"]
        keys = [self._k(f"job:{job_id}"), self._k(f"lease:job:{job_id}"), self._k("taken"),
                self._k(f"notify:{job_id}"), *self._lane(mailbox, "meta", "q", "later",
                                                         "runners"),
                self._k(f"notices:{record.get('owner') or ''}"), self._k(f"handing:{job_id}")]
        return _text(self._run("FINISH", keys, [
            token, json.dumps(record), self.ttl, job_id,
            "1" if notice and record.get("owner") else "0", runner or "", NOTICES]))

    def requeue(self, record: dict, token: str, entry: Entry, handed: bool = False) -> bool:
        job_id = record["id"]
        keys = [self._k(f"job:{job_id}"), self._k(f"lease:job:{job_id}"), self._k("taken"),
                *self._lane(entry.mailbox, "q", "later", "meta"), self._k("lanes"),
                self._k(f"handing:{job_id}"), *self._lane(entry.mailbox, "held", "parked")]
        return bool(self._run("REQUEUE", keys, [
            token, json.dumps(record), self.ttl, job_id, entry.priority, entry.recipients,
            int(entry.reserve_at_take), entry.not_before or 0, entry.mailbox,
            "1" if handed else "0"]))

    def claim(self, record: dict, replaceable: tuple[str, ...]) -> tuple[dict, bool]:
        owner, job_id = record.get("owner"), record["id"]
        made, found = self._run("CLAIM", [
            self._k(f"job:{job_id}"), self._k("taken"), self._k(f"jobs-of:{owner or ''}"),
            self._k(f"jobs-in:{record['mailbox']}")], [
            json.dumps(record), job_id, self.ttl, ",".join(replaceable), "1" if owner else "0",
            KEEP_LISTED])
        return (record, True) if made else (json.loads(found), False)

    def orphan(self, job_id: str, entry: Entry | None) -> bool:
        mailbox = entry.mailbox if entry else ""
        return bool(self._run("ORPHAN", [
            self._k(f"lease:job:{job_id}"), self._k("taken"),
            *self._lane(mailbox, "q", "later", "meta"), self._k("lanes"),
            *self._lane(mailbox, "held", "parked")], [
            job_id, entry.priority if entry else 0, entry.recipients if entry else 0,
            int(entry.reserve_at_take) if entry else 0, (entry.not_before or 0) if entry else 0,
            mailbox, "1" if entry else "0"]))

    def pause(self, mailbox: str, seconds: float) -> None:
        self._run("PAUSE", self._lane(mailbox, "s"), [seconds])

    def cancel(self, job_id: str, cancelled) -> dict | None:
        for _ in range(5):  # the record changed between the read and the step: read again
            raw = self.client.get(self._k(f"job:{job_id}"))
            record = json.loads(raw) if raw else None
            if not record or record.get("state") not in ACTIVE:
                return None
            new = cancelled(dict(record))
            done = self._run("CANCEL", [self._k(f"job:{job_id}"),
                                        *self._lane(record["mailbox"], "q", "later", "meta",
                                                    "parked", "held")],
                             [raw, json.dumps(new), self.ttl, job_id])
            if done == 1:
                return new
            if done == 0:
                return None
        return None

    # -- reading -------------------------------------------------------------------------------
    def get(self, job_id: str) -> dict | None:
        return self.store.get(f"job:{job_id}")

    def listed(self, key: str, start: int = 0, count: int = 50) -> list[dict]:
        ids = [_text(i) for i in self.client.zrevrange(self._k(key), start, start + count - 1)]
        if not ids:
            return []
        return [json.loads(raw) for raw in self.client.mget([self._k(f"job:{i}") for i in ids])
                if raw]

    def notices(self, owner: str) -> list[str]:
        pipe = self.client.pipeline()
        pipe.lrange(self._k(f"notices:{owner}"), 0, -1)
        pipe.delete(self._k(f"notices:{owner}"))
        return [_text(i) for i in pipe.execute()[0]]

    def seen(self, owner: str, job_id: str) -> None:
        self.client.lrem(self._k(f"notices:{owner}"), 0, job_id)

    def wait_done(self, job_id: str, timeout: float) -> bool:
        if timeout <= 0:
            return bool(self.client.exists(self._k(f"notify:{job_id}")))
        # FINISH leaves a few tokens: a second request waiting (another tab) gets one too.
        return bool(self.client.blpop([self._k(f"notify:{job_id}")], timeout=timeout))

    def busy_lanes(self) -> list[str]:
        return sorted(_text(m) for m in self.client.smembers(self._k("lanes")))

    def taken_jobs(self) -> dict[str, float]:
        return {_text(k): float(_text(v)) for k, v in self.client.hgetall(self._k("taken")).items()}

    def kick_due(self, mailbox: str) -> bool:
        return bool(self._run("KICK_DUE", [*self._lane(mailbox, "q", "later", "s", "runners"),
                                           self._k("lanes")], [self.pace.lease, mailbox]))


def _new_token() -> str:
    return uuid.uuid4().hex
