"""Faults injected by the emulator: throttling, 5xx, dropped connections before and after.

The promise under test: a message is sent exactly once. A failure Graph says was not processed
is retried (a long Retry-After pauses the mailbox's lane, and the job goes by itself after it);
a lost answer is settled by asking Graph (the draft, or Sent Items a lease's length later)
before anything is sent again; only a copy that cannot be looked for ends "unknown".
"""
import time

import pytest

from helpers.engine import Engines
from mailer.delivery.outcomes import FOR_THROTTLING, SENT, UNKNOWN, WAITING
from mailer.sending.plan import DRAFT, SENDMAIL
from mailer.sending.sizes import MB
from mailer.web.job_words import job_message

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"


@pytest.fixture
def engines(emu, tmp_path):
    built = Engines(emu, tmp_path, SEND_LEASE=3)
    yield built
    built.close()


def _send(engines, token_for, subject, files=(), save=True):
    return engines.send(ADELE, token_for(), to=MEGAN, subject=subject, save_to_sent_items=save,
                        attachments=[str(p) for p in files])


def _arrived(graph_for, subject):
    return [m for m in graph_for(MEGAN).list_messages("inbox", select=["subject"], top=50)
            if m["subject"] == subject]


def test_throttled_sendmail_is_retried_after_retry_after_and_sent_once(engines, token_for,
                                                                      graph_for, faults):
    faults.add(path="/sendMail$", method="POST", status=429, retry_after=1)
    started = time.monotonic()
    job = _send(engines, token_for, "Throttled")
    assert job["plan"] == SENDMAIL and job["state"] == SENT, job
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert len(_arrived(graph_for, "Throttled")) == 1


def test_a_long_retry_after_pauses_the_lane_for_everyone_and_the_job_goes_after_it(
        engines, token_for, graph_for, faults):
    faults.add(path="/sendMail$", status=429, retry_after=4)  # longer than a thread waits
    first = engines.job(ADELE, token_for(), to=MEGAN, subject="Too throttled")
    second = engines.job(ADELE, token_for(), to=MEGAN, subject="Behind it")
    engines.submit(first)
    engines.submit(second)
    engines.engine.run(engines.rt.lanes.take(ADELE, "r1"), "r1")  # one try: 429, back in line
    waiting = engines.rt.lanes.get(first["id"])
    assert waiting["state"] == WAITING and waiting["waiting_for"] == FOR_THROTTLING, waiting
    assert "Microsoft Graph asked to wait" in job_message(waiting)
    assert 3 < engines.rt.lanes.view(ADELE)["paused_for"] <= 4  # the whole mailbox waits
    assert _arrived(graph_for, "Too throttled") == []
    assert engines.run(first["id"])["state"] == SENT and engines.run(second["id"])["state"] == SENT
    [one] = _arrived(graph_for, "Too throttled")
    assert len(_arrived(graph_for, "Behind it")) == 1


@pytest.mark.parametrize("rule", [
    {"status": 503},  # unavailable: the chunk is retried
    {"status": 504, "count": 2},
    {"drop": True},  # connection lost before the chunk was stored: sent again
    {"drop": True, "after": True},  # chunk stored, answer lost: resume from nextExpectedRanges
], ids=["503", "504x2", "drop-before", "drop-after"])
def test_a_failed_chunk_is_resumed(engines, token_for, graph, graph_for, faults, make_file, rule,
                                   caplog):
    big = make_file("big.bin", 7 * MB + 1)  # three chunks
    faults.add(path="/AttachmentSessions", method="PUT", **rule)
    with caplog.at_level("INFO", logger="mailer"):
        job = _send(engines, token_for, f"Chunk {rule}", [big])
    assert job["plan"] == DRAFT and job["state"] == SENT, job
    if rule.get("after"):  # the repeated chunk was refused as out of order, then resumed
        assert "resuming at byte 3276800" in caplog.text
    [got] = _arrived(graph_for, f"Chunk {rule}")
    listed = graph_for(MEGAN).get_message(got["id"], select=["hasAttachments"])
    assert listed["hasAttachments"] is True
    stored = [m for m in graph.list_messages("sentitems", select=["subject"], top=50)
              if m["subject"] == f"Chunk {rule}"]
    assert len(stored) == 1


