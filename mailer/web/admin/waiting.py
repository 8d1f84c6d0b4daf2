"""What a job waits for, and how long a merge will take, in words: from the job's record
(``waiting_for``, ``waiting_until``, ``not_before``) and its lane's view (lanes' ``view``: the
next slot, a pause after a 429, how many go first, live runners). Data in, sentences out.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

NO_WORKER_AFTER = 10.0  # seconds queued with no runner before the page says no worker took it


@dataclass
class Wait:
    words: str
    at: float | None = None  # a time the words end with (shown in the reader's zone)


def seconds(value: float) -> str:
    """14 s, 3 min 5 s, 2 h 10 min."""
    value = max(0, int(round(value)))
    if value < 60:
        return f"{value} s"
    if value < 3600:
        return f"{value // 60} min" + (f" {value % 60} s" if value % 60 else "")
    return f"{value // 3600} h" + (f" {value % 3600 // 60} min" if value % 3600 // 60 else "")


def duration(value: float) -> str:
    """About how long, as people say it: under a minute, about 34 minutes, about 2 hours."""
    minutes = value / 60
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        whole = round(minutes)
        return f"about {whole} minute{'s' if whole != 1 else ''}"
    if minutes < 48 * 60:
        hours, rest = divmod(round(minutes), 60)
        return f"about {hours} hours" + (f" {rest} minutes" if rest else "")
    return f"about {round(minutes / 1440)} days"


def merge_time(found: dict) -> str:
    """merge_rows.duration's figures in words: "about 34 minutes at 30 a minute"."""
    words = f"{duration(found['seconds'])} at {found['per_minute']:,} a minute"
    if found["ahead"]:
        words += (f", after the {found['ahead']:,} message{'s' if found['ahead'] != 1 else ''} "
                  "already waiting to go from this mailbox")
    return words


def job_wait(job: dict, view: dict | None, per_minute: int, interval: float,
             now: float | None = None) -> Wait | None:
    """What ``job`` waits for now, or None when it waits for nothing (it ended, or is sent)."""
    now = time.time() if now is None else now
    state, mailbox = job.get("state"), job.get("mailbox", "")
    limit = f"{mailbox} is at its {per_minute}-a-minute limit"
    if state == "scheduled":
        return Wait("Scheduled for", job.get("not_before"))
    if state == "held":
        return Wait("Paused with its merge: it goes when the merge is resumed.")
    if state == "sending":
        return Wait(f"Being sent now ({job.get('phase') or 'handing it to Graph'}).")
    if state == "waiting":
        left = (job.get("waiting_until") or 0) - now
        return Wait(_waiting(job.get("waiting_for"), left, mailbox, limit))
    if state != "queued" or view is None:
        return None
    if view["paused_for"] > 0:
        return Wait(f"Paused after a 429 for {seconds(view['paused_for'])}: Graph throttled "
                    f"{mailbox}, so everything sent from it waits; it goes by itself after.")
    ahead = view.get("ahead")
    if ahead:
        return Wait(f"{ahead:,} message{'s go' if ahead != 1 else ' goes'} before it from "
                    f"{mailbox}, one every {interval:.1f} s ({per_minute} a minute): its turn "
                    f"in {duration((ahead + 1) * interval)}.")
    if view["next_slot_in"] > 0:
        return Wait(f"Next slot in {seconds(view['next_slot_in'])}: {limit}.")
    if view["runners"]:
        return Wait("Next: a worker is taking it now.")
    if now - (job.get("created") or now) > NO_WORKER_AFTER:
        return Wait(f"No worker has taken {mailbox}'s messages yet: is a worker running "
                    "(python -m mailer worker)?")
    return Wait("Next in line: a worker takes it in a moment.")


def _waiting(why: str | None, left: float, mailbox: str, limit: str) -> str:
    again = f"in {seconds(left)}" if left > 0 else "now"
    if why == "throttled":
        return (f"Paused after a 429 for {seconds(max(left, 0))}: Graph throttled {mailbox}; "
                "it goes by itself after.")
    if why == "pacing":
        return f"Next slot in {seconds(max(left, 0))}: {limit}."
    if why == "token_unavailable":
        return f"No app-only token from the sign-in service yet: it tries again {again}."
    if why == "confirming":
        return ("An answer from Graph was lost: it asks Graph whether the message went before "
                f"sending anything (never twice), {again}.")
    return f"Graph was unavailable: it tries again {again}."
