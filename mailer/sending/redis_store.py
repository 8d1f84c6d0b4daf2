"""The shared store on Redis (store.py describes the contract): SET NX for claims, Lua for
the compare-and-set steps of leases, a TTL on every key; and the app's one Redis client."""
from __future__ import annotations

import json
from typing import Callable

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then " \
         "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
_PUT_HELD = "if redis.call('get', KEYS[1]) == ARGV[1] then " \
            "redis.call('set', KEYS[2], ARGV[2], 'EX', ARGV[3]) return 1 else return 0 end"
_BEGIN = ("if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[5]) then "
          "return 'claimed' end "
          "if not redis.call('set', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then "
          "redis.call('del', KEYS[1]) return 'leased' end "
          "redis.call('set', KEYS[3], ARGV[4], 'EX', ARGV[5]) return 'ok'")
_DROP = "if redis.call('get', KEYS[1]) == ARGV[1] then " \
        "return redis.call('del', KEYS[1]) else return 0 end"
# Compare and set: write ARGV[2] (delete when '') only if the key still holds ARGV[1] ('' for
# absent: a stored value is JSON, never empty).
_SWAP = "if (redis.call('get', KEYS[1]) or '') ~= ARGV[1] then return 0 end " \
        "if ARGV[2] == '' then redis.call('del', KEYS[1]) " \
        "else redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) end return 1"
SWAP_TRIES = 100


class RedisStore:
    """The same over Redis: SET NX for claims, a TTL on every key."""

    def __init__(self, client: redis.Redis, ttl: float, prefix: str = "mailer:job:"):
        self.client, self.prefix, self.ttl = client, prefix, int(ttl)
        self._swap = client.register_script(_SWAP)

    def get(self, key: str) -> dict | None:
        raw = self.client.get(self.prefix + key)
        return json.loads(raw) if raw else None

    def get_many(self, keys: list[str]) -> list[dict | None]:
        if not keys:
            return []
        return [json.loads(raw) if raw else None
                for raw in self.client.mget([self.prefix + key for key in keys])]

    def put(self, key: str, value: dict) -> None:
        self.client.set(self.prefix + key, json.dumps(value), ex=self.ttl)

    def claim(self, key: str, value: dict) -> bool:
        return bool(self.client.set(self.prefix + key, json.dumps(value), ex=self.ttl, nx=True))

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def take_lease(self, key: str, token: str, seconds: float) -> bool:
        return bool(self.client.set(self.prefix + key, token, px=int(seconds * 1000), nx=True))

    def renew_lease(self, key: str, token: str, seconds: float) -> bool:
        return bool(self.client.eval(_RENEW, 1, self.prefix + key, token, int(seconds * 1000)))

    def lease_holder(self, key: str) -> str | None:
        raw = self.client.get(self.prefix + key)
        return raw.decode() if isinstance(raw, bytes) else raw

    def begin(self, claim: str, claimed: dict, lease: str, token: str, seconds: float,
              key: str, value: dict) -> str:
        answer = self.client.eval(_BEGIN, 3, self.prefix + claim, self.prefix + lease,
                                  self.prefix + key, json.dumps(claimed), token,
                                  int(seconds * 1000), json.dumps(value), self.ttl)
        return answer.decode() if isinstance(answer, bytes) else answer

    def put_held(self, key: str, value: dict, lease: str, token: str) -> bool:
        return bool(self.client.eval(_PUT_HELD, 2, self.prefix + lease, self.prefix + key, token,
                                     json.dumps(value), self.ttl))

    def drop_lease(self, key: str, token: str) -> None:
        self.client.eval(_DROP, 1, self.prefix + key, token)

    def update(self, key: str, change: Callable[[dict | None], dict | None],
               seen: object = ...) -> dict | None:
        """Read, ``change``, and write only if nobody wrote in between (else again): two
        round trips, where WATCH, GET and MULTI ... EXEC take three; one when the caller
        ``seen`` the value (json.dumps gives back the very text it was read from)."""
        name = self.prefix + key
        for attempt in range(SWAP_TRIES):
            if attempt == 0 and seen is not ...:
                raw = None if seen is None else json.dumps(seen)
            else:
                raw = self.client.get(name)
            value = change(json.loads(raw) if raw else None)
            new = "" if value is None else json.dumps(value)
            if self._swap(keys=[name], args=[raw or "", new, self.ttl]):
                return value
        raise redis.WatchError(f"{key} changed {SWAP_TRIES} times while being updated")

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.set(self.prefix + key, data, ex=self.ttl)

    def get_bytes(self, key: str) -> bytes | None:
        return self.client.get(self.prefix + key)

    def delete_bytes(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def touch(self, keys: list[str], seconds: float | None = None) -> None:
        if keys:
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.expire(self.prefix + key, int(seconds or self.ttl))
            pipe.execute()

    def sweep(self) -> int:
        return 0  # every key carries its TTL: Redis expires them


def redis_client(url: str) -> redis.Redis:
    """The app's one Redis client (a connection pool), for sessions, token locks and jobs.

    Bounded everywhere, so a Redis that is down or stuck costs a request seconds, not a worker:
    2 s to connect, 5 s per command, one retry (a pooled connection Redis closed meanwhile), and
    a PING before reusing a connection idle for 30 s. redis-py's own default retries ten times.
    """
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5,
                                health_check_interval=30,
                                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 1))
