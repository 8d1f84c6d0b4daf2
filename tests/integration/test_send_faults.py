"""Faults injected by the emulator: throttling, 5xx, dropped connections before and after.

The promise under test: a message is sent at most once, a failure that Graph says was not
processed is retried, and a lost answer ends in a clear outcome instead of a blind resend.
"""
import time
import uuid

import pytest

from helpers.settings import file_store, plan, prepare, send_jobs
from mailer.sending.compose import Attachment, ComposeData
from mailer.sending.jobs import NOT_SENT, SENT, UNKNOWN
from mailer.sending.plan import DRAFT, SENDMAIL
from mailer.sending.sizes import MB
from mailer.web.words import job_message

MEGAN = "megan@contoso.example"


@pytest.fixture
def jobs(tmp_path):
    return send_jobs(file_store(tmp_path / "jobs"), confirm_delay=0.05)


def _send(jobs, graph, subject, files=(), save=True):
    data = ComposeData(to=MEGAN, subject=subject, save_to_sent_items=save,
                       attachments=[Attachment(p.name, p, p.stat().st_size) for p in files])
    prepared, draft_id = prepare(data), str(uuid.uuid4())
    the_plan = plan(prepared, draft_id=draft_id)
    job, _ = jobs.start(draft_id, "oid-adele", prepared, the_plan, graph, background=False)
    return job, the_plan


def _arrived(graph_for, subject):
    return [m for m in graph_for(MEGAN).list_messages("inbox", select=["subject"], top=50)
            if m["subject"] == subject]


def test_throttled_sendmail_is_retried_after_retry_after_and_sent_once(jobs, graph, graph_for,
                                                                      faults):
    faults.add(path="/sendMail$", method="POST", status=429, retry_after=1)
    started = time.monotonic()
    job, the_plan = _send(jobs, graph, "Throttled")
    assert the_plan.kind == SENDMAIL and job["state"] == SENT, job
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert len(_arrived(graph_for, "Throttled")) == 1


def test_throttling_beyond_the_wait_budget_is_not_sent_and_explained(jobs, graph_for, faults):
    faults.add(path="/sendMail$", status=429, retry_after=120)
    job, _ = _send(jobs, graph_for(), "Too throttled")
    assert job["state"] == NOT_SENT and job["error_code"] == "TooManyRequests"
    assert "throttling" in job_message(job) and "120 seconds" in job_message(job)
    assert _arrived(graph_for, "Too throttled") == []


@pytest.mark.parametrize("rule", [
    {"status": 503},  # unavailable: the chunk is retried
    {"status": 504, "count": 2},
    {"drop": True},  # connection lost before the chunk was stored: sent again
    {"drop": True, "after": True},  # chunk stored, answer lost: resume from nextExpectedRanges
], ids=["503", "504x2", "drop-before", "drop-after"])
def test_a_failed_chunk_is_resumed(jobs, graph, graph_for, faults, make_file, rule, caplog):
    big = make_file("big.bin", 7 * MB + 1)  # three chunks
    faults.add(path="/AttachmentSessions", method="PUT", **rule)
    with caplog.at_level("INFO", logger="mailer"):
        job, the_plan = _send(jobs, graph, f"Chunk {rule}", [big])
    assert the_plan.kind == DRAFT and job["state"] == SENT, job
    if rule.get("after"):  # the repeated chunk was refused as out of order, then resumed
        assert "resuming at byte 3276800" in caplog.text
    [got] = _arrived(graph_for, f"Chunk {rule}")
    listed = graph_for(MEGAN).get_message(got["id"], select=["hasAttachments"])
    assert listed["hasAttachments"] is True
    stored = [m for m in graph.list_messages("sentitems", select=["subject"], top=50)
              if m["subject"] == f"Chunk {rule}"]
    assert len(stored) == 1


@pytest.mark.parametrize("after", [False, True], ids=["drop-before", "drop-after"])
def test_a_lost_chunk_answer_resumes_without_asking_the_session(jobs, graph, graph_for, faults,
                                                                make_file, after):
    """Outlook does not document GET on an upload URL: resuming must not depend on it."""
    big = make_file("big.bin", 4 * MB)
    faults.add(path="/AttachmentSessions", method="GET", status=503, count=20)
    # More drops than the retry policy repeats a PUT (5 tries): the uploader itself must resume.
    faults.add(path="/AttachmentSessions", method="PUT", drop=True, after=after, count=6)
    job, the_plan = _send(jobs, graph, f"No GET {after}", [big])
    assert the_plan.kind == DRAFT and job["state"] == SENT, job
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
        jobs, graph, graph_for, faults, make_file, path, files):
    attached = [make_file("big.bin", 4 * MB)] if files else []
    faults.add(path=path, method="POST", drop=True, after=True)
    job, _ = _send(jobs, graph, f"Dropped {path}", attached)
    assert job["state"] == SENT and job_message(job) == "Sent.", job
    assert len(_arrived(graph_for, f"Dropped {path}")) == 1


def test_a_draft_send_dropped_before_graph_took_it_is_not_sent(jobs, graph, graph_for, faults,
                                                              make_file):
    faults.add(path="/send$", method="POST", drop=True)
    job, _ = _send(jobs, graph, "Dropped early", [make_file("big.bin", 4 * MB)])
    assert job["state"] == NOT_SENT and "Nothing was sent" in job_message(job)
    assert _arrived(graph_for, "Dropped early") == []
    assert [d for d in graph.list_messages("drafts", select=["subject"])
            if d["subject"] == "Dropped early"] == []


def test_an_unconfirmable_sendmail_says_check_sent_items(jobs, graph, graph_for, faults):
    faults.add(path="/sendMail$", method="POST", drop=True)  # dropped before it ran
    job, _ = _send(jobs, graph, "Who knows")
    assert job["state"] == UNKNOWN and "check your Sent Items" in job_message(job)
    assert _arrived(graph_for, "Who knows") == []


def test_an_unsaved_sendmail_cannot_be_confirmed_and_says_so(jobs, graph, graph_for, faults):
    faults.add(path="/sendMail$", method="POST", drop=True, after=True)
    job, _ = _send(jobs, graph, "Unsaved", save=False)
    assert job["state"] == UNKNOWN and "not saved to Sent Items" in job_message(job)
    assert len(_arrived(graph_for, "Unsaved")) == 1  # it did go out, exactly once


def test_an_unknown_outcome_keeps_the_claim(jobs, graph, graph_for, faults):
    faults.add(path="/sendMail$", method="POST", drop=True)
    data = ComposeData(to=MEGAN, subject="Claimed")
    prepared, draft_id = prepare(data), str(uuid.uuid4())
    job, _ = jobs.start(draft_id, "oid-adele", prepared, plan(prepared), graph, background=False)
    assert job["state"] == UNKNOWN
    again, started = jobs.start(draft_id, "oid-adele", prepared, plan(prepared), graph,
                                background=False)
    assert started is False and again["state"] == UNKNOWN
    assert _arrived(graph_for, "Claimed") == []


