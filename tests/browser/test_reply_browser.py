"""Reply all, forward, a draft continued from Outlook and send later, in real Chromium against
the live app and the emulator: each person signs in through the real pages and consents on
first use; what arrives is read from the recipients' mailboxes in the emulator."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from helpers.compose import mailbox
from helpers.editor import EDITOR

from app_fixtures import answer_sign_in_pages
from emulator.directory import DEMO_CLIENT_ID

pytestmark = pytest.mark.browser

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
ALEX, PATTI = "alex@contoso.example", "patti@contoso.example"
REPORT = bytes((i * 7 + 3) % 251 for i in range(300_000))


def signed_in(chromium, live_app, username, start="/"):
    """A fresh browser of ``username``, signed in through the real pages."""
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_app.url + start)
    page.click("#sign-in")
    answer_sign_in_pages(page, live_app.url, username)
    return context, page


def visit(page, live_app, path, username):
    """Open a page of the app, answering a consent on the way (first use of a permission)."""
    page.goto(live_app.url + path)
    answer_sign_in_pages(page, live_app.url, username)


def press(page, live_app, button, username):
    """Press a button of the message page; after a consent round trip it is pressed again."""
    with page.expect_navigation():
        page.click(button)
    answer_sign_in_pages(page, live_app.url, username)
    if "/compose/" not in page.url:
        with page.expect_navigation():
            page.click(button)
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f-]{36}$"))
    page.wait_for_selector(EDITOR)


def send(page, live_app, username):
    with page.expect_navigation():
        page.click("#send")
    answer_sign_in_pages(page, live_app.url, username)
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f-]{36}/status$"))
    page.wait_for_selector("#send-status:not([data-state=running])", timeout=20_000)
    return page.inner_text("#status-title")


def open_message(page, live_app, folder, subject, username):
    visit(page, live_app, f"/mail/me/{folder}", username)
    page.click(f"#messages li:has-text('{subject}') a")
    page.wait_for_selector("#mail-body")


def write_on_top(page, words):
    page.click(EDITOR)
    page.keyboard.press("Control+Home")
    page.keyboard.type(words)


def test_reply_all_and_forward_with_its_attachment(chromium, live_app, emu, tmp_path):
    report = tmp_path / "report.bin"
    report.write_bytes(REPORT)
    adele, page = signed_in(chromium, live_app, ADELE)
    try:
        visit(page, live_app, "/compose", ADELE)
        page.fill("#to", MEGAN)
        page.fill("#cc", ALEX)
        page.fill("#subject", "Budget")
        page.fill(EDITOR, "Numbers attached.")
        page.set_input_files("#attachments", [str(report)])
        page.wait_for_selector("#file-list .file-item:has-text('report.bin')")
        page.wait_for_function("!document.querySelector('input[name=unattached]').value")
        assert send(page, live_app, ADELE) == "Sent"
        open_message(page, live_app, "sentitems", "Budget", ADELE)
        assert page.inner_text("#subject") == "Budget" and MEGAN in page.inner_text("#to")
    finally:
        adele.close()

    megan, page = signed_in(chromium, live_app, MEGAN)
    try:
        open_message(page, live_app, "inbox", "Budget", MEGAN)
        press(page, live_app, "#replyall", MEGAN)
        assert ADELE in page.input_value("#to") and ALEX in page.input_value("#cc")
        assert page.input_value("#subject") == "RE: Budget"
        assert "Numbers attached." in page.inner_text(EDITOR)  # the quoted original
        write_on_top(page, "Agreed, thanks.")
        assert send(page, live_app, MEGAN) == "Sent"

        open_message(page, live_app, "inbox", "Budget", MEGAN)
        press(page, live_app, "#forward", MEGAN)
        assert page.input_value("#subject") == "FW: Budget"
        assert page.locator("#file-list .file-item", has_text="report.bin").count() == 1
        page.fill("#to", PATTI)
        write_on_top(page, "For you, Patti.")
        assert send(page, live_app, MEGAN) == "Sent"
    finally:
        megan.close()

    for upn in (ADELE, ALEX):
        [reply] = [m for m in mailbox(emu, upn) if m.props["subject"] == "RE: Budget"]
        assert "Agreed, thanks." in reply.props["body"]["content"]
        assert "Numbers attached." in reply.props["body"]["content"]
    [forwarded] = mailbox(emu, PATTI)
    assert forwarded.props["subject"] == "FW: Budget"
    assert "For you, Patti." in forwarded.props["body"]["content"]
    assert [(a.name, a.blob.read()) for a in forwarded.attachments] == [("report.bin", REPORT)]
    assert mailbox(emu, MEGAN, "drafts") == []


def test_an_outlook_draft_is_continued_and_sent_later(chromium, live_app, emu, https):
    user = emu.state.directory.user(MEGAN)
    token = emu.state.tokens.access_token(DEMO_CLIENT_ID, user.tenant_id, 3600, user=user,
                                          scopes=["Mail.ReadWrite"])
    graph = emu.client_config()["graph_endpoint"]
    made = https.post(f"{graph}/me/messages", headers={"Authorization": f"Bearer {token}"},
                      json={"subject": "Written in Outlook", "importance": "high",
                            "body": {"contentType": "html", "content": "<p>Half done</p>"},
                            "toRecipients": [{"emailAddress": {"address": ALEX}}]}, timeout=10)
    assert made.status_code == 201, made.text

    megan, page = signed_in(chromium, live_app, MEGAN)
    try:
        visit(page, live_app, "/mail/me/drafts", MEGAN)
        row = page.locator("#messages li", has_text="Written in Outlook")
        with page.expect_navigation():
            row.locator("button.continue").click()
        answer_sign_in_pages(page, live_app.url, MEGAN)
        if "/compose/" not in page.url:  # consent to Mail.ReadWrite came first: back on the
            page.click("#continue")        # draft's own page, where Continue is pressed again
        page.wait_for_url(re.compile(r".*/compose/[0-9a-f-]{36}$"))
        page.wait_for_selector(EDITOR)
        assert page.input_value("#to") == f"Alex Wilber <{ALEX}>"
        assert page.input_value("#importance") == "high"
        assert "Half done" in page.inner_text(EDITOR)
        write_on_top(page, "Now finished. ")
        page.click("summary:has-text('Options')")
        zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
        when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3)
        local = page.evaluate("ms => { const d = new Date(ms); d.setMinutes(d.getMinutes() - "
                              "d.getTimezoneOffset()); return d.toISOString().slice(0, 16); }",
                              when.timestamp() * 1000)
        page.fill("#send_at", local)
        title = send(page, live_app, MEGAN)
        assert title == f"Scheduled for {local.replace('T', ' ')} ({zone})", title
        # Held by the app until its time: still Megan's draft, listed in her Outbox.
        assert mailbox(emu, ALEX) == [] and mailbox(emu, MEGAN, "outbox") == []
        assert [m.props["subject"] for m in mailbox(emu, MEGAN, "drafts")] == ["Written in Outlook"]
        visit(page, live_app, "/outbox", MEGAN)
        row = page.locator("#outbox [data-state='scheduled']", has_text="Written in Outlook")
        assert row.count() == 1
        with page.expect_navigation():
            row.locator("button", has_text="Cancel").click()
        assert "will not be sent" in page.inner_text("#content")
        assert page.locator("#outbox [data-state='scheduled']").count() == 0
    finally:
        megan.close()
    [kept] = mailbox(emu, MEGAN, "drafts")  # cancelled: the draft, with what was written on it
    assert "Now finished." in kept.props["body"]["content"] and mailbox(emu, ALEX) == []
