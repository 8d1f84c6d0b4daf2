"""The compose page in real Chromium against the live app and the emulator: compose, attach,
send, watch the progress, then read the recipients' mailboxes in the emulator."""
from __future__ import annotations

import hashlib
import os
import re

import pytest
from helpers.compose import add_fault, mailbox
from playwright.sync_api import expect

from app_fixtures import ADELE, answer_consent_window, answer_sign_in_pages
from helpers.editor import body_text, fill_body
from helpers.files import write_file

pytestmark = pytest.mark.browser

MEGAN, ALEX, PATTI = "megan@contoso.example", "alex@contoso.example", "patti@contoso.example"
MB = 1024 * 1024
SHOTS = os.environ.get("COMPOSE_SCREENSHOTS")  # a folder: keep screenshots for a human look


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def make_file(folder, name, size, seed=7):
    return write_file(folder / name, size, seed)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def scripts_ready(page) -> None:
    """The compose page's scripts have run: From sits in its picker. A field typed into before
    that may be moved under the fingers (a person cannot type that fast; Playwright can)."""
    page.wait_for_selector(".pp-wrap > #from_address", state="attached")


def compose(page, to="", cc="", bcc="", subject="", body="", from_address=""):
    scripts_ready(page)
    for selector, value in (("#from_address", from_address), ("#to", to), ("#cc", cc),
                            ("#bcc", bcc), ("#subject", subject)):
        if value:
            page.fill(selector, value)
    if body:
        fill_body(page, body)


def grant_in_popup(page, live_app, username=ADELE):
    """Press the page's "Allow and continue" and answer the sign-in pages in the popup it opens;
    the popup closes itself once the app has the permission."""
    with page.expect_popup() as opened:
        page.click("#consent-allow")
    popup = opened.value
    answer_consent_window(popup, live_app.url, username)
    if not popup.is_closed():  # it may stay open (no opener after the sign-in pages)
        expect(popup.locator("#consented")).to_be_visible()


def send_and_wait(page, live_app, username=None):
    with page.expect_navigation():
        page.click("#send")
    if username:  # incremental consent on the way
        answer_sign_in_pages(page, live_app.url, username)
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f-]{36}/status$"))
    page.wait_for_selector("#send-status:not([data-state=running])", timeout=20_000)


