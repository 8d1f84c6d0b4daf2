"""A day in the app, in one run, as people use it (issue 17), in real Chromium against the live
app and the emulator. Each person has a browser of their own; every consent page they meet is
counted (at most one for the mail pages per person), every click's effect is read back from the
emulator's mailboxes, every page is photographed (DAY_SCREENSHOTS names a folder to keep them;
bench/screenshots.py takes the README's pictures from it) and checked by axe.

Adele signs in, picks a 20 MB file before any permission (asked once, the file then goes), picks
people, writes formatted text with a pasted table, leaves, comes back through Drafts, sends;
opens Compose and leaves three times (nothing kept); writes a message and discards it from
Drafts; signs out. Alex, who granted Mail.Read to an earlier version of the app, opens the
message (read only: not marked), replies all (asked once: the reply opens after it), opens
another (marked read), forwards it; then, in Tokyo's time, schedules a message for tomorrow
09:00 ("Schedule send"), sees it scheduled at that time on its page and in the Outbox, cancels
it there and finds it back in Drafts. Sam, a personal account, writes and sends (asked once, at
Send). The admin grants admin consent (no certificate warning: the emulator's plain-HTTP
pages); Megan then signs in and reads her mail without being asked anything.
"""
from __future__ import annotations

import base64
import datetime as dt
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers.compose import mailbox
from helpers.day import DECODE, DRAFT, Person, screenshots_script
from helpers.files import write_file
from helpers.mailbox import GraphAsApp
from playwright.sync_api import expect

from app_fixtures import ADELE, SAM
from browser.test_paste_browser import SHEET
from browser.test_people_browser import chips, paste
from browser.test_rich_text_browser import EDITOR, PASTE_HTML
from emulator.directory import DEMO_CLIENT_ID

pytestmark = pytest.mark.browser

ALEX, MEGAN, PATTI = "alex@contoso.example", "megan@contoso.example", "patti@contoso.example"
ADMIN = "admin@contoso.example"
TOKYO = "Asia/Tokyo"
MB = 1024 * 1024
SUBJECT = "Q3 figures for Thursday"


@pytest.fixture
def day(chromium, live_app, emu, tmp_path):
    """people(name, username) -> Person; the shots folder; every Person closed at the end."""
    shots = Path(os.environ.get("DAY_SCREENSHOTS") or tmp_path / "day")
    shots.mkdir(parents=True, exist_ok=True)
    counter, opened = [], []

    def people(name: str, username: str, zone: str | None = None) -> Person:
        person = Person(chromium, name, username, live_app.url, emu.pages_url, shots, counter,
                        zone)
        opened.append(person)
        return person
    people.shots, people.opened = shots, opened
    yield people
    for person in opened:
        person.close()


def sent_to(emu, upn: str, subject: str):
    found = [m for m in mailbox(emu, upn) if m.props.get("subject") == subject]
    assert len(found) == 1, [m.props.get("subject") for m in mailbox(emu, upn)]
    return found[0]


def wait_sent(person: Person) -> None:
    person.page.wait_for_url(re.compile(r".*/compose/[0-9a-f-]{36}/status$"))
    expect(person.page.locator("#send-status")).to_have_attribute("data-state", "sent",
                                                                  timeout=60_000)


def new_message(person: Person, to: str, subject: str) -> None:
    """Compose, an address pasted into To, a subject."""
    page = person.page
    page.click("#main-nav >> text=Compose")
    page.wait_for_url(DRAFT)
    paste(page, "#to-picker", to)
    page.fill("#subject", subject)


