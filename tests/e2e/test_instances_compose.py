"""One compose across two gunicorn instances that share nothing but one redis-server (and the
SECRET_KEY): each has its own APP_STATE_DIR, and so has the worker that sends. Typed fields and small files live in Redis; a message
that outgrows one sendMail lives in the person's mailbox as a draft, its large files streamed
into it. So any instance serves any request of the compose, and an instance killed with SIGKILL
loses nothing of it; an upload it was streaming is said to have failed, and never goes out.
"""
from __future__ import annotations

import hashlib
import html
import os
import re
import secrets
import threading
import time
from urllib.parse import quote

import pytest
import redis
from requests import exceptions as requests_errors_module

from e2e.test_instances import ADELE, CSRF, MEGAN, Instance, Person, _copies
from e2e.test_startup import clean_env
from helpers.compose import add_fault, mailbox
from helpers.workers import worker_processes

FILE = os.urandom(200 * 1024)  # small: under SMALL_ATTACHMENT_MAX (3 MB)


@pytest.fixture
def apart(emu, redis_server, tmp_path):
    """Instances A and B and a worker C: one Redis, one SECRET_KEY, nothing on disk in common."""
    url = redis_server.rsplit("/", 1)[0] + "/4"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    key = secrets.token_urlsafe(48)
    first = Instance(emu, tmp_path / "a", url, SECRET_KEY=key)
    second = Instance(emu, tmp_path / "b", url, SECRET_KEY=key)
    env = clean_env(EMULATOR_STATE_DIR=emu.state_dir, APP_STATE_DIR=tmp_path / "c",
                    REDIS_URL=url, SECRET_KEY=key, PYTHONUNBUFFERED="1")
    with worker_processes(env, tmp_path, threads=4) as start:
        start()
        yield first, second
    for one in (first, second):
        one.stop()


@pytest.fixture
def person(apart):
    one = Person(apart)
    yield one
    one.http.close()


TYPED = {"to": MEGAN, "subject": "Written on two instances", "body": "Typed on B, sent on A.",
         "body_type": "text", "importance": "high", "save_to_sent_items": "y"}


def _page(person, draft_id, only):
    page = person.get(f"/compose/{draft_id}", only=only)
    assert page.status_code == 200, page.text[:300]
    return page.text, CSRF.search(page.text).group(1)


def _autosave(person, draft_id, token, only):
    saved = person.post(f"/compose/{draft_id}/autosave", only=only,
                        data={**TYPED, "csrf_token": token}, headers={"Accept": "application/json"})
    assert saved.status_code == 200 and saved.json()["saved"] is True, saved.text[:300]


def _attach(person, draft_id, token, only, name="figures.bin", data=FILE):
    response = person.post(f"/compose/{draft_id}/files", only=only, data=data,
                           headers={"X-File-Name": quote(name), "X-CSRFToken": token,
                                    "Accept": "application/json",
                                    "Content-Type": "application/octet-stream"})
    assert response.status_code == 201, response.text[:300]
    return response.json()["file"]["id"]


def _shows_everything(page: str, file_id: str):
    shown = html.unescape(page)
    assert TYPED["subject"] in shown and TYPED["body"] in shown and MEGAN in shown
    [high] = re.findall(r'<option[^>]*value="high"[^>]*>', page)
    assert "selected" in high, "importance lost"
    assert "figures.bin" in shown and f'value="remove:{file_id}"' in page


@pytest.mark.redis
def test_one_compose_served_by_both_instances_sends_once_with_its_file(person, apart, emu):
    a, b = apart
    person.sign_in(["Mail.Send"])
    response = person.get("/compose", only=a)
    assert response.status_code == 302
    draft_id = response.headers["Location"].rsplit("/", 1)[-1]
    _, token = _page(person, draft_id, a)
    _autosave(person, draft_id, token, b)  # typed: saved by B
    file_id = _attach(person, draft_id, token, a)  # attached: received by A
    page, token = _page(person, draft_id, b)  # reloaded on B: everything is there
    _shows_everything(page, file_id)
    sent = person.post(f"/compose/{draft_id}", only=a,
                       data={**TYPED, "action": "send", "csrf_token": token})
    assert sent.status_code == 303, sent.text[:300]
    job, _ = person.until(draft_id, lambda j: j["finished"], 30)
    assert job["state"] == "sent", job
    [copy] = _copies(emu, TYPED["subject"])
    assert [(x.name, x.blob.read()) for x in copy.attachments] == [("figures.bin", FILE)]
    assert mailbox(emu, "adele@contoso.example", "drafts") == []


