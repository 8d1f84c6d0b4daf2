"""Send pressed before the uploads are done, in real Chromium against the live app and the
emulator: the message waits for every file, goes out once, and never goes out without one.

Uploads are held with Playwright's route(): the page's upload XHRs wait in ``Held`` until the
test lets them go, so "Send pressed while a file is still uploading" happens every time."""
from __future__ import annotations

import hashlib
import re

import pytest
from helpers.compose import mailbox
from playwright.sync_api import expect

from app_fixtures import ADELE
from helpers.files import write_file

pytestmark = pytest.mark.browser

MEGAN, MB = "megan@contoso.example", 1024 * 1024
SIGN_IN = "/login?scopes=Mail.Send%20Mail.ReadWrite&next=/compose"  # no consent round trip
STATUS_URL = re.compile(r".*/compose/[0-9a-f-]{36}/status$")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Held:
    """The page's upload requests, held until ``release()``; afterwards they pass at once.
    ``abort`` names files whose upload fails as a lost connection does."""

    def __init__(self, page, abort: tuple[str, ...] = ()):
        self.routes, self.released, self.abort = [], False, set(abort)
        page.route(re.compile(r".*/compose/[0-9a-f-]{36}/files$"), self._handle)

    def _handle(self, route):
        name = route.request.headers.get("x-file-name", "")
        if self.released:
            self._let_go(route, name)
        else:
            self.routes.append((route, name))

    def _let_go(self, route, name):
        if name in self.abort:
            route.abort("connectionreset")
        else:
            route.continue_()

    def release(self):
        self.released = True
        for route, name in self.routes:
            self._let_go(route, name)
        self.routes = []


def files_for(tmp_path):
    return [write_file(tmp_path / "big.bin", 12 * MB, seed=7),
            write_file(tmp_path / "small one.txt", 3000, seed=3),
            write_file(tmp_path / "small two.pdf", 40_000, seed=5)]


def fill(page, subject):
    page.wait_for_selector("#compose")
    page.fill("#to", MEGAN)
    page.fill("#subject", subject)
    page.fill("#body", "Typed before the files were up")


def test_send_pressed_during_uploads_waits_and_sends_every_file(
        page, live_app, browser_sign_in, emu, tmp_path, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    fill(page, "All three")
    held = Held(page)
    files = files_for(tmp_path)
    page.set_input_files("#attachments", [str(p) for p in files])
    expect(page.locator("#file-list li.is-uploading")).to_have_count(3)
    page.click("#send")  # at once: the first upload has not even reached the app
    expect(page.locator("#send")).to_have_text("Sending…")
    expect(page.locator("#save-state")).to_contain_text("as soon as the uploads finish")
    assert page.url.endswith(page.get_attribute("#compose", "data-draft-id"))  # still here
    held.release()
    page.wait_for_url(STATUS_URL, timeout=20_000)
    page.wait_for_selector("#send-status:not([data-state=running])", timeout=30_000)
    assert page.inner_text("#status-title") == "Sent"
    [got] = mailbox(emu, MEGAN)
    assert {a.name: sha(a.blob.read()) for a in got.attachments} == \
        {p.name: sha(p.read_bytes()) for p in files}
    assert console_errors == []
