"""API attachments keep nothing on the instance that received them: the app (instance A) and the
worker run on one real redis-server with different APP_STATE_DIRs, as two hosts would. A message
that fits one sendMail keeps its files as bytes in the shared store; a larger one is a draft in
the sender's mailbox from the submit on (visible in Drafts until a worker sends it). Both hosts
share this machine, so instance A's folder is removed before the worker starts: a path into it
would otherwise still resolve."""
from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
import redis

from automation.automation_support import inbox_subjects, wait_until
from mailer.automation import intake, jobs
from mailer.automation.intake import Incoming
from mailer.cli.commands import run_here
from mailer.delivery.held import file_key
from mailer.sending.plan import DRAFT_ID_HEADER

from api.api_support import ALEX, MB, SALES, bearer, error_of, wait_for_state

BIG = os.urandom(5 * MB + 123)  # over SMALL_ATTACHMENT_MAX: an upload session
SMALL = os.urandom(40_000)


@pytest.fixture
def shared_redis(redis_server):
    """A database of the session's redis-server for this module alone (its own huey queue)."""
    url = redis_server.rsplit("/", 1)[0] + "/7"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def app_worker():
    """No worker inside instance A: the workers here run "on other hosts" (their own folders)."""
    return False


@pytest.fixture
def api_env(api_env, shared_redis):
    return {**api_env, "REDIS_URL": shared_redis}


@pytest.fixture
def app_config(app_config, shared_redis):
    return {**app_config, "REDIS_URL": shared_redis}


@pytest.fixture
def other_host(workers, tmp_path):
    """start() -> a worker whose APP_STATE_DIR is a folder instance A never wrote."""
    folder = tmp_path / "host-b"
    folder.mkdir()
    return lambda: workers({"APP_STATE_DIR": str(folder)})


def submit(live_app, http, key, subject, files, idem=None, text="attached"):
    headers = {**bearer(key), **({"Idempotency-Key": idem} if idem else {})}
    return http.post(f"{live_app.url}/api/v1/messages", headers=headers, timeout=120,
                     data={"message": json.dumps({"from": SALES, "to": [ALEX],
                                                  "subject": subject, "text": text})},
                     files=[("attachments", (name, data)) for name, data in files])


def tagged_drafts(runtime, job_id: str) -> list[dict]:
    return [m for m in runtime.app_graph().list_messages(
        "drafts", select=["internetMessageHeaders", "subject"], top=50, mailbox=SALES)
        if any(h["name"].lower() == DRAFT_ID_HEADER and h["value"] == job_id
               for h in m.get("internetMessageHeaders") or [])]


def received_files(runtime, subject: str) -> dict[str, bytes]:
    client = runtime.app_graph()
    found = [m for m in client.list_messages("inbox", select=["subject"], top=50, mailbox=ALEX)
             if m["subject"] == subject]
    assert len(found) == 1, found
    base = f"/users/{ALEX}/messages/{found[0]['id']}/attachments"
    return {a["name"]: client._request("GET", f"{base}/{a['id']}/$value").content
            for a in client.list_attachments(found[0]["id"], mailbox=ALEX)}


def test_a_large_submit_is_a_mailbox_draft_sent_by_a_worker_on_another_host(
        live_app, http, make_key, other_host, runtime, app_config, tmp_path):
    key = make_key([SALES])
    files = [("dataset.bin", BIG), ("notes.txt", SMALL)]
    answer = submit(live_app, http, key, "API: big across hosts", files, idem="big-1")
    assert answer.status_code == 202, answer.text
    job_id, location = answer.json()["id"], live_app.url + answer.headers["Location"]
    assert answer.json()["state"] == "queued"
    drafts = tagged_drafts(runtime, job_id)  # in Drafts while no worker runs
    assert [d["subject"] for d in drafts] == ["API: big across hosts"]
    listed = runtime.app_graph().list_attachments(drafts[0]["id"], mailbox=SALES)
    assert sorted((a["name"], a["size"] >= len(data)) for a, data in zip(
        sorted(listed, key=lambda a: a["name"]), [BIG, SMALL])) == [
        ("dataset.bin", True), ("notes.txt", True)]
    again = submit(live_app, http, key, "API: big across hosts", files, idem="big-1")
    assert again.status_code == 202 and again.json()["id"] == job_id, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(tagged_drafts(runtime, job_id)) == 1  # the retry made no second draft
    other = submit(live_app, http, key, "API: big across hosts", [("dataset.bin", BIG[:-1])],
                   idem="big-1")
    assert error_of(other, 422)["code"] == "idempotency_key_reused"
    on_a = Path(app_config["APP_STATE_DIR"])
    assert not [p for p in on_a.rglob("*") if p.is_file() and p.stat().st_size >= len(BIG)]
    assert not (on_a / "automation" / "files").exists()
    shutil.rmtree(on_a)  # instance A's disk is lost before any worker runs
    other_host()
    done = wait_for_state(http, location, key, ("sent", "failed"), 120)
    assert done["state"] == "sent" and done["plan"] == "draft", done
    assert received_files(runtime, "API: big across hosts") == {"dataset.bin": BIG,
                                                                "notes.txt": SMALL}
    assert tagged_drafts(runtime, job_id) == []  # the draft itself was sent
    no_worker_died(tmp_path)