@pytest.mark.redis
def test_an_instance_killed_after_typing_and_attaching_loses_nothing(person, apart):
    a, b = apart
    person.sign_in(["Mail.Send"])
    draft_id = person.get("/compose", only=a).headers["Location"].rsplit("/", 1)[-1]
    _, token = _page(person, draft_id, a)
    _autosave(person, draft_id, token, a)
    file_id = _attach(person, draft_id, token, a)
    a.kill()
    page, _ = _page(person, draft_id, b)  # the same session, on the survivor
    _shows_everything(page, file_id)


BIG = os.urandom(30 * 1024 * 1024)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.redis
def test_an_instance_killed_during_an_upload_to_the_mailbox_draft_loses_nothing_else(
        person, apart, emu, https):
    """The 30 MB file streams through A into the draft in the mailbox; A dies half way. The
    upload fails in words to the page, its partial bytes never become an attachment, and B
    serves the rest of the compose: the file attached again, one message, byte-identical."""
    a, b = apart
    person.sign_in(["Mail.Send", "Mail.ReadWrite"])
    draft_id = person.get("/compose", only=b).headers["Location"].rsplit("/", 1)[-1]
    _, token = _page(person, draft_id, b)
    _autosave(person, draft_id, token, b)
    small_id = _attach(person, draft_id, token, b)  # small: in Redis for now
    add_fault(https, emu, path="/AttachmentSessions", method="PUT", latency_ms=400, count=6)
    failed = []

    def upload_on_a():
        try:
            response = person.http.post(
                f"{a.url}/compose/{draft_id}/files", data=BIG, timeout=60,
                headers={"X-File-Name": "film.bin", "X-CSRFToken": token,
                         "Accept": "application/json", "Content-Type": "application/octet-stream"})
            failed.append(f"answered {response.status_code}: {response.text[:300]}")
        except requests_errors_module.RequestException as exc:
            failed.append(type(exc).__name__)
    uploading = threading.Thread(target=upload_on_a)
    uploading.start()
    deadline = time.monotonic() + 20
    while not mailbox(emu, ADELE, "drafts"):  # the draft in the mailbox is made at once
        assert time.monotonic() < deadline, f"no draft in the mailbox {failed}"
        time.sleep(0.05)
    time.sleep(1.0)  # some chunks of the 30 MB are in the upload session
    a.kill()
    uploading.join(30)
    assert failed and not failed[0].startswith("answered 201"), failed  # the page says it failed
    [kept] = mailbox(emu, ADELE, "drafts")
    assert [x.name for x in kept.attachments] == ["figures.bin"]  # no partial attachment
    page, token = _page(person, draft_id, b)
    _shows_everything(page, small_id)
    assert "film.bin" not in page and 'id="in-drafts">' in page
    _attach(person, draft_id, token, b, name="film.bin", data=BIG)  # attached again, on B
    response = person.post(f"/compose/{draft_id}", only=b, data={
        **TYPED, "csrf_token": token, "action": "send"})
    assert response.status_code == 303, response.text[:300]
    job, _ = person.until(draft_id, lambda j: j["finished"], 60)
    assert job["state"] == "sent" and job["plan"] == "mailbox", job
    [got] = _copies(emu, TYPED["subject"])
    assert {x.name: _sha(x.blob.read()) for x in got.attachments} == \
        {"figures.bin": _sha(FILE), "film.bin": _sha(BIG)}
    assert mailbox(emu, ADELE, "drafts") == []
