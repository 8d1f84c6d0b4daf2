"""What a job waits for, in words (mailer/web/admin/waiting.py), from its record and its lane's
view, and how long a merge takes: every case a page can show."""
from __future__ import annotations

import pytest

from mailer.web.admin.waiting import duration, job_wait, merge_time, seconds

NOW = 1_000_000.0
VIEW = {"waiting": 1, "scheduled": 0, "held": 0, "next_slot_in": 0.0, "paused_for": 0.0,
        "runners": 1, "ahead": 0}


def job(state="queued", **fields):
    return {"state": state, "mailbox": "sales@contoso.example", "created": NOW - 1, **fields}


@pytest.mark.parametrize("record, view, words", [
    (job(), {**VIEW, "next_slot_in": 14.2}, "Next slot in 14 s: sales@contoso.example is at its "
                                            "30-a-minute limit."),
    (job(), {**VIEW, "paused_for": 40}, "Paused after a 429 for 40 s: Graph throttled "
                                        "sales@contoso.example, so everything sent from it "
                                        "waits"),
    (job(), {**VIEW, "ahead": 1}, "1 message goes before it from sales@contoso.example, one "
                                  "every 2.0 s (30 a minute): its turn in under a minute."),
    (job(), {**VIEW, "ahead": 1000}, "1,000 messages go before it from sales@contoso.example, "
                                     "one every 2.0 s (30 a minute): its turn in about 34 "
                                     "minutes."),
    (job(), VIEW, "Next: a worker is taking it now."),
    (job(), {**VIEW, "runners": 0}, "Next in line: a worker takes it in a moment."),
    (job(created=NOW - 60), {**VIEW, "runners": 0}, "No worker has taken "
                                                    "sales@contoso.example's messages yet: is "
                                                    "a worker running (python -m mailer "
                                                    "worker)?"),
    (job("waiting", waiting_for="throttled", waiting_until=NOW + 40), None,
     "Paused after a 429 for 40 s: Graph throttled sales@contoso.example; it goes by itself"),
    (job("waiting", waiting_for="pacing", waiting_until=NOW + 3), None,
     "Next slot in 3 s: sales@contoso.example is at its 30-a-minute limit."),
    (job("waiting", waiting_for="graph_unavailable", waiting_until=NOW + 65), None,
     "Graph was unavailable: it tries again in 1 min 5 s."),
    (job("waiting", waiting_for="token_unavailable", waiting_until=NOW - 1), None,
     "No app-only token from the sign-in service yet: it tries again now."),
    (job("waiting", waiting_for="confirming", waiting_until=NOW + 1), None,
     "An answer from Graph was lost: it asks Graph whether the message went"),
    (job("held"), None, "Paused with its merge: it goes when the merge is resumed."),
    (job("sending", phase="uploading"), None, "Being sent now (uploading)."),
])
def test_a_job_says_what_it_waits_for(record, view, words):
    said = job_wait(record, view, 30, 60.25 / 30, now=NOW)
    assert said.words.startswith(words), said.words
    assert said.at is None


def test_a_scheduled_job_ends_with_its_time_and_an_ended_one_waits_for_nothing():
    said = job_wait(job("scheduled", not_before=NOW + 3600), None, 30, 2.0, now=NOW)
    assert (said.words, said.at) == ("Scheduled for", NOW + 3600)
    for state in ("sent", "failed", "cancelled", "unknown"):
        assert job_wait(job(state), VIEW, 30, 2.0, now=NOW) is None


@pytest.mark.parametrize("value, words", [(0.4, "0 s"), (14.4, "14 s"), (60, "1 min"),
                                          (185, "3 min 5 s"), (7800, "2 h 10 min")])
def test_seconds_in_words(value, words):
    assert seconds(value) == words


@pytest.mark.parametrize("value, words", [(20, "under a minute"), (34 * 60, "about 34 minutes"),
                                          (61, "about 1 minute"),
                                          (130 * 60, "about 2 hours 10 minutes"),
                                          (3 * 86400, "about 3 days")])
def test_durations_in_words(value, words):
    assert duration(value) == words


def test_a_merge_takes_this_long_at_its_pace():
    assert merge_time({"seconds": 1020 * 2.0, "per_minute": 30, "ahead": 0}) == \
        "about 34 minutes at 30 a minute"
    assert merge_time({"seconds": 120, "per_minute": 30, "ahead": 12}).endswith(
        "after the 12 messages already waiting to go from this mailbox")
