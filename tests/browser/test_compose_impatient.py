"""Send pressed before the uploads are done, in real Chromium against the live app and the
emulator: the message waits for every file, goes out once, and never goes out without one.

Uploads are held with Playwright's route(): the page's upload XHRs wait in ``Held`` until the
test lets them go, so "Send pressed while a file is still uploading" happens every time."""
from __future__ import annotations

import hashlib
import re
import threading

import pytest
from flask import request
from helpers.editor import body_text, fill_body
from helpers.compose import mailbox
from playwright.sync_api import expect

from app_fixtures import ADELE
from helpers.files import write_file

pytestmark = pytest.mark.browser

MEGAN, MB = "megan@contoso.example", 1024 * 1024
SIGN_IN = "/login?scopes=Mail.Send%20Mail.ReadWrite&next=/compose"  # no consent round trip
STATUS_URL = re.compile(r".*/compose/[0-9a-f-]{36}/status$")


@pytest.fixture
def answer_gate(app):
    """Holds the app's answer to the upload of any file named ``slow.bin`` (stored already)
    until set: route() cannot do this, as Chromium reports no upload progress through it."""
    gate = threading.Event()

    @app.after_request
    def hold(response):
        if request.path.endswith("/files") and request.headers.get("X-File-Name") == "slow.bin":
            gate.wait(timeout=20)
        return response

    yield gate
    gate.set()


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


def sent_to_megan(page, emu):
    """Wait for the status page to say Sent; Megan's one message, as it arrived."""
    page.wait_for_url(STATUS_URL, timeout=20_000)
    page.wait_for_selector("#send-status:not([data-state=running])", timeout=30_000)
    assert page.inner_text("#status-title") == "Sent"
    [got] = mailbox(emu, MEGAN)
    return got


def same_files(message, paths) -> bool:
    """The message's attachments are these files, byte for byte (names and SHA-256)."""
    return {a.name: sha(a.blob.read()) for a in message.attachments} == \
        {p.name: sha(p.read_bytes()) for p in paths}


def files_for(tmp_path):
    return [write_file(tmp_path / "big.bin", 12 * MB, seed=7),
            write_file(tmp_path / "small one.txt", 3000, seed=3),
            write_file(tmp_path / "small two.pdf", 40_000, seed=5)]


def fill(page, subject):
    page.wait_for_selector("#compose")
    page.fill("#to", MEGAN)
    page.fill("#subject", subject)
    fill_body(page, "Typed before the files were up")


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
    got = sent_to_megan(page, emu)
    assert same_files(got, files)
    assert console_errors == []


def attached(page):
    return page.locator("#file-list li[data-file-id]")


@pytest.mark.parametrize("how, words", [
    ("connection", "the connection was lost"),
    ("refused", "is empty once folder parts are removed"),  # the app's own 400, in its words
], ids=["connection-lost", "refused-by-the-app"])
def test_a_queued_send_stops_when_an_upload_fails_and_names_the_file(
        page, live_app, browser_sign_in, emu, tmp_path, console_errors, how, words):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    fill(page, "Not without it")
    bad = "big.bin" if how == "connection" else "..."
    held = Held(page, abort=(bad,) if how == "connection" else ())
    big, one, two = files_for(tmp_path)
    picked = [{"name": name, "mimeType": "application/octet-stream", "buffer": path.read_bytes()}
              for name, path in ((bad, big), (one.name, one), (two.name, two))]
    page.set_input_files("#attachments", picked)
    if how == "refused":  # refused by the check before its bytes go (files/check), at once
        expect(page.locator("#file-list .is-error .file-message")).to_contain_text(words)
    page.click("#send")
    if how == "connection":  # waits for the uploads, then stops
        expect(page.locator("#send")).to_have_text("Sending…")
    held.release()
    alert = page.locator("#held-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Your message was not sent")
    expect(alert).to_contain_text(f"'{bad}'")
    expect(alert).to_contain_text(words)
    expect(page.locator("#file-list .is-error .file-message")).to_contain_text(words)
    expect(attached(page)).to_have_count(2)  # the other files went on uploading, and stay
    expect(page.locator("#send")).to_have_text("Send")
    expect(page.locator("#send")).to_be_enabled()
    assert (page.input_value("#to"), page.input_value("#subject"), body_text(page)) == \
        (MEGAN, "Not without it", "Typed before the files were up")
    assert mailbox(emu, MEGAN) == [] and mailbox(emu, ADELE, "sentitems") == []

    page.click("#send")  # the failed file is still listed: Send says so again, sends nothing
    expect(alert).to_contain_text(f"Remove '{bad}' from the list or attach it again")
    page.wait_for_timeout(300)
    assert "/status" not in page.url and mailbox(emu, MEGAN) == []

    if how == "connection":  # attached again (same name): the failed row goes, Send works
        held.abort.clear()
        page.set_input_files("#attachments", [str(big)])
        expect(attached(page)).to_have_count(3)
    else:  # removed from the list: Send works
        page.click("#file-list .is-error .file-dismiss")
    expect(alert).to_be_hidden()
    page.click("#send")
    got = sent_to_megan(page, emu)
    expected = [big, one, two] if how == "connection" else [one, two]
    assert same_files(got, expected)
    # Chromium logs the failed upload itself; nothing else may be in the console.
    assert [e for e in console_errors if not re.match(r"Failed to load resource.*/files\)$", e)] == []


