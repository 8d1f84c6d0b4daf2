"""Pacing per sender mailbox ("lane"), within Exchange's and Outlook's limits.

- Messages a minute (MESSAGES_PER_MINUTE), spread evenly: a moving window of k messages per m
  seconds with k/m = the limit per second (30/min: 1 per 2 s), so no 60-second span ever holds
  more than the limit and the rate does not burst and then stall.
- Recipients in any 24 hours (RECIPIENTS_PER_DAY): a moving day window charged per recipient.
- Requests at once (MAILBOX_CONCURRENCY): that many slot leases in the shared store, so the
  bound holds across worker processes and a dead worker's slot frees itself.
- A 429 pauses the lane for its Retry-After (a key in the shared store); other lanes go on.

The windows are the ``limits`` library's, in memory (one worker process) or in Redis (every
worker shares them) when REDIS_URL is set.
"""
from __future__ import annotations

import math
import threading
import time

from limits import RateLimitItemPerDay, RateLimitItemPerSecond, storage, strategies

from mailer.automation.errors import Later
from mailer.sending.lease import Lease
from mailer.sending.store import KeyValueStore


def even_window(per_minute: int) -> RateLimitItemPerSecond:
    """k per m seconds with k/m = per_minute/60, both whole (60 = m * per_minute / k)."""
    g = math.gcd(per_minute, 60)
    return RateLimitItemPerSecond(per_minute // g, 60 // g)


class Lanes:
    """Admission to each sender mailbox's lane; ``enter`` returns a held slot or raises Later."""

    def __init__(self, store: KeyValueStore, *, per_minute: int, recipients_per_day: int,
                 concurrency: int, slot_seconds: float, redis_url: str | None = None,
                 clock=time.time):
        self.store, self.concurrency, self.slot_seconds = store, concurrency, slot_seconds
        self.rate = even_window(per_minute)
        self.day = RateLimitItemPerDay(recipients_per_day)
        self.day_limit = recipients_per_day
        backend = storage.storage_from_string(redis_url) if redis_url else storage.MemoryStorage()
        self.limiter = strategies.MovingWindowRateLimiter(backend)
        self.clock = clock
        self._lock = threading.Lock()  # test-then-hit of both windows, in one process

    def paused_for(self, sender: str) -> float:
        record = self.store.get(f"pause:{sender}")
        return max(0.0, (record or {}).get("until", 0) - self.clock())

    def pause(self, sender: str, seconds: float) -> None:
        """Hold the lane for ``seconds`` (a 429's Retry-After), never shortening a longer pause."""
        until = self.clock() + seconds
        self.store.update(f"pause:{sender}", lambda old: {
            "until": max(until, (old or {}).get("until", 0))})

    def enter(self, sender: str, recipients: int) -> Lease:
        """A slot of ``sender``'s lane, charged to its windows; Later when it may not go now."""
        paused = self.paused_for(sender)
        if paused > 0:
            raise Later(paused, f"{sender} is paused after a 429")
        if recipients > self.day_limit:
            raise ValueError(f"{recipients} recipients exceed RECIPIENTS_PER_DAY")
        slot = self._slot(sender)
        try:
            self._charge(sender, recipients)
        except Later:
            slot.release()
            raise
        return slot

    def _slot(self, sender: str) -> Lease:
        for i in range(self.concurrency):
            lease = Lease(self.store, f"slot:{sender}:{i}", self.slot_seconds)
            if lease.take():
                lease.start_heartbeat()
                return lease
        raise Later(0.05, f"{sender} has {self.concurrency} requests under way")

    def _charge(self, sender: str, recipients: int) -> None:
        with self._lock:
            if not self.limiter.test(self.day, sender, cost=recipients):
                reset = self.limiter.get_window_stats(self.day, sender).reset_time
                raise Later(max(1.0, reset - self.clock()), f"{sender} reached its day's "
                            "recipients")
            if not self.limiter.hit(self.rate, sender):
                reset = self.limiter.get_window_stats(self.rate, sender).reset_time
                raise Later(max(0.01, reset - self.clock()), f"{sender} is at its message rate")
            self.limiter.hit(self.day, sender, cost=recipients)
