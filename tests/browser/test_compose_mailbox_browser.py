"""A large message written in Chromium lives in the person's mailbox while it is written: three
files (one of 31 MB) picked and Send pressed at once; the bar shows what Microsoft confirmed,
the draft sits in Drafts meanwhile, and the message arrives once with byte-identical files."""
from __future__ import annotations

import threading
import time

import pytest
from helpers.compose import add_fault, mailbox
from playwright.sync_api import expect

from app_fixtures import ADELE
from browser.test_compose_impatient import (MB, SIGN_IN, fill, same_files, sent_to_megan)
from helpers.files import write_file

pytestmark = pytest.mark.browser


def test_thirty_mb_and_two_small_files_with_send_pressed_at_once(
        page, live_app, browser_sign_in, emu, https, tmp_path, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    fill(page, "Thirty megabytes")
    files = [write_file(tmp_path / "site survey.mp4", 31 * MB + 777, seed=11),
             write_file(tmp_path / "notes.txt", 5000, seed=3),
             write_file(tmp_path / "plan.pdf", 250_000, seed=5)]
    # Each chunk into the upload session takes a little while, as over the internet.
    add_fault(https, emu, path="/AttachmentSessions", method="PUT", latency_ms=150, count=12)
    in_drafts, stop = [], threading.Event()

    def watch_drafts():  # the emulator's Drafts, looked at while the page works
        while not stop.is_set():
            found = mailbox(emu, ADELE, "drafts")
            if found:
                in_drafts.append(sorted(a.name for a in found[0].attachments))
            time.sleep(0.05)
    watcher = threading.Thread(target=watch_drafts, daemon=True)
    watcher.start()
    page.set_input_files("#attachments", [str(p) for p in files])
    page.click("#send")  # at once: nothing has reached the app yet
    expect(page.locator("#send")).to_have_text("Sending…")
    said = set()
    deadline = time.monotonic() + 30
    while "/status" not in page.url and time.monotonic() < deadline:
        try:
            said.update(page.evaluate("Array.from(document.querySelectorAll("
                                      "'#file-list .file-state')).map(s => s.textContent)"))
        except Exception:  # noqa: BLE001 - the page moved on to the status page meanwhile
            break
        page.wait_for_timeout(80)
    got = sent_to_megan(page, emu)
    stop.set()
    watcher.join(5)
    assert same_files(got, files)
    assert any(t.endswith("% to Microsoft") and not t.startswith("100") for t in said), said
    assert in_drafts, "the draft was never seen in Drafts"
    assert mailbox(emu, ADELE, "drafts") == []  # sending consumed it
    assert len(mailbox(emu, ADELE, "sentitems")) == 1
    assert console_errors == []
