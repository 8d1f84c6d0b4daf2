"""The Inbox and the navigation's unread count follow new mail without a reload, in Chromium:
static/mail-live.js asks /mail/live (the Inbox's delta state) and swaps the list in; no
inline script, no CSP violation."""
from __future__ import annotations

from app_fixtures import answer_sign_in_pages
from helpers.mailbox import GraphAsApp
from playwright.sync_api import expect

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
ASK_NOW = "document.dispatchEvent(new Event('visibilitychange'))"  # the page asks at once


def test_new_mail_shows_in_the_inbox_and_its_count_without_a_reload(
        page, live_app, emu, browser_sign_in, console_errors):
    graph = GraphAsApp(emu)
    try:
        graph.send(ADELE, MEGAN, "First")
        browser_sign_in(page, MEGAN)
        page.goto(f"{live_app.url}/mail/me/inbox")
        answer_sign_in_pages(page, live_app.url, MEGAN)  # consent to Mail.Read, on first use
        page.wait_for_selector("#messages li")
        assert page.inner_text("#nav-unread") == "1"
        page.evaluate("window.stillHere = true")
        graph.send(ADELE, MEGAN, "Second")
        graph.send(ADELE, MEGAN, "Third")
        page.evaluate(ASK_NOW)  # the first ask: a count unlike the one shown
        expect(page.locator("#messages li")).to_have_count(3)
        assert page.inner_text("#nav-unread") == "3"
        graph.send(ADELE, MEGAN, "Fourth")
        page.evaluate(ASK_NOW)  # now from the kept delta link
        expect(page.locator("#messages li")).to_have_count(4)
        assert page.inner_text("#messages li:first-child .subject") == "Fourth"
        assert page.inner_text("#nav-unread") == "4"
        assert page.evaluate("window.stillHere") is True  # never reloaded
        page.goto(f"{live_app.url}/profile")  # any page: the count follows there too
        graph.send(ADELE, MEGAN, "Fifth")
        page.evaluate(ASK_NOW)
        expect(page.locator("#nav-unread")).to_have_text("5")
    finally:
        graph.http.close()
    assert console_errors == [], console_errors