def no_worker_died(tmp_path) -> None:
    """The workers' logs show no job put back by the sweep: nobody died, so nothing may look
    as if it had (a job handed to the queue while its submit still held it once did)."""
    logs = "".join(p.read_text() for p in tmp_path.glob("worker-*.log"))
    assert "back in its lane" not in logs and "Traceback" not in logs, logs[-2000:]


def test_a_small_submit_waits_in_the_shared_store_and_goes_as_one_sendmail(
        live_app, http, make_key, other_host, runtime, tmp_path):
    key = make_key([SALES])
    answer = submit(live_app, http, key, "API: small across hosts", [("notes.txt", SMALL)])
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    assert runtime.store.get_bytes(file_key(job_id, 0)) == SMALL
    assert tagged_drafts(runtime, job_id) == []
    other_host()
    done = wait_for_state(http, live_app.url + answer.headers["Location"], key,
                          ("sent", "failed"), 60)
    assert done["state"] == "sent" and done["plan"] == "sendmail", done
    assert received_files(runtime, "API: small across hosts") == {"notes.txt": SMALL}
    assert runtime.store.get_bytes(file_key(job_id, 0)) is None  # no longer needed
    no_worker_died(tmp_path)


def test_cancelling_a_large_job_deletes_its_draft(live_app, http, make_key, runtime):
    key = make_key([SALES])
    answer = submit(live_app, http, key, "API: big, cancelled", [("dataset.bin", BIG)])
    job_id = answer.json()["id"]
    assert len(tagged_drafts(runtime, job_id)) == 1
    cancelled = http.post(f"{live_app.url}/api/v1/jobs/{job_id}/cancel", headers=bearer(key),
                          timeout=30)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled", \
        cancelled.text
    assert tagged_drafts(runtime, job_id) == []
    assert runtime.lanes.get(job_id)["state"] == "cancelled"
    assert runtime.lanes.view(SALES)["waiting"] == 0  # out of its lane: no worker takes it
    assert inbox_subjects(runtime, ALEX, "API: big, cancelled") == []


def test_a_worker_dead_after_sending_the_draft_does_not_send_it_twice(
        live_app, http, make_key, runtime, other_host):
    key = make_key([SALES])
    answer = submit(live_app, http, key, "API: big, worker died", [("dataset.bin", BIG)])
    job_id = answer.json()["id"]
    step = runtime.lanes.take(SALES, "the-dead-worker")  # it took the job, its slot came...
    assert step.job_id == job_id and runtime.lanes.reserve(SALES, 1, 5, job_id) < 5
    record = runtime.lanes.get(job_id)
    runtime.app_graph().send_draft(record["draft"], mailbox=SALES)  # ...its last act; then SIGKILL
    other_host()  # nobody else: the next worker's sweep finds the job once its lease is out
    done = wait_for_state(http, live_app.url + answer.headers["Location"], key,
                          ("sent", "failed"), 60)
    assert done["state"] == "sent", done
    assert jobs.status(runtime, job_id)["recovered"] is True  # settled from the mailbox
    assert wait_until(lambda: inbox_subjects(runtime, ALEX, "API: big, worker"), 10)
    assert inbox_subjects(runtime, ALEX, "API: big, worker") == ["API: big, worker died"]


class Breaks(io.BytesIO):
    """A request's file whose disk fails part way through (the second read of the upload)."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.reads, self.armed = 0, False

    def read(self, size=-1):
        if self.armed:  # measured already: these are the upload's reads
            self.reads += 1
            if self.reads > 1:
                raise OSError("the disk went away")
        return super().read(size)


def test_a_receipt_cut_short_leaves_no_draft_and_a_retry_under_its_key_completes_it(runtime):
    description = {"from": SALES, "to": [ALEX], "subject": "API: cut short", "text": "t"}

    def files(handle):
        found = Incoming("dataset.bin", "application/octet-stream", handle).measure()
        handle.armed = True
        return [found]
    with pytest.raises(OSError):
        intake.submit(runtime, description, "cut-1", files(Breaks(BIG)))
    job_id = jobs.job_id_for(SALES, "cut-1")
    failed = jobs.status(runtime, job_id)
    assert failed["state"] == "failed" and failed["error"]["code"] == "SubmitIncomplete", failed
    assert "nothing was sent" in failed["error"]["message"]
    assert runtime.lanes.view(SALES)["waiting"] == 0  # never queued
    assert tagged_drafts(runtime, job_id) == []
    again, replayed = intake.submit(runtime, description, "cut-1", files(io.BytesIO(BIG)))
    assert again == job_id and replayed is True
    assert jobs.status(runtime, job_id)["state"] == "queued"
    assert runtime.lanes.view(SALES)["waiting"] == 1
    assert len(tagged_drafts(runtime, job_id)) == 1
    assert run_here(runtime, job_id)["state"] == "sent"
    assert received_files(runtime, "API: cut short") == {"dataset.bin": BIG}
