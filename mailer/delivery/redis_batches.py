"""A batch's jobs held out of their lane and put back (a merge paused, then resumed), the
states of many jobs read at once, and a lane's view: RedisLanes' part of it, each one Lua step
(lanes_batches.py is the file backend's; the tests hold both to the same cases).

A lane ``m`` keeps ``P..lane:m:held`` (a set: the jobs of a held batch, whatever they are
doing) and ``:parked`` (a sorted set: those of them out of the lane, scored by the time they
wait for, 0 for none). SUBMIT, REQUEUE and ORPHAN (redis_scripts.py) park a held job instead of
queueing it. A record is changed only when it is still the one read (the step is retried
otherwise), as CANCEL does.
"""
from __future__ import annotations

import json
from typing import Callable

from mailer.delivery.book import Entry
from mailer.delivery.outcomes import REPLACEABLE
from mailer.delivery.redis_scripts import COMMON

Change = Callable[[dict], dict]
TRIES = 5  # a record changed between the read and the step: read again, at most this often

# KEYS: q, later, parked, held   ARGV: ttl, prefix, then (id, record as read, new record)...
HOLD = r"""
local parked, stale = {}, {}
for i = 3, #ARGV, 3 do
  local id, raw, new = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  redis.call('sadd', KEYS[4], id)
  local queued, at = redis.call('zscore', KEYS[1], id), redis.call('zscore', KEYS[2], id)
  if queued or at then
    local key = ARGV[2] .. 'job:' .. id
    if (redis.call('get', key) or '') == raw then
      redis.call('zrem', KEYS[1], id)
      redis.call('zrem', KEYS[2], id)
      redis.call('zadd', KEYS[3], at or 0, id)
      if new ~= '' then redis.call('set', key, new, 'EX', ARGV[1]) end
      parked[#parked + 1] = id
    else
      stale[#stale + 1] = id
    end
  end
end
return {parked, stale}
"""

# KEYS: q, later, parked, held, meta, s, runners, lanes
# ARGV: ttl, prefix, lease, mailbox, then (id, record as read, new record)...
RELEASE = COMMON + r"""
local t = now()
local back, stale, queued = {}, {}, 0
for i = 5, #ARGV, 3 do
  local id, raw, new = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local at = redis.call('zscore', KEYS[3], id)
  if not at then
    redis.call('srem', KEYS[4], id)
  else
    local key = ARGV[2] .. 'job:' .. id
    if (redis.call('get', key) or '') == raw then
      redis.call('srem', KEYS[4], id)
      redis.call('zrem', KEYS[3], id)
      if tonumber(at) > t then
        redis.call('zadd', KEYS[2], at, id)
      else
        enqueue(KEYS[1], KEYS[5], id)
      end
      if new ~= '' then redis.call('set', key, new, 'EX', ARGV[1]) end
      back[#back + 1] = id
    else
      stale[#stale + 1] = id
    end
  end
end
local kick = 0
if #back > 0 then
  redis.call('sadd', KEYS[8], ARGV[4])
  redis.call('zremrangebyscore', KEYS[7], '-inf', t)
  if redis.call('zcard', KEYS[7]) == 0 and tonumber(redis.call('hget', KEYS[6], 'kicked') or '0') <= t then
    redis.call('hset', KEYS[6], 'kicked', tostring(t + tonumber(ARGV[3])))
    kick = 1
  end
end
return {back, stale, kick}
"""

# ARGV: prefix, then job ids. The records are json.dumps's: a quote inside a string is
# escaped there, so an unescaped '"state": "' is a key, and a record's own comes before any
# nested object's (records.py writes it first among its fields that hold objects with states).
STATES = r"""
local out = {}
for i = 2, #ARGV do
  local raw = redis.call('get', ARGV[1] .. 'job:' .. ARGV[i])
  out[#out + 1] = raw and (string.match(raw, '"state": "(%a+)"') or '') or ''
end
return out
"""