def adele_writes_leaves_continues_sends(adele: Person, emu, tmp_path) -> None:
    page = adele.page
    adele.sign_in()
    expect(page.locator("#mail-card")).to_be_visible()
    adele.shot("dashboard")
    page.click("#main-nav >> text=Compose")
    page.wait_for_url(DRAFT)
    survey = write_file(tmp_path / "site survey.mp4", 20 * MB + 4321, seed=20)
    page.set_input_files("#attachments", str(survey))  # before any permission
    expect(page.locator("#consent-prompt")).to_be_visible()
    adele.shot("compose-asks-once")
    adele.consent_in_popup("#consent-allow")
    expect(page.locator("#file-list li[data-file-id]")).to_have_count(1, timeout=60_000)
    page.click("#to-picker")
    page.keyboard.type("meg")  # the picker's permissions came with the mail pages': no prompt
    page.locator("[role=option]", has_text="Megan Bowen").click()
    page.click("#cc-picker")
    page.keyboard.type("wil")
    page.locator("[role=option]", has_text="Alex Wilber").click()
    page.fill("#subject", SUBJECT)
    page.click(EDITOR)
    page.keyboard.type("Hi Megan, here are the ")
    page.click("#body-editor button.ql-bold")
    page.keyboard.type("third-quarter figures")
    page.click("#body-editor button.ql-bold")
    page.keyboard.type(":")
    page.keyboard.press("Enter")
    page.evaluate(PASTE_HTML, [EDITOR, SHEET])  # from a spreadsheet: stays a table
    expect(page.locator(f"{EDITOR} table th")).to_have_count(2)
    expect(page.locator("#save-state")).to_have_text("Draft saved to your Drafts folder",
                                                      timeout=15_000)
    draft_url = page.url.split("?")[0]
    page.click("#main-nav >> text=Profile")  # leaves, as people do
    adele.shot("profile")
    for _ in range(3):  # Compose opened and left untouched: nothing kept
        page.click("#main-nav >> text=Compose")
        page.wait_for_url(DRAFT)
        page.click("#nav-mail")
    page.click("[data-folder=drafts]")
    row = page.locator("#messages li", has_text=SUBJECT)
    expect(row).to_have_count(1)
    assert page.locator("#kept-here").count() == 0 and page.locator("#messages li").count() == 1
    adele.shot("drafts")
    row.locator("button.continue").click()
    page.wait_for_url(draft_url)  # the same draft, found again
    assert chips(page, "to") == ["Megan Bowen"] and chips(page, "cc") == ["Alex Wilber"]
    assert page.input_value("#subject") == SUBJECT
    expect(page.locator(f"{EDITOR} strong")).to_have_text("third-quarter figures")
    expect(page.locator("#file-list li[data-file-id]")).to_contain_text("site survey.mp4")
    page.locator("#subject").focus()
    adele.shot("compose")  # the README's compose picture
    with page.expect_navigation():
        page.click("#send")
    wait_sent(adele)
    adele.shot("sent")
    got = sent_to(emu, MEGAN, SUBJECT)
    assert [a.size for a in got.attachments] == [20 * MB + 4321]
    body = got.props["body"]["content"]
    assert "<strong>third-quarter figures</strong>" in body and "<th>Quarter</th>" in body
    assert [r["emailAddress"]["address"] for r in got.props["ccRecipients"]] == [ALEX]
    assert sent_to(emu, ALEX, SUBJECT)
    assert mailbox(emu, ADELE, "drafts") == []  # sending consumed the draft; nothing else kept


def adele_discards_and_signs_out(adele: Person, emu) -> None:
    page = adele.page
    new_message(adele, ALEX, "Never mind")
    expect(page.locator("#save-state")).to_have_text("Draft saved to your Drafts folder",
                                                      timeout=15_000)
    page.click("#nav-mail")
    page.click("[data-folder=drafts]")
    row = page.locator("#messages li", has_text="Never mind")
    row.locator("button.discard").click()  # asks first (accepted by the person's dialog)
    expect(page.locator("#messages li", has_text="Never mind")).to_have_count(0)
    assert mailbox(emu, ADELE, "drafts") == []
    [binned] = mailbox(emu, ADELE, "deleteditems")
    assert binned.props["subject"] == "Never mind"
    page.click("[data-folder=deleteditems]")
    expect(page.locator("#messages li .who")).to_have_text(["Alex Wilber"])
    adele.shot("deleted-items")
    page.click("#sign-out")
    expect(page.locator("#signed-out")).to_contain_text("You are signed out")
    adele.shot("signed-out")


