"""Exchange's sending limits as slots: when the next message of a mailbox may be handed over.

Exchange Online lets one mailbox submit 30 messages in any minute and reach 10,000 recipients
in any 24 hours (MESSAGES_PER_MINUTE, RECIPIENTS_PER_DAY). A lane (lanes.py) releases its
messages at slots spaced evenly, ``interval`` apart, so the rate neither bursts nor stalls;
each slot is recorded ("stamps") and a slot is only granted when the last ``per_minute``
stamps leave room in a ``window`` of 60 s plus a small ``margin`` (what a request may take to
reach Graph), and when the day's recipients leave room for this message's. The slot is taken
at the moment of the hand-over (sendMail, or POST …/send), never earlier, so a message that
spent a minute uploading its files does not crowd the next ones into Exchange's minute.

This module is the reference: ``slot_for`` and ``commit`` are what FileLanes runs under its
lock, and what redis_lanes.py's Lua does in one step (the tests hold both to the same cases).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

DAY = 86400.0


@dataclass(frozen=True)
class Pace:
    """One mailbox's limits (all lanes share them) and how a lane keeps to them."""

    per_minute: int  # MESSAGES_PER_MINUTE
    recipients_per_day: int  # RECIPIENTS_PER_DAY
    concurrency: int  # MAILBOX_CONCURRENCY: jobs of one lane worked on at once
    lease: float  # SEND_LEASE: a runner or a job unrenewed this long is dead
    wait_in_thread: float = 5.0  # seconds a runner sleeps for a slot rather than rescheduling
    margin: float = 0.25  # seconds added to Exchange's 60: transit jitter, clock reading

    @property
    def window(self) -> float:
        return 60.0 + self.margin

    @property
    def interval(self) -> float:
        return self.window / self.per_minute

    @property
    def horizon(self) -> float:
        """How far ahead a runner may take a slot: just before it comes (the runner sleeps to
        a moment before it in its thread), so no slot is spoken for early and a person's send
        that arrives meanwhile takes the very next one."""
        return min(self.interval, 0.1)

    def refusal(self, recipients: int) -> str | None:
        """Why a message to ``recipients`` can never be sent from one mailbox, or None."""
        if recipients > self.recipients_per_day:
            return (f"{recipients} recipients: more than one mailbox may reach in a day "
                    f"(RECIPIENTS_PER_DAY, {self.recipients_per_day})")
        return None


class TooManyRecipients(ValueError):
    """A message no slot can ever take (``Pace.refusal``; submit refuses it before this)."""


def slot_for(now: float, next_slot: float, stamps: list[float], day: list[list[float]],
             recipients: int, pace: Pace) -> float:
    """The earliest time this message may be handed over: not before ``next_slot``, with room
    in the moving minute (``stamps``, ascending) and in the moving day (``day``: [time,
    recipients] ascending)."""
    if recipients > pace.recipients_per_day:
        raise TooManyRecipients(f"{recipients} recipients: more than RECIPIENTS_PER_DAY "
                                f"({pace.recipients_per_day})")
    slot = max(now, next_slot)
    recent = stamps[bisect.bisect_right(stamps, slot - pace.window):]
    if len(recent) >= pace.per_minute:
        slot = max(slot, recent[-pace.per_minute] + pace.window)
    used = [entry for entry in day if entry[0] > slot - DAY]
    total = sum(r for _, r in used) + recipients
    for when, count in used:  # oldest first: wait until enough of the day has aged out
        if total <= pace.recipients_per_day:
            break
        total -= count
        slot = max(slot, when + DAY)
    return slot


def commit(state: dict, slot: float, recipients: int, now: float, pace: Pace) -> None:
    """Record a granted slot in a lane's ``state`` (stamps, day, next)."""
    stamps = [s for s in state.get("stamps", []) if s > now - pace.window]
    bisect.insort(stamps, slot)
    state["stamps"] = stamps[-pace.per_minute:]
    day = [e for e in state.get("day", []) if e[0] > now - DAY]
    day.append([slot, recipients])
    day.sort()
    state["day"] = day
    state["next"] = max(float(state.get("next", 0.0)), slot + pace.interval)
