"""A job's lease (mailer/sending/lease.py, store.py) against real redis-server and the file
store, and worker processes (``python -m mailer worker``) killed with SIGKILL mid-send: while
the emulator holds the hand-over in a slow answer, mid-upload, asleep on a Retry-After.

The promise: never twice, never lost, and nobody needs to come back. The dead worker's job is
found by the next worker's sweep (its lease expired), which asks Graph what the dead one did:
the mailboxes end with exactly one copy, and no half-made draft.
"""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import pytest

from helpers.compose import mailbox
from helpers.engine import Engines
from helpers.settings import file_store, redis_store
from helpers.workers import worker_processes
from mailer.delivery.outcomes import SENT
from mailer.sending.lease import Lease, lease_key

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
LEASE = 3  # seconds: short, so a dead worker's job comes back quickly


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



# -- a worker killed mid-send --------------------------------------------------------------------

@pytest.fixture
def crash(emu, tmp_path, where):
    """Engines on the store the workers use, and start(n) -> a worker process."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "EMULATOR_STATE_DIR": str(emu.state_dir), "APP_STATE_DIR": str(tmp_path / "app"),
           "SEND_LEASE": str(LEASE), "SEND_CONFIRM_DELAY": "0.2", "HTTP_TIMEOUT": "10",
           "PYTHONUNBUFFERED": "1", **({"REDIS_URL": where["redis"]} if "redis" in where else {})}
    engines = Engines(emu, tmp_path / "app", where.get("redis"), SEND_LEASE=LEASE,
                      SEND_CONFIRM_DELAY="0.2")
    with worker_processes(env, tmp_path, threads=2) as start:
        engines.start = start
        yield engines
    engines.close()


def _kill_when(crash, job_id: str, ready, hold: float = 0.3):
    """Start a worker, wait until ``ready(record)`` (the job is where the test wants it), let
    it sit ``hold`` seconds, SIGKILL the worker; then start another (nobody else comes)."""
    worker, deadline = crash.start(), time.monotonic() + 30
    while not ready(crash.rt.lanes.get(job_id), crash.rt.store.lease_holder(f"lease:job:{job_id}")):
        assert worker.poll() is None and time.monotonic() < deadline, crash.rt.lanes.get(job_id)
        time.sleep(0.02)
    time.sleep(hold)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    crash.start()


def _outcome(crash, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while (record := crash.rt.lanes.get(job_id))["state"] not in ("sent", "failed", "unknown"):
        assert time.monotonic() < deadline, record
        time.sleep(0.1)
    return record


def _copies(emu, subject):
    return [m for m in mailbox(emu, MEGAN) if m.props.get("subject") == subject]


@pytest.mark.parametrize("files", [0, 5 * 1024 * 1024], ids=["sendmail", "draft"])
def test_a_worker_killed_while_graph_holds_the_hand_over_is_settled_sent_once(
        crash, emu, faults, token_for, make_file, files):
    """The hand-over reached Graph, which took a while: the message went out after its worker
    died. The next worker finds it (Sent Items, or the draft no longer a draft): sent, once."""
    path = "/sendMail$" if not files else "/messages/[^/]+/send$"
    faults.add(path=path, method="POST", latency_ms=1500)
    subject = f"Sent while its worker died ({files})"
    record = crash.job(ADELE, token_for(), to=MEGAN, subject=subject,
                       attachments=[str(make_file("big.bin", files))] if files else [])
    crash.submit(record)
    _kill_when(crash, record["id"], lambda r, h: h and (not files or r["phase"] == "sending"))
    job = _outcome(crash, record["id"])
    time.sleep(2)  # past the slow answer: nothing else may arrive
    assert job["state"] == SENT and job.get("recovered"), job
    assert len(_copies(emu, subject)) == 1
    assert mailbox(emu, ADELE, "drafts") == []


def test_a_worker_killed_mid_upload_is_sent_once_and_leaves_no_partial_draft(
        crash, emu, faults, token_for, make_file):
    faults.add(path="/AttachmentSessions", method="PUT", latency_ms=3000)  # killed in a chunk
    subject = "Cut off mid-upload"
    record = crash.job(ADELE, token_for(), to=MEGAN, subject=subject,
                       attachments=[str(make_file("big.bin", 5 * 1024 * 1024))])
    crash.submit(record)
    _kill_when(crash, record["id"], lambda r, h: r["phase"] == "uploading", hold=0.5)
    job = _outcome(crash, record["id"])
    assert job["state"] == SENT and job["attempts"] >= 2, job
    time.sleep(3)  # the dead worker's chunk, answered late, changes nothing
    assert len(_copies(emu, subject)) == 1
    assert mailbox(emu, ADELE, "drafts") == []  # the half-made draft was removed


def test_a_worker_killed_asleep_on_a_retry_after_sends_once_without_asking(
        crash, emu, faults, token_for):
    """Asleep on a Retry-After, nothing was in flight: the next worker sends it at once, even
    for a person who gave the app Mail.Send only (Sent Items cannot be read with it)."""
    faults.add(path="/sendMail$", method="POST", status=429, retry_after=2)
    subject = "Throttled, then its worker died"
    record = crash.job(ADELE, token_for(scopes=["Mail.Send"]), scopes=["Mail.Send"], to=MEGAN,
                       subject=subject)
    crash.submit(record)
    _kill_when(crash, record["id"], lambda r, h: bool(r.get("asleep_until")))
    job = _outcome(crash, record["id"])
    assert job["state"] == SENT, job
    assert len(_copies(emu, subject)) == 1