def alex_reads_replies_all_forwards(alex: Person, emu) -> None:
    page = alex.page
    alex.sign_in()
    page.click("#nav-mail")  # Mail.Read from before: the Inbox opens without a prompt
    alex.shot("inbox")
    page.locator("#messages li", has_text=SUBJECT).locator("a").click()
    expect(page.locator("#read-note")).to_contain_text("asks once")
    original = sent_to(emu, ALEX, SUBJECT)
    assert not original.is_read  # only read permission: opened, not marked
    alex.shot("message")  # the README's mailbox picture
    page.click("#replyall")  # needs Mail.ReadWrite: asked once, then the reply opens
    alex.away_and_back()
    page.wait_for_url(DRAFT)
    expect(page.locator(f"{EDITOR} hr")).to_have_count(1)  # the line above the original
    assert set(chips(page, "to") + chips(page, "cc")) == {"Adele Vance", "Megan Bowen"}
    assert sent_to(emu, ALEX, SUBJECT).is_read  # answered: read
    page.click(EDITOR)
    page.keyboard.press("Control+Home")
    page.keyboard.type("Thanks, looks good.")
    alex.shot("reply-all")
    with page.expect_navigation():
        page.click("#send")
    wait_sent(alex)
    assert sent_to(emu, ADELE, f"RE: {SUBJECT}") and sent_to(emu, MEGAN, f"RE: {SUBJECT}")
    page.click("#nav-mail")
    page.locator("#messages li", has_text="Lunch on Friday?").locator("a").click()
    expect(page.locator("#read-note")).to_contain_text("Opening a message marks it as read")
    assert sent_to(emu, ALEX, "Lunch on Friday?").is_read  # opened: read
    page.click("#forward")
    page.wait_for_url(DRAFT)
    paste(page, "#to-picker", MEGAN)
    with page.expect_navigation():
        page.click("#send")
    wait_sent(alex)
    assert sent_to(emu, MEGAN, "FW: Lunch on Friday?")


def alex_schedules_then_cancels_from_the_outbox(alex: Person, emu) -> None:
    page = alex.page
    new_message(alex, MEGAN, "Board pack")
    page.click(EDITOR)
    page.keyboard.type("For tomorrow morning.")
    page.click("details.compose-options summary")
    when = (dt.datetime.now(ZoneInfo(TOKYO)) + dt.timedelta(days=1)).replace(hour=9, minute=0)
    page.fill("#send_at", when.strftime("%Y-%m-%dT%H:%M"))  # tomorrow 09:00 in Tokyo
    expect(page.locator("#send")).to_have_text("Schedule send")
    alex.shot("schedule-send")
    with page.expect_navigation():
        page.click("#send")
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f-]{36}/status$"))
    expect(page.locator("#send-status")).to_have_attribute("data-state", "scheduled")
    expect(page.locator("#status-title")).to_have_text(
        f"Scheduled for {when:%Y-%m-%d} 09:00 ({TOKYO})")
    alex.shot("scheduled")
    assert mailbox(emu, ALEX, "outbox") == []  # the app's Outbox holds it, not Exchange's
    page.click("#main-nav >> text=Outbox")
    row = page.locator("#outbox [data-job]", has_text="Board pack")
    expect(row).to_have_attribute("data-state", "scheduled")
    expect(row.locator("time")).to_have_text("tomorrow 09:00")  # in Alex's zone, not UTC
    alex.shot("outbox")
    row.get_by_role("button", name="Cancel").click()
    expect(page.locator("#content")).to_contain_text("will not be sent")
    row = page.locator("#outbox [data-job]", has_text="Board pack")
    expect(row).to_have_attribute("data-state", "cancelled")
    row.get_by_role("link", name="Open draft").click()
    page.wait_for_url(DRAFT)  # back to a draft, as it was written
    assert page.input_value("#subject") == "Board pack"
    assert chips(page, "to") == [MEGAN]  # as pasted
    expect(page.locator("#send")).to_have_text("Schedule send")  # its time is kept with it
    page.fill("#send_at", "")
    page.locator("#send_at").dispatch_event("input")
    expect(page.locator("#send")).to_have_text("Send")
    page.click("#nav-mail")
    page.click("[data-folder=drafts]")
    expect(page.locator("#messages li", has_text="Board pack")).to_have_count(1)
    assert mailbox(emu, ALEX, "outbox") == []
    assert not [m for m in mailbox(emu, MEGAN) if m.props.get("subject") == "Board pack"]


