"""When and how long to wait before retrying a throttled or unavailable Graph call.

Graph answers 429 (throttled), 503 and 504 when a request was *not* processed, so those are
retried for every method, POST sendMail and upload-chunk PUTs included (python-o365 never
retries POST; msgraph-sdk skips octet-stream bodies). ``Retry-After`` is honoured in both of
its forms (seconds or an HTTP date); without it the wait is jittered exponential backoff. Both
the number of attempts and the total time spent waiting are bounded: a wait that would overrun
the budget is not slept, the last answer is returned and the caller reports it.

Network errors are a different matter: when a connection drops after a non-idempotent request
was sent, the outcome is unknown and a blind retry could send the mail twice. ``is_safe_to_retry``
tells the two cases apart; jobs.py confirms unknown outcomes instead of resending.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
from dataclasses import dataclass
from typing import Callable

import requests

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int  # tries in all, the first included (RETRY_MAX_ATTEMPTS)
    max_total_wait: float  # seconds slept across all retries of one call (RETRY_MAX_WAIT)
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.5  # up to +50 % random, so workers throttled together spread out

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """The wait after failed attempt number ``attempt`` (1-based) with no Retry-After."""
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return delay * (1 + self.jitter * rand())

    def delay(self, attempt: int, retry_after: str | None, now: dt.datetime | None = None,
              rand: Callable[[], float] = random.random) -> float:
        """Retry-After when the server gave one (it knows best), else backoff."""
        parsed = parse_retry_after(retry_after, now)
        return parsed if parsed is not None else self.backoff(attempt, rand)


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent
    or unreadable. A date in the past means "now" (0)."""
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def is_safe_to_retry(method: str, exc: requests.RequestException) -> bool:
    """True when repeating the request after ``exc`` cannot duplicate its effect.

    A connection that was never made (refused, DNS, connect timeout) sent nothing. Anything
    later (read timeout, reset mid-response) may have been processed: only idempotent
    methods may repeat then.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ReadTimeout):
        text = repr(exc)
        if "NewConnectionError" in text or "NameResolutionError" in text \
                or "ConnectionRefused" in text:
            return True
    return method.upper() in IDEMPOTENT_METHODS


def send_with_retry(send: Callable[[], requests.Response], method: str,
                    policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep,
                    what: str = "request") -> requests.Response:
    """Call ``send`` until it answers something other than 429/503/504, within the policy.

    Returns the last response (possibly still a 429/503/504 when the budget ran out). Raises
    the network exception when it is not safe to repeat the request.
    """
    waited = 0.0
    attempt = 0
    while True:
        attempt += 1
        try:
            response = send()
        except requests.RequestException as exc:
            if attempt >= policy.max_attempts or not is_safe_to_retry(method, exc):
                raise
            wait = policy.backoff(attempt)
            if waited + wait > policy.max_total_wait:
                raise
            logger.warning("%s failed (%s); retry %d in %.1fs", what, type(exc).__name__,
                           attempt, wait)
        else:
            if response.status_code not in RETRY_STATUSES or attempt >= policy.max_attempts:
                return response
            wait = policy.delay(attempt, response.headers.get("Retry-After"))
            if waited + wait > policy.max_total_wait:
                logger.warning("%s: %d with a wait of %.0fs, over the %.0fs budget; giving up",
                               what, response.status_code, wait, policy.max_total_wait)
                return response
            logger.info("%s: %d, retry %d in %.1fs", what, response.status_code, attempt, wait)
            _ = response.content  # drain the small error body so the connection is reused
        sleep(wait)
        waited += wait
