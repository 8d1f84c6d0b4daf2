"""Send is final: two gunicorn instances of the app (as ./env.sh runs it) and worker processes
(``python -m mailer worker``) on one real redis-server and the same emulator; each request of
a signed-in person goes to the other instance (no stickiness: the session is in Redis).

The person presses Send and goes away. The instance that took the Send and the worker sending
it are both killed with SIGKILL while Graph holds the send (a Retry-After, a slow PATCH of the
mailbox draft, a slow POST …/send). Nobody polls a status page afterwards: another worker,
started later as on another host, finds the job by its sweep and delivers it exactly once
within a minute; the person's next page says it was sent. Nobody signs in again.
"""
from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import time
from urllib.parse import urlsplit

import pytest
import requests

import config
import redis
from app_fixtures import ADELE, _finish, _free_port
from e2e.test_startup import GUNICORN, ROOT, clean_env
from helpers.compose import add_fault, mailbox
from helpers.workers import worker_processes
from mailer.delivery.runtime import Runtime

MEGAN = "megan@contoso.example"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SETTLE_WITHIN = 60.0  # seconds from the kill: the promise


class Instance:
    """One gunicorn (2 workers × 4 threads, as env.sh), in a process group of its own."""

    def __init__(self, emu, state_dir, redis_url, **settings):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        emu.state.add_redirect_uri(f"{self.url}/auth/callback")
        self.process = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads",
             "4", "--timeout", "300", "app:create_app()"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=clean_env(EMULATOR_STATE_DIR=emu.state_dir, APP_STATE_DIR=state_dir,
                          PORT=self.port, **({"REDIS_URL": redis_url} if redis_url else {}),
                          **settings))
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/", timeout=2).close()
                return
            except (requests.ConnectionError, requests.Timeout):
                assert self.process.poll() is None, "gunicorn stopped"
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.1)

    def kill(self) -> float:
        """SIGKILL the master and its workers at once; the moment of the kill."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        return time.monotonic()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)


@pytest.fixture
def shared(emu, redis_server, tmp_path):
    """What every instance and worker of a test is given: its own Redis database (emptied),
    one state folder (the demo's secret key), a short lease."""
    url = redis_server.rsplit("/", 1)[0] + "/5"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return {"EMULATOR_STATE_DIR": str(emu.state_dir), "APP_STATE_DIR": str(tmp_path / "app"),
            "REDIS_URL": url, "SEND_LEASE": "5", "SEND_CONFIRM_DELAY": "0.2"}


@pytest.fixture
def instances(emu, shared):
    first = Instance(emu, shared["APP_STATE_DIR"], shared["REDIS_URL"],
                     SEND_LEASE=shared["SEND_LEASE"])  # first alone: it writes the secret key
    second = Instance(emu, shared["APP_STATE_DIR"], shared["REDIS_URL"],
                      SEND_LEASE=shared["SEND_LEASE"])
    yield first, second
    for one in (first, second):
        one.stop()


@pytest.fixture
def workers(shared, tmp_path):
    """start() -> a worker process on the instances' Redis (stopped at the end)."""
    env = clean_env(**shared, HTTP_TIMEOUT="10", PYTHONUNBUFFERED="1")
    with worker_processes(env, tmp_path, threads=4) as start:
        yield start


@pytest.fixture
def jobs(shared):
    """The job store as the instances see it (to wait for a moment of a send, never to act)."""
    rt = Runtime(config.load_config(shared))
    yield rt.lanes
    rt.http.close()


class Person:
    """A browser without JavaScript whose every request goes to the next live instance."""

    def __init__(self, instances):
        self.instances = list(instances)
        self.turn = itertools.cycle(range(len(self.instances)))
        self.http = requests.Session()
        self.http.trust_env = False
        self.last = None

    def next(self, only=None):
        while True:
            one = self.instances[next(self.turn)]
            if one.process.poll() is None and (only is None or one is only):
                self.last = one
                return one

    def get(self, path, only=None, **kw):
        return self.http.get(self.next(only).url + path, allow_redirects=False, timeout=30, **kw)

    def post(self, path, only=None, **kw):
        return self.http.post(self.next(only).url + path, allow_redirects=False, timeout=30, **kw)

    def sign_in(self, scopes):
        start = self.get("/login", params={"scopes": " ".join(scopes)})
        assert start.status_code == 302, start.text[:300]
        params = _finish(start.headers["Location"], ADELE)
        done = self.http.get(self.last.url + "/auth/callback", params=params,
                             allow_redirects=False, timeout=30)
        assert done.status_code == 302, done.text[:500]

    def new_draft(self) -> str:
        response = self.get("/compose")
        assert response.status_code == 302, response.text[:300]
        return urlsplit(response.headers["Location"]).path.rsplit("/", 1)[-1]

    def send(self, draft_id, subject, files=None, only=None):
        page = self.get(f"/compose/{draft_id}")
        assert page.status_code == 200, page.text[:300]
        data = {"action": "send", "save_to_sent_items": "y", "body_type": "text",
                "importance": "normal", "csrf_token": CSRF.search(page.text).group(1),
                "to": MEGAN, "subject": subject, "body": "Once, and only once."}
        response = self.post(f"/compose/{draft_id}", data=data, files=files, only=only)
        assert response.status_code == 303, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))[-1500:]
        return self.last

    def status(self, draft_id) -> dict:
        response = self.get(f"/compose/{draft_id}/status.json")
        assert response.status_code == 200, response.text[:300]  # never a sign-in again
        return response.json()

    def until(self, draft_id, done, within) -> tuple[dict, list[dict]]:
        deadline, seen = time.monotonic() + within, []
        while True:
            job = self.status(draft_id)
            seen.append(job)
            if done(job):
                return job, seen
            assert time.monotonic() < deadline, job
            time.sleep(0.2)


