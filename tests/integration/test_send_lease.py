"""A send's lease (mailer/sending/lease.py, store.py) and the takeover of a dead instance's send
(jobs.recover, confirm.py), against real redis-server and the file store, and a send process
killed with SIGKILL while the emulator holds it in a Retry-After wait or a slow answer.

The promise: never twice, never lost. Whoever takes the expired lease over asks Graph and the
mailboxes end with exactly one copy (sent, or finished once) or none with Send offered again.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from helpers.compose import mailbox
from helpers.settings import file_store, plan, prepare, redis_store, send_jobs
from mailer.sending import jobs as outcomes
from mailer.sending.compose import ComposeData
from mailer.sending.lease import Lease, lease_key
from mailer.web.words import job_message

MEGAN = "megan@contoso.example"
WORKER = Path(__file__).resolve().parents[1] / "helpers" / "send_worker.py"
LEASE = 1.5  # seconds: short, so each takeover comes quickly


@pytest.fixture(params=["files", pytest.param("redis", marks=pytest.mark.redis)])
def where(request, tmp_path):
    """The job store's location, as JSON for the worker process: files, or a Redis prefix."""
    if request.param == "files":
        return {"files": str(tmp_path / "jobs")}
    return {"redis": request.getfixturevalue("redis_url"), "prefix": f"test:{uuid.uuid4()}:"}


def open_store(where):
    return (file_store(where["files"]) if "files" in where
            else redis_store(where["redis"], where["prefix"]))


# -- the lease itself -----------------------------------------------------------------------------

def test_a_lease_is_renewed_by_its_holder_only_and_expires_unrenewed(where):
    one, two = open_store(where), open_store(where)
    assert one.take_lease("lease:a", "t1", 0.6) is True
    assert two.take_lease("lease:a", "t2", 0.6) is False  # held: no takeover
    assert two.renew_lease("lease:a", "t2", 0.6) is False  # not its own
    assert one.renew_lease("lease:a", "t1", 0.6) is True
    assert two.lease_holder("lease:a") == "t1"
    assert two.put_held("job:a", {"v": 2}, "lease:a", "t2") is False and two.get("job:a") is None
    assert one.put_held("job:a", {"v": 1}, "lease:a", "t1") is True
    time.sleep(0.8)  # unrenewed: expired
    assert one.lease_holder("lease:a") is None
    assert one.renew_lease("lease:a", "t1", 0.6) is False  # too late: lost for good
    assert two.take_lease("lease:a", "t2", 0.6) is True  # the takeover
    assert one.put_held("job:a", {"v": 3}, "lease:a", "t1") is False  # the old holder is fenced
    assert two.get("job:a") == {"v": 1}
    one.drop_lease("lease:a", "t1")  # not its own: nothing happens
    assert two.lease_holder("lease:a") == "t2"
    two.drop_lease("lease:a", "t2")
    assert one.lease_holder("lease:a") is None


def test_the_heartbeat_keeps_a_lease_past_its_length(where):
    store = open_store(where)
    lease = Lease(store, "d", 0.6)
    assert lease.take()
    lease.start_heartbeat()
    try:
        time.sleep(1.5)  # 2.5 lease lengths
        assert store.lease_holder(lease_key("d")) == lease.token and lease.held
    finally:
        lease.release()
    assert store.lease_holder(lease_key("d")) is None


