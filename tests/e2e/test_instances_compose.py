"""One compose across two gunicorn instances that share nothing but one redis-server (and the
SECRET_KEY): each has its own APP_STATE_DIR, so its own UPLOAD_DIR. Typed fields and small files
live in Redis, so any instance serves any request of the compose, and an instance killed with
SIGKILL loses nothing of it. (Files of SMALL_ATTACHMENT_MAX or more still land on the receiving
instance's disk: the next slice of issue 9 streams them into a Graph draft.)
"""
from __future__ import annotations

import html
import os
import re
import secrets
from urllib.parse import quote

import pytest

from e2e.test_instances import CSRF, MEGAN, Instance, Person, _copies
from helpers.compose import mailbox

FILE = os.urandom(200 * 1024)  # small: under SMALL_ATTACHMENT_MAX (3 MB)


@pytest.fixture
def apart(emu, redis_server, tmp_path):
    """Instances A and B: one Redis, one SECRET_KEY, nothing on disk in common."""
    key = secrets.token_urlsafe(48)
    first = Instance(emu, tmp_path / "a", redis_server, SECRET_KEY=key)
    second = Instance(emu, tmp_path / "b", redis_server, SECRET_KEY=key)
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
    assert saved.status_code == 200 and saved.json() == {"saved": True}, saved.text[:300]


def _attach(person, draft_id, token, only, name="figures.bin"):
    response = person.post(f"/compose/{draft_id}/files", only=only, data=FILE,
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