def sam_writes_and_sends(sam: Person, emu) -> None:
    page = sam.page
    sam.sign_in()
    new_message(sam, ALEX, "From my own account")
    page.click(EDITOR)
    page.keyboard.type("Sent with a personal Microsoft account.")
    page.click("#send")  # Mail.Send: asked once, then the message goes on its own
    sam.away_and_back()
    wait_sent(sam)
    sam.shot("sent")
    got = sent_to(emu, ALEX, "From my own account")
    author = got.props.get("from") or got.props.get("sender")
    assert author["emailAddress"]["address"] == SAM


def admin_grants_consent_then_megan_is_never_asked(admin: Person, megan: Person, emu) -> None:
    page = admin.page
    admin.sign_in("/login?next=/admin/")
    admin.shot("admin")
    page.click("#grant-consent")
    # Built from discovery's authorization_endpoint: the emulator's plain-HTTP pages, so no
    # certificate warning (its HTTPS API origin would have stopped the navigation here).
    page.wait_for_url(lambda url: url.startswith(emu.pages_url))
    admin.answer()
    expect(page.locator("body")).to_contain_text("Admin consent was granted")
    admin.shot("consent-granted")
    megan.sign_in()
    megan.page.click("#nav-mail")
    megan.page.locator("#messages li", has_text="FW: Lunch on Friday?").locator("a").click()
    expect(megan.page.locator("#read-note")).to_contain_text("marks it as read")
    assert sent_to(emu, MEGAN, "FW: Lunch on Friday?").is_read
    megan.shot("message")


def test_a_day_in_the_app(day, emu, live_app, tmp_path, page):
    graph = GraphAsApp(emu)
    try:
        graph.send(PATTI, ALEX, "Lunch on Friday?", "<p>Pizza or sushi?</p>")
    finally:
        graph.http.close()
    emu.state.add_redirect_uri(f"{live_app.url}/admin/consent/callback")  # as README step 1
    alex_user = emu.state.directory.user(ALEX)  # granted reading to an earlier version
    emu.state.consents[(alex_user.id, DEMO_CLIENT_ID)] = {
        "openid", "profile", "offline_access", "User.Read", "Mail.Read"}

    adele = day("adele", ADELE)
    adele.go("/")
    adele.shot("landing")
    adele_writes_leaves_continues_sends(adele, emu, tmp_path)
    adele_discards_and_signs_out(adele, emu)
    alex = day("alex", ALEX, zone=TOKYO)  # nine hours from UTC: times shown are Alex's own
    alex_reads_replies_all_forwards(alex, emu)
    alex_schedules_then_cancels_from_the_outbox(alex, emu)
    sam_writes_and_sends(day("sam", SAM), emu)
    admin_grants_consent_then_megan_is_never_asked(day("admin", ADMIN), day("megan", MEGAN),
                                                   emu)

    counts = {p.name: {"consent pages": list(p.consents), "mail prompts": p.mail_prompts,
                       "sign-in round trips": p.trips} for p in day.opened}
    print("permission prompts:", counts)
    for person in day.opened:
        assert person.mail_prompts <= 1, (person.name, person.consents)
        assert person.errors == [], (person.name, person.errors)
    assert counts["megan"]["consent pages"] == [] and counts["alex"]["mail prompts"] == 1
    assert {name: v for p in day.opened for name, v in p.violations.items()} == {}
    pictures = sorted(day.shots.glob("*.png"))
    assert len(pictures) >= 20
    readme = screenshots_script()  # the README's pictures come from these: none may be missing
    found = readme.pictures_of(day.shots)
    assert all(step in found for step in readme.README_PICTURES.values()), sorted(found)
    for picture in pictures:  # each a real picture of a page, not a blank or an error
        width, height, colours = page.evaluate(DECODE, base64.b64encode(
            picture.read_bytes()).decode())
        # The app's pages at 1280×800 (the README's size), a consent window at its own size.
        assert (width, height) in ((1280, 800), (520, 700)), (picture.name, width, height)
        assert colours > 200, (picture.name, colours)