def test_three_attachments_reach_every_recipient_bcc_hidden(page, live_app, browser_sign_in, emu,
                                                            https, tmp_path, console_errors):
    browser_sign_in(page, ADELE, start="/compose")
    assert re.search(r"/compose/[0-9a-f-]{36}$", page.url)
    draft_url = page.url
    files = [make_file(tmp_path, "big video.mp4", 10 * MB + 12345),
             make_file(tmp_path, "notes.txt", 2000, seed=3),
             make_file(tmp_path, "résumé Q1.pdf", 300_000, seed=5)]
    compose(page, to=f"Megan Bowen <{MEGAN}>", cc=ALEX, bcc=PATTI, subject="Quarterly pack",
            body="Hello team")
    # The upload session's first chunk fails with 503, then each chunk is slow enough to watch
    # the progress move: the 10 MB file goes into the mailbox's draft as it is picked, so the
    # progress the page shows is the progress to Microsoft.
    add_fault(https, emu, path="/AttachmentSessions", method="PUT", status=503)
    add_fault(https, emu, path="/AttachmentSessions", method="PUT", latency_ms=300, count=4)
    page.set_input_files("#attachments", [str(p) for p in files])
    # Too large for one sendMail: Mail.ReadWrite is asked in a popup; the files wait in the page.
    expect(page.locator("#consent-prompt")).to_be_visible(timeout=15_000)
    assert "Drafts folder" in page.inner_text("#consent-prompt")
    grant_in_popup(page, live_app)
    moving = page.locator("#file-list li.is-uploading progress")
    expect(moving).to_have_count(1, timeout=10_000)
    seen, said = set(), set()
    for _ in range(100):  # the bar of the big file, sampled while it uploads
        values = page.evaluate("Array.from(document.querySelectorAll("
                               "'#file-list li.is-uploading progress')).map(p => p.value)")
        seen.update(v for v in values if 0 < v < 10 * MB)
        said.update(page.evaluate("Array.from(document.querySelectorAll("
                                  "'#file-list li.is-uploading .file-state')).map(s => s.textContent)"))
        if page.locator("#file-list li[data-size]").count() == 3:
            break
        page.wait_for_timeout(100)
    expect(page.locator("#file-list li[data-size]")).to_have_count(3, timeout=30_000)
    assert seen, "the upload was never seen part way"
    # What Microsoft confirmed, chunk by chunk (the app answers from the shared store).
    assert any(t.endswith("% to Microsoft") and not t.startswith("100") for t in said), said
    [kept] = mailbox(emu, ADELE, "drafts")  # the draft is in Drafts, with all three files
    assert sorted(a.name for a in kept.attachments) == sorted(p.name for p in files)
    assert page.inner_text("#total-text") == "10.3 MB of 35 MB"
    assert page.locator("#file-list").inner_text().count("Remove") == 0  # icons, labelled:
    assert page.get_attribute("#file-list li:nth-child(3) .file-remove",
                              "aria-label") == "Remove résumé Q1.pdf"
    expect(page.locator("#save-state")).to_contain_text("Draft saved")  # typing is autosaved
    page.reload()  # a refresh comes back to the same draft with its fields and files
    assert page.url == draft_url and page.locator("#file-list li").count() == 3
    assert page.input_value("#bcc") == PATTI and page.locator("#in-drafts").is_visible()
    shot(page, "compose-filled")

    send_and_wait(page, live_app, ADELE)  # consent to Mail.Send, then it sends
    shot(page, "status-sent")
    assert page.inner_text("#status-title") == "Sent"
    assert page.inner_text("#bytes-text") == "10.3 MB of 10.3 MB"
    assert mailbox(emu, ADELE, "drafts") == []  # sending consumed the draft

    [got] = mailbox(emu, MEGAN)
    assert got.props["subject"] == "Quarterly pack" and got.props["bccRecipients"] == []
    assert [r["emailAddress"]["address"] for r in got.props["ccRecipients"]] == [ALEX]
    assert {a.name: sha(a.blob.read()) for a in got.attachments} == \
        {p.name: sha(p.read_bytes()) for p in files}
    [alex_copy] = mailbox(emu, ALEX)
    assert alex_copy.props["bccRecipients"] == []
    [patti_copy] = mailbox(emu, PATTI)  # the Bcc recipient got it
    assert len(patti_copy.attachments) == 3
    [sent] = mailbox(emu, ADELE, "sentitems")
    assert [r["emailAddress"]["address"] for r in sent.props["bccRecipients"]] == [PATTI]
    page.goto(draft_url)  # the sent draft says so; it cannot be sent again
    assert page.url.endswith("/status") and "already been sent" in page.inner_text("main")
    assert console_errors == []


def test_on_behalf_and_as_another_mailbox_with_throttling(page, live_app, browser_sign_in, emu,
                                                          https):
    browser_sign_in(page, ADELE, start="/login?scopes=Mail.Send%20Mail.Send.Shared&next=/compose")
    add_fault(https, emu, path="/sendMail$", method="POST", status=429, retry_after=1)
    compose(page, from_address=ALEX, to=MEGAN, subject="On behalf")
    send_and_wait(page, live_app)
    assert page.inner_text("#status-title") == "Sent"
    page.click("#new-message")
    compose(page, from_address="sales@contoso.example", to=MEGAN, subject="As sales")
    send_and_wait(page, live_app)
    assert page.inner_text("#status-title") == "Sent"
    got = {m.props["subject"]: m.props for m in mailbox(emu, MEGAN)}
    assert sorted(got) == ["As sales", "On behalf"]  # the throttled one retried, sent once
    behalf, as_sales = got["On behalf"], got["As sales"]
    assert behalf["from"]["emailAddress"]["address"] == ALEX
    assert behalf["sender"]["emailAddress"]["address"] == ADELE
    assert as_sales["from"]["emailAddress"]["address"] == "sales@contoso.example"
    assert as_sales["sender"]["emailAddress"]["address"] == "sales@contoso.example"


