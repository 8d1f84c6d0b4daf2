"""The people picker and From as a person meets them (issue 17, items 7, 8 and 9), in real
Chromium: "pat" + Enter before the directory permission makes no chip Send would refuse (the
text stays, the permission is offered, and once granted Enter picks Patti); a paste into From
and Tab away leaves no list open over To; From offers the mailboxes one may send from; "Added
…" does not linger under the fields."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app_fixtures import ADELE
from browser.test_people_browser import DRAFT, answer_popup, chips, paste

pytestmark = pytest.mark.browser

PATTI = "patti@contoso.example"


def test_a_name_and_enter_before_the_permission_keeps_the_text_then_searches(
        page, live_app, browser_sign_in, console_errors):
    browser_sign_in(page, ADELE, start="/compose")
    page.wait_for_url(DRAFT)
    page.click("#to-picker")
    page.keyboard.type("pat")
    page.keyboard.press("Enter")  # at once: before any suggestion came back
    expect(page.locator(".pp-consent")).to_be_visible()
    assert chips(page, "to") == [] and page.input_value("#to-picker") == "pat"
    with page.expect_popup() as opened:
        page.keyboard.press("Enter")  # the offered permission is the active option
    answer_popup(opened.value, live_app.url, ADELE)
    patti = page.locator("[role=option]", has_text="Patti Fernandez")
    expect(patti).to_be_visible(timeout=10_000)
    page.keyboard.press("Enter")
    assert chips(page, "to") == ["Patti Fernandez"] and page.locator(".pp-chip-bad").count() == 0
    note = page.locator("#to-picker").locator("xpath=ancestor::*[contains(@class,"
                                               "'compose-field')][1]").locator(".pp-note")
    expect(note).to_have_text("Added Patti Fernandez.")
    page.click("#subject")
    expect(note).to_have_text("")  # said, then gone: not left under the fields
    assert console_errors == []


def test_a_paste_into_from_then_tab_leaves_no_list_over_to(page, live_app, browser_sign_in,
                                                          console_errors):
    browser_sign_in(page, ADELE, start="/login?scopes=People.Read%20User.ReadBasic.All"
                                       "&next=/compose")
    page.wait_for_url(DRAFT)
    paste(page, "#from_address", "sales")
    page.locator("#from_address").evaluate("el => { el.value = 'sales'; "
                                           "el.dispatchEvent(new Event('input', {bubbles: true})) }")
    page.keyboard.press("Tab")
    page.wait_for_timeout(800)  # past the search's delay and its answer
    assert page.locator(".pp-list:not([hidden])").count() == 0
    assert console_errors == []


def test_from_offers_the_mailboxes_one_may_send_from(page, live_app, browser_sign_in,
                                                     console_errors):
    browser_sign_in(page, ADELE, start="/compose")
    page.wait_for_url(DRAFT)
    page.click("#from_address")
    offers = page.locator("#from_address").locator("xpath=..").locator("[role=option]")
    expect(offers).to_have_count(1)
    expect(offers.first).to_contain_text(f"{ADELE} · you")
    page.keyboard.press("ArrowDown")  # offered, none chosen: Tab would simply go on
    page.keyboard.press("Enter")
    assert page.input_value("#from_address") == ADELE
    assert console_errors == []