@pytest.mark.parametrize("after", [False, True], ids=["drop-before", "drop-after"])
def test_a_lost_chunk_answer_resumes_without_asking_the_session(engines, token_for, graph_for,
                                                                faults, make_file, after):
    """Outlook does not document GET on an upload URL: resuming must not depend on it."""
    big = make_file("big.bin", 4 * MB)
    faults.add(path="/AttachmentSessions", method="GET", status=503, count=20)
    # More drops than the retry policy repeats a PUT (5 tries): the uploader itself must resume.
    faults.add(path="/AttachmentSessions", method="PUT", drop=True, after=after, count=6)
    job = _send(engines, token_for, f"No GET {after}", [big])
    assert job["plan"] == DRAFT and job["state"] == SENT, job
    [got] = _arrived(graph_for, f"No GET {after}")
    [attachment] = graph_for(MEGAN).session.get(
        f"{graph_for(MEGAN).base_url}/me/messages/{got['id']}/attachments",
        headers={"Authorization": f"Bearer {graph_for(MEGAN).token_provider()}"},
        timeout=10).json()["value"]
    assert attachment["size"] == 4 * MB


@pytest.mark.parametrize("path, files", [
    ("/sendMail$", ()),
    ("/send$", ("big",)),
], ids=["sendmail", "draft"])
def test_a_connection_dropped_after_the_send_is_confirmed_not_resent(
        engines, token_for, graph_for, faults, make_file, path, files):
    attached = [make_file("big.bin", 4 * MB)] if files else []
    faults.add(path=path, method="POST", drop=True, after=True)
    job = _send(engines, token_for, f"Dropped {path}", attached)
    assert job["state"] == SENT and job_message(job) == "Sent.", job
    assert len(_arrived(graph_for, f"Dropped {path}")) == 1


def test_a_draft_send_dropped_before_graph_took_it_is_sent_once_from_the_same_draft(
        engines, token_for, graph, graph_for, faults, make_file):
    faults.add(path="/send$", method="POST", drop=True)
    job = _send(engines, token_for, "Dropped early", [make_file("big.bin", 4 * MB)])
    assert job["state"] == SENT and job["attempts"] == 2, job  # the draft said: not taken
    assert len(_arrived(graph_for, "Dropped early")) == 1
    assert [d for d in graph.list_messages("drafts", select=["subject"])
            if d["subject"] == "Dropped early"] == []


def test_a_lost_sendmail_missing_from_sent_items_a_lease_later_is_sent_again_once(
        engines, token_for, graph_for, faults):
    faults.add(path="/sendMail$", method="POST", drop=True)  # dropped before it ran
    started = time.monotonic()
    job = _send(engines, token_for, "Who knows")
    assert job["state"] == SENT and job.get("recovered"), job
    assert time.monotonic() - started >= 3  # Sent Items was given a lease's length to show it
    assert len(_arrived(graph_for, "Who knows")) == 1


def test_an_unsaved_sendmail_cannot_be_confirmed_and_says_so(engines, token_for, graph_for,
                                                            faults):
    faults.add(path="/sendMail$", method="POST", drop=True, after=True)
    job = _send(engines, token_for, "Unsaved", save=False)
    assert job["state"] == UNKNOWN and "not saved to Sent Items" in job_message(job)
    assert len(_arrived(graph_for, "Unsaved")) == 1  # it did go out, exactly once
    again, made = engines.submit({**job, "state": "queued"})
    assert made is False and again["state"] == UNKNOWN  # never offered for a second send
    assert len(_arrived(graph_for, "Unsaved")) == 1
