"""Exchange Online's sending limits, per mailbox, and the settings of every emulated limit.

Defaults are Exchange Online's (service description, "Sending limits"): 30 messages a minute,
10,000 recipients in any 24 hours, 500 recipients a message; and Outlook's throttling of Graph
(4 concurrent requests, 10,000 requests in 10 minutes, per app and mailbox: ``request_throttling``).
Every figure can be changed for tests: ``python -m emulator serve --limit NAME=VALUE`` or
``EMULATOR_LIMITS`` (JSON) at start, ``PUT /_emulator/limits`` at run time (until the next reset).
``null`` switches a limit off.

What Exchange does past a limit:
- recipients in 24 h: the submission is refused until enough of the day's recipients age out
  (the SMTP docs give ``554 5.2.0 ... SubmissionQuotaExceededException``). Graph's answer here:
  429 ``ErrorSubmissionQuotaExceeded`` (Exchange's code for it) with a Retry-After of the
  seconds until the window admits the message. The status is UNCONFIRMED.
- messages a minute: Exchange carries the excess over to the following minutes instead of
  refusing it. ``over_message_rate: "delay"`` (the default) does that: 202, and the message
  waits in the Outbox until its slot. ``"refuse"`` answers 429 ``ErrorSubmissionQuotaExceeded``
  with a truthful Retry-After instead, for clients that pace themselves (UNCONFIRMED: no source
  shows Graph refusing on this limit).
The counters are per mailbox that submits the message: the URL's (``/me``: the signer's), also
when it goes out *as* or *on behalf of* another mailbox (UNCONFIRMED: whether Exchange charges
the From mailbox instead). A distribution list counts as one recipient (UNCONFIRMED).
Time is the mail clock (``MailStore.clock_offset``), so tests move one clock for everything.
"""
from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass, field

from ..state import get_state
from .common import GraphFailure

DEFAULTS = {"messages_per_minute": 30, "recipients_per_day": 10_000,
            "recipients_per_message": 500, "concurrent_per_mailbox": 4,
            "requests_per_10_minutes": 10_000, "over_message_rate": "delay"}
RATE_ACTIONS = ("delay", "refuse")
MINUTE, DAY = 60.0, 24 * 3600.0
QUOTA = ("ErrorSubmissionQuotaExceeded",
         "The message couldn't be sent because the sender's submission quota was exceeded. "
         "Please try again later.")


class LimitError(ValueError):
    """A setting that cannot be used; the message names it."""


def parse_settings(raw) -> dict:
    """Checked settings (a subset of DEFAULTS' keys), or LimitError naming the field."""
    if not isinstance(raw, dict) or not raw:
        raise LimitError('send a JSON object, e.g. {"messages_per_minute": 3}')
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise LimitError(f"unknown limit(s): {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(DEFAULTS))}")
    for name, value in raw.items():
        if name == "over_message_rate":
            if value not in RATE_ACTIONS:
                raise LimitError(f"over_message_rate must be one of {', '.join(RATE_ACTIONS)}")
        elif value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                    or value < 1):
            raise LimitError(f"{name} must be a whole number of at least 1, or null (no limit)")
    return dict(raw)


def parse_assignments(items: list[str]) -> dict:
    """``NAME=VALUE`` command-line items as settings (``null`` or ``none``: no limit)."""
    raw = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise LimitError(f"--limit takes NAME=VALUE, not {item!r}")
        value = value.strip()
        if value.lower() in ("null", "none"):
            raw[name.strip()] = None
        elif name.strip() == "over_message_rate":
            raw[name.strip()] = value
        else:
            try:
                raw[name.strip()] = int(value)
            except ValueError:
                raise LimitError(f"{name.strip()} must be a whole number, not {value!r}") from None
    return parse_settings(raw)


@dataclass
class Limits:
    """Settings and counters; one per emulator state, dropped (so zeroed) by ``reset()``."""

    settings: dict
    lock: threading.Lock = field(default_factory=threading.Lock)
    # mailbox id -> send times (messages), and -> (time, recipients) pairs, oldest first.
    messages: dict = field(default_factory=lambda: collections.defaultdict(collections.deque))
    recipients: dict = field(default_factory=lambda: collections.defaultdict(collections.deque))
    # (app id, mailbox id) -> requests in flight, and -> request times (outlook_throttle).
    in_flight: dict = field(default_factory=lambda: collections.defaultdict(int))
    requests: dict = field(default_factory=lambda: collections.defaultdict(collections.deque))

    def admit_send(self, mailbox_id: str, count: int, now: float) -> float:
        """Charge one message of ``count`` recipients to the mailbox: the seconds it must wait
        for its slot (``delay`` mode), or 429 when it may not go now."""
        with self.lock:
            per_day = self.settings["recipients_per_day"]
            day = self.recipients[mailbox_id]
            while day and day[0][0] <= now - DAY:
                day.popleft()
            if per_day is not None and sum(n for _, n in day) + count > per_day:
                raise throttled(_day_wait(day, count, per_day, now), *QUOTA)
            per_minute = self.settings["messages_per_minute"]
            sent = self.messages[mailbox_id]
            while sent and sent[0] <= now - MINUTE:
                sent.popleft()
            slot = now
            if per_minute is not None and len(sent) >= per_minute:
                slot = max(now, sent[-per_minute] + MINUTE)
            if slot > now and self.settings["over_message_rate"] == "refuse":
                raise throttled(slot - now, *QUOTA)
            sent.append(slot)
            day.append((now, count))
            return slot - now

    def usage(self, now: float) -> dict:
        """Per mailbox: messages in the last minute, recipients in the last 24 hours."""
        with self.lock:
            boxes = set(self.messages) | set(self.recipients)
            return {box: {"messages_last_minute": sum(1 for t in self.messages[box]
                                                      if now - MINUTE < t <= now),
                          "recipients_last_day": sum(n for t, n in self.recipients[box]
                                                     if t > now - DAY)}
                    for box in boxes}


def _day_wait(day, count: int, limit: int, now: float) -> float:
    """Seconds until the oldest recipients age out far enough for ``count`` more."""
    total = sum(n for _, n in day)
    for moment, n in day:
        total -= n
        if total + count <= limit:
            return moment + DAY - now
    return (day[-1][0] + DAY - now) if day else DAY  # more than a day's limit: never fits


def retry_after(seconds: float) -> str:
    """Whole seconds, rounded up so that a client waiting this long is admitted."""
    return str(max(1, math.ceil(seconds - 1e-6)))


def throttled(seconds: float, code: str, message: str) -> GraphFailure:
    return GraphFailure(429, code, message, {"Retry-After": retry_after(seconds)})


def limits_of(state) -> Limits:
    return state.extension("graph.limits", lambda: Limits(
        dict(DEFAULTS, **(getattr(state, "send_limits", None) or {}))))


def clock(state) -> float:
    """The mail clock in epoch seconds: real time plus the offset tests set on the mail store."""
    from .mail.store import MailStore

    return time.time() + state.extension("mail", MailStore).clock_offset.total_seconds()


def recipients_per_message() -> int | None:
    return limits_of(get_state()).settings["recipients_per_message"]


def admit_send(mailbox_id: str, count: int) -> float:
    """Charge a message to its submitting mailbox (see the module docstring); seconds of delay."""
    state = get_state()
    return limits_of(state).admit_send(mailbox_id, count, clock(state))
