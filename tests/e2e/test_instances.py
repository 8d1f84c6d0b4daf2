"""Two gunicorn instances of the app (as ./env.sh runs it) on one real redis-server and the same
emulator; each request of a signed-in person goes to the other instance (no stickiness: the
session is in Redis). The instance running a send is killed with SIGKILL while the send sleeps on
a Retry-After or waits on a slow Graph; the survivor's status page settles it within a minute:
sent with exactly one copy in the mailboxes, or "not sent" with Send available, and Send then
delivers exactly one. Nobody signs in again.

These instances share APP_STATE_DIR: their 5 MB files are over SMALL_ATTACHMENT_MAX and still
live in UPLOAD_DIR. test_instances_compose.py runs instances that share nothing but Redis.
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

from app_fixtures import ADELE, _finish, _free_port
from e2e.test_startup import GUNICORN, ROOT, clean_env
from helpers.compose import add_fault, mailbox

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
def instances(emu, redis_server, tmp_path):
    shared = tmp_path / "app"  # shared state folder: the same demo secret key, drafts on disk
    first = Instance(emu, shared, redis_server)  # first alone: it writes the secret key
    second = Instance(emu, shared, redis_server)
    yield first, second
    for one in (first, second):
        one.stop()


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


def _survive(person, emu, draft_id, victim):
    """Kill ``victim``; poll the survivor: "Sending…" while the lease lives, then settled."""
    killed = victim.kill()
    job, seen = person.until(draft_id, lambda j: j["finished"], SETTLE_WITHIN)
    took = time.monotonic() - killed
    assert seen[0]["title"] == "Sending…" and not seen[0]["finished"]
    print(f"\nkill -> {job['state']} in {took:.1f} s")  # the report's figure (pytest -s)
    return job, took


FIVE_MB = b"0123456789abcdef" * (5 * 1024 * 1024 // 16)


@pytest.mark.redis
def test_a_sendmail_held_in_a_retry_after_wait_by_a_killed_instance(person, emu, https):
    person.sign_in(["Mail.Send"])
    draft_id, subject = person.new_draft(), "Throttled when its instance died"
    add_fault(https, emu, path="/sendMail$", method="POST", status=429, retry_after=40)
    victim = person.send(draft_id, subject)  # held 3 s (QUICK_SEND_WAIT), then the status page
    job, took = _survive(person, emu, draft_id, victim)
    # Asleep on the Retry-After: nothing was in flight, so "not sent" without asking Graph
    # (with Mail.Send only, the app could not read Sent Items anyway).
    assert job["state"] == "not_sent" and "Nothing was sent" in job["advice"], job
    assert took < SETTLE_WITHIN and _copies(emu, subject) == []
    person.send(draft_id, subject)  # Send again, on the survivor: everything still there
    again, _ = person.until(draft_id, lambda j: j["finished"], 30)
    assert again["state"] == "sent" and len(_copies(emu, subject)) == 1


@pytest.mark.redis
@pytest.mark.parametrize("fault, outcome", [
    ({"status": 429, "retry_after": 40}, "finished by the survivor"),
    ({"latency_ms": 6000}, "sent by the dead instance's request"),
], ids=["retry-after", "slow"])
def test_a_draft_send_on_a_killed_instance_is_sent_exactly_once(person, emu, https, fault,
                                                                 outcome):
    person.sign_in(["Mail.Send", "Mail.ReadWrite"])
    draft_id, subject = person.new_draft(), f"Large, {outcome}"
    add_fault(https, emu, path="/messages/[^/]+/send$", method="POST", **fault)
    victim = person.send(draft_id, subject, files={"attachments": ("big.bin", FIVE_MB)})
    person.until(draft_id, lambda j: j["phase"] == "sending" or j["finished"], 30)
    time.sleep(1)  # asleep on the Retry-After, or waiting on the slow answer
    job, took = _survive(person, emu, draft_id, victim)
    assert job["state"] == "sent", job
    time.sleep(6)  # past the slow answer: no second copy may follow
    copies = _copies(emu, subject)
    assert len(copies) == 1 and [a.size for a in copies[0].attachments] == [len(FIVE_MB)]
    assert mailbox(emu, ADELE, "drafts") == []
