"""Helpers shared by the compose tests (no tests here): drafts, forms, uploads, mailboxes."""
from __future__ import annotations

import html
import re
import time
from urllib.parse import quote

from emulator.graph.mail.store import MailStore

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
DRAFT_URL = re.compile(r"^/compose/([0-9a-f-]{36})$")
ERRORS = re.compile(r'<ul[^>]*data-errors-for="([a-z_]+)"[^>]*>(.*?)</ul>', re.S)


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf_of(page: str) -> str:
    return CSRF.search(page).group(1)


def new_draft(client) -> tuple[str, str]:
    """A fresh draft of the signed-in user: (draft id, the page's CSRF token)."""
    response = client.get("/compose")
    assert response.status_code == 302, text(response)[:300]
    draft_id = DRAFT_URL.match(response.location).group(1)
    page = client.get(response.location)
    assert page.status_code == 200, text(page)[:500]
    return draft_id, csrf_of(text(page))


def post_form(client, draft_id: str, token: str | None, files=None, **fields):
    """POST the compose form: Send unless ``action`` says otherwise."""
    data = {"action": "send", "save_to_sent_items": "y", "body_type": "html",
            "importance": "normal", **fields}
    if token is not None:
        data["csrf_token"] = token
    if files:
        data["attachments"] = files
    return client.post(f"/compose/{draft_id}", data=data, content_type="multipart/form-data")


def errors_on(page: str) -> dict[str, list[str]]:
    """The error messages shown under each field, unescaped, by field name."""
    found = {}
    for name, items in ERRORS.findall(page):
        found[name] = [html.unescape(re.sub(r"<[^>]+>", "", m)).strip()
                       for m in re.findall(r"<li>(.*?)</li>", items, re.S)]
    return found


def upload(client, draft_id: str, token: str | None, name: str, data: bytes,
           content_type: str = "application/octet-stream"):
    """One file as the page sends it: the raw body, its name percent-encoded in a header."""
    headers = {"X-File-Name": quote(name), "X-File-Type": content_type,
               "Accept": "application/json"}
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.post(f"/compose/{draft_id}/files", data=data, headers=headers,
                       content_type="application/octet-stream")


def mailbox(emu, upn: str, folder: str = "inbox") -> list:
    """The messages in a folder of a demo user's mailbox, read in-process from the emulator."""
    store = emu.state.extension("mail", MailStore)
    user = emu.state.directory.user(upn)
    box = store.mailboxes.get(user.id)
    return box.in_folder(folder) if box else []


def only(emu, upn: str, folder: str = "inbox"):
    """The one message in that folder (fails if there are none or several)."""
    [found] = mailbox(emu, upn, folder)
    return found


def finished_job(client, draft_id: str, timeout: float = 20.0) -> dict:
    """Poll the status JSON, as the page does, until the send is over."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/compose/{draft_id}/status.json")
        assert response.status_code == 200, text(response)[:300]
        job = response.get_json()
        if job["finished"]:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def add_fault(https, emu, **rule) -> dict:
    """Inject a failure through the emulator's fault API (POST /_emulator/faults)."""
    response = https.post(f"{emu.api_url}/_emulator/faults", json=rule, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()