@pytest.fixture
def person(instances):
    one = Person(instances)
    yield one
    one.http.close()


def _copies(emu, subject):
    return [m for m in mailbox(emu, MEGAN) if m.props.get("subject") == subject]


def _when(jobs, draft_id, ready, within: float = 30.0) -> dict:
    deadline = time.monotonic() + within
    while not ready(record := jobs.get(draft_id) or {}):
        assert time.monotonic() < deadline, record
        time.sleep(0.05)
    return record


def _kill(*processes) -> float:
    """SIGKILL an instance (its whole process group) or a worker; the moment of the last kill."""
    for one in processes:
        if isinstance(one, Instance):
            one.kill()
        else:
            one.send_signal(signal.SIGKILL)
            one.wait(timeout=10)
    return time.monotonic()


def _delivered(emu, subject, killed) -> float:
    """Wait, as nobody else does, for the message in the recipient's mailbox; seconds since the
    kill. Then a while more: no second copy may follow."""
    while not _copies(emu, subject):
        assert time.monotonic() - killed < SETTLE_WITHIN, "not delivered within a minute"
        time.sleep(0.2)
    took = time.monotonic() - killed
    print(f"\nkill -> delivered in {took:.1f} s")  # the report's figure (pytest -s)
    time.sleep(3)
    assert len(_copies(emu, subject)) == 1
    return took


FIVE_MB = b"0123456789abcdef" * (5 * 1024 * 1024 // 16)


@pytest.mark.redis
def test_a_small_send_paused_by_graph_is_delivered_once_after_its_instance_and_worker_died(
        person, instances, workers, jobs, emu, https):
    person.sign_in(["Mail.Send"])
    draft_id, subject = person.new_draft(), "Throttled, then everybody died"
    add_fault(https, emu, path="/sendMail$", method="POST", status=429, retry_after=8)
    first = workers()
    victim = person.send(draft_id, subject)  # answered after QUICK_SEND_WAIT: "Sending…"
    _when(jobs, draft_id, lambda r: r.get("state") == "waiting")  # the lane paused 8 s
    killed = _kill(victim, first)
    workers()  # another host's worker; nobody polls a page
    _delivered(emu, subject, killed)
    assert jobs.get(draft_id)["state"] == "sent"
    home = person.get("/")  # the person comes back, on the other instance
    assert home.status_code == 200 and f"Sent: {subject}" in home.text


@pytest.mark.redis
def test_a_mailbox_draft_killed_during_its_patch_is_sent_once_with_its_file(
        person, instances, workers, jobs, emu, https):
    person.sign_in(["Mail.Send", "Mail.ReadWrite"])
    draft_id, subject = person.new_draft(), "Large, killed in its PATCH"
    first = workers()
    add_fault(https, emu, path="/me/messages/[^/]+$", method="PATCH", latency_ms=4000)
    victim = person.send(draft_id, subject, files={"attachments": ("big.bin", FIVE_MB)})
    _when(jobs, draft_id, lambda r: r.get("phase") == "saving draft")
    time.sleep(0.5)  # the PATCH is out, held by Graph
    killed = _kill(victim, first)
    workers()
    _delivered(emu, subject, killed)
    [copy] = _copies(emu, subject)
    assert [a.size for a in copy.attachments] == [len(FIVE_MB)]
    assert mailbox(emu, ADELE, "drafts") == []


@pytest.mark.redis
def test_a_draft_send_whose_worker_died_while_graph_was_slow_is_sent_once(
        person, instances, workers, jobs, emu, https):
    """The dead worker's POST …/send reached Graph: the next worker finds the draft gone."""
    person.sign_in(["Mail.Send", "Mail.ReadWrite"])
    draft_id, subject = person.new_draft(), "Large, sent while its worker died"
    first = workers()
    add_fault(https, emu, path="/messages/[^/]+/send$", method="POST", latency_ms=6000)
    person.send(draft_id, subject, files={"attachments": ("big.bin", FIVE_MB)})
    _when(jobs, draft_id, lambda r: r.get("phase") == "sending")
    time.sleep(1)
    killed = _kill(first)
    workers()
    _delivered(emu, subject, killed)
    assert _when(jobs, draft_id, lambda r: r.get("state") == "sent")["recovered"] is True