# KEYS: q, later, s, runners, parked   ARGV: a job id ('' for none)
VIEW = COMMON + r"""
local t = now()
local s = redis.call('hmget', KEYS[3], 'next', 'paused')
local ahead = ''
if ARGV[1] ~= '' then
  local rank = redis.call('zrank', KEYS[1], ARGV[1])
  if rank then ahead = tostring(rank) end
end
return {redis.call('zcard', KEYS[1]), redis.call('zcard', KEYS[2]),
        tostring(math.max(0, tonumber(s[1] or '0') - t)),
        tostring(math.max(0, tonumber(s[2] or '0') - t)),
        redis.call('zcount', KEYS[4], '(' .. t, '+inf'), redis.call('zcard', KEYS[5]), ahead}
"""
SCRIPTS = ("HOLD", "RELEASE", "STATES", "VIEW")


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBatches:
    """Mixed into RedisLanes (its client, prefix, ttl, pace, ``_k``, ``_lane``, ``_run``)."""

    def _triples(self, job_ids: list[str], change: Change) -> list:
        """(id, the record as stored, the record changed) for each job, flat, for a script."""
        raws = self.client.mget([self._k(f"job:{j}") for j in job_ids])
        out: list = []
        for job_id, raw in zip(job_ids, raws):
            new = json.dumps(change(json.loads(raw))) if raw else ""
            out += [job_id, raw or "", new]
        return out

    def submit_many(self, jobs: list[tuple[dict, Entry]],
                    replaceable: tuple[str, ...] = REPLACEABLE) -> tuple[list[dict], bool]:
        """``submit`` for each (one Lua step each: a Redis lane takes a job in logarithmic
        time, so one step for all would gain little and hold Redis longer)."""
        stored, kick = [], False
        for record, entry in jobs:
            done = self.submit(record, entry, replaceable)
            stored.append(done.record)
            kick = kick or done.kick
        return stored, kick

    def hold(self, mailbox: str, job_ids: list[str], held: Change) -> list[str]:
        keys = self._lane(mailbox, "q", "later", "parked", "held")
        parked, todo = [], list(job_ids)
        for _ in range(TRIES):
            if not todo:
                break
            got, stale = self._run("HOLD", keys, [self.ttl, self.prefix,
                                                  *self._triples(todo, held)])
            parked += [_text(j) for j in got]
            todo = [_text(j) for j in stale]
        return parked

    def release(self, mailbox: str, job_ids: list[str],
                released: Change) -> tuple[list[str], bool]:
        keys = [*self._lane(mailbox, "q", "later", "parked", "held", "meta", "s", "runners"),
                self._k("lanes")]
        back, todo, kick = [], list(job_ids), False
        for _ in range(TRIES):
            if not todo:
                break
            got, stale, kicked = self._run("RELEASE", keys, [
                self.ttl, self.prefix, self.pace.lease, mailbox, *self._triples(todo, released)])
            back += [_text(j) for j in got]
            todo, kick = [_text(j) for j in stale], kick or bool(kicked)
        return back, kick

    def index(self, key: str) -> list[tuple[str, float]]:
        return [(_text(j), float(t)) for j, t in
                self.client.zrevrange(self._k(key), 0, -1, withscores=True)]

    def states(self, job_ids: list[str]) -> list[str | None]:
        if not job_ids:
            return []
        return [_text(s) or None for s in self._run("STATES", [], [self.prefix, *job_ids])]

    def view(self, mailbox: str, job_id: str = "") -> dict:
        waiting, later, next_in, paused, runners, held, ahead = self._run(
            "VIEW", self._lane(mailbox, "q", "later", "s", "runners", "parked"), [job_id])
        return {"waiting": int(waiting), "scheduled": int(later), "held": int(held),
                "next_slot_in": float(_text(next_in)), "paused_for": float(_text(paused)),
                "runners": int(runners), "ahead": int(_text(ahead)) if _text(ahead) else None}
