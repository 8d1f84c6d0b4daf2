"""A first large file picked before Mail.ReadWrite was granted (issue 17, item 2), in real
Chromium against the app under gunicorn, as ./env.sh runs it: the page asks "Allow and
continue" (never "the connection was lost": gunicorn drops a connection whose refused body is
left unread, and the app drains at most DRAIN_MAX), and once allowed the file streams into the
mailbox's draft, byte for byte. The page asks first with a bodiless check
(POST …/files/check), so no refused body ever costs the connection."""
from __future__ import annotations

import hashlib

import pytest
from helpers.compose import mailbox
from playwright.sync_api import expect

from app_fixtures import ADELE, answer_sign_in_pages
from browser.test_compose_browser import grant_in_popup
from e2e.test_instances import Instance
from helpers.files import write_file

pytestmark = pytest.mark.browser

MB = 1024 * 1024


@pytest.fixture
def gunicorn_app(emu, tmp_path):
    """The app under gunicorn (2 workers × 4 threads, as env.sh); messages up to 151 MB, as an
    Exchange admin may allow (the default is 35 MB), there and in the emulator's mailboxes."""
    for user in emu.state.directory.users.values():
        user.max_message_size = 151 * MB
    instance = Instance(emu, tmp_path / "app", None, MAX_MESSAGE_SIZE="151MB")
    yield instance
    instance.stop()


@pytest.mark.parametrize("size_mb", [20, 60, 150])
def test_a_first_large_file_asks_then_uploads(page, gunicorn_app, emu, tmp_path, size_mb):
    size = size_mb * MB - (size_mb > 100) * 4096  # 150 MB is the limit itself: just under it
    path = write_file(tmp_path / f"survey {size_mb}.bin", size, seed=size_mb)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(gunicorn_app.url + "/login?next=/compose")  # User.Read only: nothing for mail
    answer_sign_in_pages(page, gunicorn_app.url, ADELE)
    page.fill("#subject", f"{size_mb} MB")
    page.set_input_files("#attachments", str(path))
    prompt = page.locator("#consent-prompt")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("permission")
    assert page.locator(".file-message").count() == 0  # no "connection was lost"
    grant_in_popup(page, gunicorn_app)
    row = page.locator("#file-list li[data-file-id]")
    expect(row).to_have_count(1, timeout=120_000)
    expect(row).to_contain_text(f"survey {size_mb}.bin")
    [draft] = mailbox(emu, ADELE, "drafts")
    [attached] = draft.attachments
    assert attached.size == size
    want = hashlib.sha256(path.read_bytes()).hexdigest()
    assert hashlib.sha256(attached.blob.read()).hexdigest() == want
    assert errors == []
