"""A session that expires while someone types, in real Chromium: the server keeps nothing that
came without a live session, and the page's own copy in this browser (localStorage,
compose-rescue.js) is offered back after signing in again, then forgotten once saved."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app_fixtures import ADELE, answer_sign_in_pages
from helpers.editor import body_text, fill_body

pytestmark = pytest.mark.browser

MEGAN = "megan@contoso.example"
KEPT = "mailer:compose:"


def kept_entries(page) -> list[str]:
    return page.evaluate(f"Object.keys(localStorage).filter(k => k.startsWith('{KEPT}'))")


def test_text_typed_after_the_session_expired_is_offered_back_from_this_browser(
        page, live_app, browser_sign_in, console_errors):
    browser_sign_in(page, ADELE, start="/compose")
    draft_url = page.url
    assert re.search(r"/compose/[0-9a-f-]{36}$", draft_url)
    page.fill("#to", MEGAN)
    page.fill("#subject", "Before expiry")
    fill_body(page, "First words")
    expect(page.locator("#save-state")).to_have_text("Draft saved")
    assert kept_entries(page) == []  # the server has it all: nothing kept here

    # The session expires: the browser's cookie now names no stored session.
    page.context.add_cookies([{"name": "mailer_session", "value": "e" * 43,
                               "url": live_app.url}])
    page.fill("#subject", "Written while signed out")
    fill_body(page, "Words that must not be lost")
    expect(page.locator("#save-state")).to_have_text("Signed out: sign in again to keep changes")
    assert len(kept_entries(page)) == 1

    page.click("#send")  # the server keeps nothing of this POST, and sends to sign in
    answer_sign_in_pages(page, live_app.url, ADELE)
    page.wait_for_url(draft_url)
    expect(page.locator("#rescue-offer")).to_be_visible()
    assert page.input_value("#subject") == "Before expiry"  # what the server had
    page.click("#rescue-restore")
    assert page.input_value("#subject") == "Written while signed out"
    assert body_text(page) == "Words that must not be lost"
    expect(page.locator("#save-state")).to_have_text("Draft saved")
    assert kept_entries(page) == []  # saved on the server now: forgotten here

    page.reload()
    assert page.input_value("#subject") == "Written while signed out"
    assert body_text(page) == "Words that must not be lost"
    expect(page.locator("#rescue-offer")).to_have_count(0)
    # Only the autosaves refused while signed out (the browser logs a 401 it fetched).
    assert [e for e in console_errors if "status of 401" not in e] == []


def test_a_send_that_went_forgets_the_copy_and_sign_out_forgets_them_all(
        page, live_app, browser_sign_in, console_errors):
    browser_sign_in(page, ADELE, start="/compose")
    page.evaluate(f"localStorage.setItem('{KEPT}other', '{{}}')")  # another draft's leftover
    page.fill("#to", MEGAN)
    page.fill("#subject", "Goes at once")
    page.click("#send")
    answer_sign_in_pages(page, live_app.url, ADELE)  # Mail.Send, asked on the first send
    page.wait_for_url(re.compile(r".*/status$"))
    assert kept_entries(page) == [f"{KEPT}other"]  # this draft's copy is done with
    page.click("#sign-out")
    page.wait_for_load_state()
    assert kept_entries(page) == []
    assert console_errors == []