def test_send_as_denied_is_explained_and_the_draft_is_intact(page, live_app, browser_sign_in, emu,
                                                             tmp_path):
    browser_sign_in(page, PATTI, start="/login?scopes=Mail.Send%20Mail.Send.Shared&next=/compose")
    compose(page, from_address=ALEX, to=MEGAN, cc="adele@contoso.example", subject="Not allowed",
            body="Please keep this text")
    page.set_input_files("#attachments", [str(make_file(tmp_path, "plan.xlsx", 50_000))])
    page.wait_for_selector("#file-list li[data-size]")
    send_and_wait(page, live_app)
    shot(page, "status-denied")
    assert page.inner_text("#status-title") == "Not sent"
    message = page.inner_text("#status-message")
    assert "You are not allowed to send from that mailbox" in message and "Send As" in message
    page.click("#back-to-draft")
    page.wait_for_selector("#compose-alert")
    shot(page, "compose-after-denied")
    assert page.input_value("#from_address") == ALEX and page.input_value("#to") == MEGAN
    assert page.input_value("#cc") == "adele@contoso.example"
    assert page.input_value("#subject") == "Not allowed"
    assert body_text(page) == "Please keep this text"
    assert page.inner_text("#file-list") .startswith("plan.xlsx")
    assert mailbox(emu, MEGAN) == []


def test_a_connection_dropped_after_sendmail_sends_once_and_says_so(page, live_app,
                                                                     browser_sign_in, emu, https):
    browser_sign_in(page, ADELE, start="/login?scopes=Mail.Send%20Mail.ReadWrite&next=/compose")
    add_fault(https, emu, path="/sendMail$", method="POST", drop=True, after=True)
    compose(page, to=MEGAN, subject="Dropped answer")
    send_and_wait(page, live_app)
    # The answer was lost after Graph took the message: the app looked in Sent Items (found
    # by the draft id header it carries) instead of sending again.
    assert page.inner_text("#status-title") == "Sent"
    assert len(mailbox(emu, MEGAN)) == 1
    page.reload()
    assert page.inner_text("#status-title") == "Sent" and len(mailbox(emu, MEGAN)) == 1


def test_on_a_phone_a_dropped_file_is_listed_and_removed(page, live_app, browser_sign_in, app, emu,
                                                          console_errors):
    page.set_viewport_size({"width": 375, "height": 740})
    browser_sign_in(page, ADELE, start="/compose")
    page.wait_for_selector("#compose")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    box = page.locator("#send").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 36  # a thumb can hit it
    dropped = page.evaluate_handle("""() => {
        const data = new DataTransfer();
        data.items.add(new File(["x".repeat(5000)], "dropped note.txt", {type: "text/plain"}));
        data.items.add(new File([], "empty.txt"));
        return data; }""")
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": dropped})
    row = page.locator("#file-list li[data-size]")
    expect(row).to_have_count(1)
    assert "dropped note.txt" in row.inner_text() and "5 KB" in row.inner_text()
    assert "'empty.txt' is empty (0 bytes)" in page.inner_text("#file-list .is-error")
    assert page.inner_text("#total-text") == "5 KB of 35 MB"
    shot(page, "compose-phone")
    draft_id = page.get_attribute("#compose", "data-draft-id")
    assert [f.name for f in app.extensions["mailer.mail"].drafts.load(
        draft_id, emu.state.directory.user(ADELE).id).attachments] == ["dropped note.txt"]
    page.click("#file-list li[data-size] .file-remove")
    expect(row).to_have_count(0)
    assert page.inner_text("#total-text") == "0 bytes of 35 MB"
    page.reload()
    assert page.locator("#file-list li").count() == 0
    assert console_errors == []