def test_two_takeovers_racing_one_wins(where):
    stores = [open_store(where) for _ in range(2)]
    assert stores[0].take_lease("lease:r", "dead", 0.2)
    time.sleep(0.3)
    winners, barrier = [], threading.Barrier(8)

    def take(n):
        barrier.wait()
        if stores[n % 2].take_lease("lease:r", f"t{n}", 5):
            winners.append(n)
    threads = [threading.Thread(target=take, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and stores[1].lease_holder("lease:r") == f"t{winners[0]}"


def test_racing_recoveries_of_one_dead_send_settle_it_once(where, graph, emu):
    """Eight status polls at once on a send whose instance died: one takes over, one outcome."""
    store = open_store(where)
    draft_id = str(uuid.uuid4())
    store.put(f"job:{draft_id}", {"draft_id": draft_id, "owner": "o", "state": "running",
                                  "phase": "queued", "plan": "sendmail", "files": [],
                                  "bytes_total": 0, "bytes_done": 0, "updated": 0})
    store.claim(f"claim:{draft_id}", {"owner": "o"})
    finishes, barrier = [], threading.Barrier(8)
    jobs = [send_jobs(open_store(where), lease_seconds=5,
                      on_finish=lambda job: finishes.append(job["state"])) for _ in range(8)]

    def poll(n):
        barrier.wait()
        jobs[n].recover(draft_id, "o", graph, background=False)
    threads = [threading.Thread(target=poll, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert finishes == [outcomes.NOT_SENT]  # never handed to Graph: offered again, once
    job = jobs[0].status(draft_id, "o")
    assert job["code"] == outcomes.INTERRUPTED_NOT_SENT
    assert "Nothing was sent" in job_message(job)
    assert store.claim(f"claim:{draft_id}", {"owner": "o"})  # Send is available again


def test_a_sendmail_in_flight_when_its_instance_died_and_not_in_sent_items_is_offered_again(
        where, graph, emu):
    """Handed to Graph (no Retry-After wait recorded), then silence: Sent Items is searched; not
    found, the person is told so plainly and may send again."""
    store = open_store(where)
    draft_id = str(uuid.uuid4())
    store.put(f"job:{draft_id}", {"draft_id": draft_id, "owner": "o", "state": "running",
                                  "phase": "sending", "plan": "sendmail", "files": [],
                                  "save_to_sent_items": True, "waiting_until": None,
                                  "bytes_total": 0, "bytes_done": 0, "updated": 0})
    store.claim(f"claim:{draft_id}", {"owner": "o"})
    jobs = send_jobs(store, lease_seconds=5, confirm_delay=0.05)
    job = jobs.recover(draft_id, "o", graph, background=False)
    assert job["state"] == outcomes.NOT_SENT and job["code"] == outcomes.NOT_IN_SENT_ITEMS
    assert "not found in your Sent Items" in job_message(job)
    assert store.claim(f"claim:{draft_id}", {"owner": "o"})


# -- a send process killed mid-send ---------------------------------------------------------------

def _run_and_kill(where, emu, token_for, draft_id, subject, phase, files=(), hold=1.0):
    """Start the send in a process, wait until its record says ``phase``, let it sit there
    ``hold`` seconds (asleep on a Retry-After, or waiting on a slow answer), then SIGKILL it."""
    args = {"store": where, "graph": emu.client_config()["graph_endpoint"],
            "ca_file": str(emu.ca_file), "token": token_for(), "draft_id": draft_id,
            "owner": "o", "to": MEGAN, "subject": subject, "files": [str(f) for f in files],
            "lease": LEASE}
    store = open_store(where)
    with subprocess.Popen([sys.executable, str(WORKER)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          start_new_session=True) as worker:
        try:
            worker.stdin.write(json.dumps(args) + "\n")
            worker.stdin.close()
            deadline = time.monotonic() + 30
            while (store.get(f"job:{draft_id}") or {}).get("phase") != phase:
                assert worker.poll() is None, worker.stdout.read()
                assert time.monotonic() < deadline, store.get(f"job:{draft_id}")
                time.sleep(0.02)
            time.sleep(hold)
            assert worker.poll() is None, worker.stdout.read()
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    return time.monotonic()


def _settle(where, graph, draft_id, killed_at):
    """Poll as the survivor would, recovering once the lease is out; (job, seconds from kill)."""
    jobs = send_jobs(open_store(where), lease_seconds=LEASE, confirm_delay=0.2)
    deadline = time.monotonic() + 60
    while True:
        job = jobs.recover(draft_id, "o", graph)
        if job["state"] != outcomes.RUNNING:
            return jobs, job, time.monotonic() - killed_at
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def _copies(emu, subject):
    return [m for m in mailbox(emu, MEGAN) if m.props.get("subject") == subject]


def test_a_draft_send_killed_in_a_retry_after_wait_is_finished_once(where, emu, faults, graph,
                                                                   token_for, make_file):
    faults.add(path="/messages/[^/]+/send$", method="POST", status=429, retry_after=30)
    draft_id, subject = str(uuid.uuid4()), "Finished by the survivor"
    big = make_file("big.bin", 5 * 1024 * 1024)
    killed = _run_and_kill(where, emu, token_for, draft_id, subject, "sending", [big])
    assert _copies(emu, subject) == []
    _, job, took = _settle(where, graph, draft_id, killed)
    assert job["state"] == outcomes.SENT, job
    assert took < LEASE + 10
    assert len(_copies(emu, subject)) == 1
    assert mailbox(emu, "adele@contoso.example", "drafts") == []


def test_a_draft_send_killed_while_graph_is_slow_is_confirmed_sent(where, emu, faults, graph,
                                                                  token_for, make_file):
    faults.add(path="/messages/[^/]+/send$", method="POST", latency_ms=1000)
    draft_id, subject = str(uuid.uuid4()), "Sent while its sender died"
    big = make_file("big.bin", 5 * 1024 * 1024)
    killed = _run_and_kill(where, emu, token_for, draft_id, subject, "sending", [big], hold=0.3)
    _, job, _ = _settle(where, graph, draft_id, killed)
    time.sleep(1.5)  # past the slow answer: nothing else may arrive
    assert job["state"] == outcomes.SENT, job
    assert len(_copies(emu, subject)) == 1


def test_a_draft_send_killed_mid_upload_is_released_and_sends_once_again(
        where, emu, faults, graph, token_for, make_file):
    faults.add(path="/AttachmentSessions", method="PUT", latency_ms=3000)  # a slow chunk: killed in it
    draft_id, subject = str(uuid.uuid4()), "Cut off mid-upload"
    big = make_file("big.bin", 5 * 1024 * 1024)
    killed = _run_and_kill(where, emu, token_for, draft_id, subject, "uploading", [big], hold=0.5)
    jobs, job, _ = _settle(where, graph, draft_id, killed)
    assert job["state"] == outcomes.NOT_SENT and job["code"] == outcomes.INTERRUPTED_NOT_SENT
    assert mailbox(emu, "adele@contoso.example", "drafts") == []  # the partial draft is gone
    time.sleep(3)
    assert _copies(emu, subject) == []
    again = _start(jobs, graph, draft_id, subject, [big])
    assert again["state"] == outcomes.SENT and len(_copies(emu, subject)) == 1


def test_a_sendmail_killed_in_a_retry_after_wait_is_offered_again_without_asking(
        where, emu, faults, graph_for, token_for):
    """Asleep on a Retry-After, nothing was in flight: "not sent" even for a person who gave the
    app Mail.Send only (Sent Items cannot be read with it: a search would answer 403)."""
    faults.add(path="/sendMail$", method="POST", status=429, retry_after=30)
    draft_id, subject = str(uuid.uuid4()), "Throttled, then its sender died"
    killed = _run_and_kill(where, emu, token_for, draft_id, subject, "sending")
    jobs, job, took = _settle(where, graph_for(scopes=["Mail.Send"]), draft_id, killed)
    assert job["state"] == outcomes.NOT_SENT and job["code"] == outcomes.INTERRUPTED_NOT_SENT, job
    assert took < LEASE + 10 and _copies(emu, subject) == []
    graph = graph_for(scopes=["Mail.Send"])
    again = _start(jobs, graph, draft_id, subject)
    assert again["state"] == outcomes.SENT and len(_copies(emu, subject)) == 1


def _start(jobs, graph, draft_id, subject, files=()):
    from mailer.sending.compose import Attachment
    data = ComposeData(to=MEGAN, subject=subject,
                       attachments=[Attachment(p.name, p, p.stat().st_size) for p in files])
    prepared = prepare(data)
    job, started = jobs.start(draft_id, "o", prepared, plan(prepared, draft_id=draft_id), graph,
                              background=False)
    assert started, job
    return job