def test_a_double_click_on_send_during_uploads_sends_one_message(
        page, live_app, browser_sign_in, emu, tmp_path, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    fill(page, "Once")
    draft_url = page.url
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url == draft_url else None)
    held = Held(page)
    files = files_for(tmp_path)
    page.set_input_files("#attachments", [str(p) for p in files])
    page.dblclick("#send")
    page.click("#send", force=True)  # and once more, on the button that says Sending…
    expect(page.locator("#send")).to_have_text("Sending…")
    held.release()
    got = sent_to_megan(page, emu)
    assert len(posts) == 1  # the page posted the form once
    assert len(got.attachments) == 3 and len(mailbox(emu, ADELE, "sentitems")) == 1
    assert console_errors == []


def test_the_app_refuses_a_send_that_bypasses_the_page_while_files_upload(
        page, live_app, browser_sign_in, emu, tmp_path):
    """The server's own guard: form.submit() skips every submit handler, as the old bug did."""
    browser_sign_in(page, ADELE, start=SIGN_IN)
    fill(page, "Bypassed")
    Held(page)  # never released: the files stay on their way
    page.set_input_files("#attachments", [str(p) for p in files_for(tmp_path)])
    expect(page.locator("#file-list li.is-uploading")).to_have_count(3)
    with page.expect_navigation():
        page.evaluate("document.getElementById('compose').submit()")
    errors = page.locator("#attachments-errors li")
    expect(errors).to_have_count(3)
    expect(errors.first).to_contain_text("'big.bin' is not attached: it was still uploading")
    assert page.input_value("#subject") == "Bypassed"
    assert mailbox(emu, MEGAN) == [] and mailbox(emu, ADELE, "sentitems") == []


def test_while_a_send_waits_a_file_can_be_added_and_one_still_uploading_stopped(
        page, live_app, browser_sign_in, emu, tmp_path, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    fill(page, "Changed my mind")
    held = Held(page)
    big, one, two = files_for(tmp_path)
    page.set_input_files("#attachments", [str(big), str(one)])
    page.click("#send")
    expect(page.locator("#send")).to_have_text("Sending…")
    page.set_input_files("#attachments", [str(two)])  # picked after Send: it goes too
    page.click("#file-list li.is-uploading:has-text('big.bin') .file-cancel")  # on its way
    expect(page.locator("#file-list")).not_to_contain_text("big.bin")
    held.release()
    got = sent_to_megan(page, emu)
    assert same_files(got, (one, two))
    assert [e for e in console_errors if "big.bin" not in e] == []


def test_a_file_stopped_after_its_bytes_went_is_removed_before_the_send(
        page, live_app, browser_sign_in, emu, tmp_path, answer_gate, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    fill(page, "Stopped late")
    slow, one = write_file(tmp_path / "slow.bin", 5 * MB), tmp_path / "small one.txt"
    write_file(one, 3000, seed=3)
    page.set_input_files("#attachments", [str(slow), str(one)])
    row = page.locator("#file-list li.is-uploading:has-text('slow.bin')")
    expect(row.locator(".file-state")).to_have_text("100 %")  # every byte out, no answer yet
    page.click("#send")
    row.locator(".file-cancel").click()
    expect(row.locator(".file-state")).to_have_text("removing")
    answer_gate.set()  # the app answers 201: the page removes the file it no longer wants
    got = sent_to_megan(page, emu)
    assert [a.name for a in got.attachments] == ["small one.txt"]
    assert console_errors == []
