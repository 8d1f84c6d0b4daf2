"""The compose page's people picker in real Chromium against the live app and the emulator: pick
people by parts of their names (keyboard only, and the mouse), paste a list, send, and read the
recipients' mailboxes; the permissions asked in a popup on first use, the message kept."""
from __future__ import annotations

import re

import pytest
from helpers.compose import mailbox
from playwright.sync_api import expect

from app_fixtures import ADELE, answer_consent_window

pytestmark = pytest.mark.browser

MEGAN, ALEX, PATTI = "megan@contoso.example", "alex@contoso.example", "patti@contoso.example"
ADMIN, SALES = "admin@contoso.example", "sales@contoso.example"
DRAFT = re.compile(r".*/compose/[0-9a-f-]{36}$")



def lists(page) -> dict[str, str]:
    """Each picker's listbox id by the field it serves."""
    return page.evaluate("""() => Object.fromEntries(['to', 'cc', 'bcc', 'from_address'].map(
        n => [n, document.querySelector('[name=' + n + ']').closest('.compose-field')
                   .querySelector('[role=listbox]').id]))""")


def paste(page, selector: str, text: str) -> None:
    """A paste event carrying ``text``, as the browser fires it for Ctrl+V."""
    page.locator(selector).evaluate("""(el, text) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        el.focus();
        el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                       cancelable: true}));
    }""", text)


def chips(page, field: str) -> list[str]:
    return page.locator(f"#{field}-picker").locator("xpath=..").locator(".pp-chip-text") \
        .all_inner_texts()


def send(page):
    with page.expect_navigation():
        page.click("#send")
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f-]{36}/status$"))
    page.wait_for_selector("#send-status:not([data-state=running])", timeout=20_000)
    assert page.inner_text("#status-title") == "Sent"


def answer_popup(popup, app_url: str, username: str) -> None:
    """The emulator's pages in the consent window, until the app's page closes it."""
    answer_consent_window(popup, app_url, username)
    if not popup.is_closed():
        try:
            popup.wait_for_event("close", timeout=10_000)
        except Exception:
            raise AssertionError(f"the window stayed open at {popup.url}: "
                                 f"{popup.inner_text('body')[:500]}") from None


def test_pick_two_people_by_parts_of_their_names_paste_a_list_and_send(
        page, live_app, browser_sign_in, emu, console_errors):
    browser_sign_in(page, ADELE, start="/login?scopes=Mail.Send%20People.Read%20"
                                       "User.ReadBasic.All&next=/compose")
    page.wait_for_url(DRAFT)
    ids = lists(page)
    to = page.locator("#to-picker")
    assert to.get_attribute("role") == "combobox"
    assert to.get_attribute("aria-controls") == ids["to"]
    assert page.get_attribute("label[for=to-picker]", "id") == to.get_attribute("aria-labelledby")

    # Keyboard only: Tab into To, type part of a surname, Enter picks the first suggestion.
    page.focus("#from_address")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "to-picker"
    page.keyboard.type("bow")
    megan = page.locator(f"#{ids['to']} [role=option]", has_text="Megan Bowen")
    expect(megan).to_be_visible()
    assert to.get_attribute("aria-expanded") == "true"
    assert to.get_attribute("aria-activedescendant") == megan.get_attribute("id")
    assert megan.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    expect(to).to_have_attribute("aria-expanded", "false")
    assert chips(page, "to") == ["Megan Bowen"] and to.input_value() == ""
    # ArrowDown moves, Escape closes, Backspace on the empty box removes the last chip.
    page.keyboard.type("a")
    expect(page.locator(f"#{ids['to']} [role=option]").nth(1)).to_be_visible()
    page.keyboard.press("ArrowDown")
    second = page.locator(f"#{ids['to']} [role=option]").nth(1)
    assert to.get_attribute("aria-activedescendant") == second.get_attribute("id")
    page.keyboard.press("Escape")
    expect(page.locator(f"#{ids['to']}")).to_be_hidden()
    page.keyboard.press("Backspace")  # the typed "a"
    page.keyboard.press("Backspace")  # then Megan's chip
    assert chips(page, "to") == []
    page.keyboard.type("meg")
    expect(megan).to_be_visible()
    page.keyboard.press("Tab")  # Tab picks too
    assert chips(page, "to") == ["Megan Bowen"]

    # The mouse: part of a first name, then a click on the suggestion.
    to.click()
    page.keyboard.type("pat")
    page.locator(f"#{ids['to']} [role=option]", has_text="Patti Fernandez").click()
    assert chips(page, "to") == ["Megan Bowen", "Patti Fernandez"]
    # The field the server reads keeps its name and its text format.
    assert page.input_value("#to") == \
        f"Megan Bowen <{MEGAN}>, Patti Fernandez <{PATTI}>"

    # A pasted list becomes chips, separators and names as the server reads them.
    paste(page, "#cc-picker", f"{ALEX}, MOD Administrator <{ADMIN}>;\n{SALES}")
    assert chips(page, "cc") == [ALEX, "MOD Administrator", SALES]
    assert page.input_value("#cc") == f"{ALEX}, MOD Administrator <{ADMIN}>, {SALES}"
    # A chip's remove button, by keyboard too.
    page.focus("#cc-picker")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Remove {SALES}"
    page.keyboard.press("Enter")
    assert chips(page, "cc") == [ALEX, "MOD Administrator"]

    # From: one mailbox, the shared one found in the directory; the field holds its address.
    page.click("#from_address")
    page.keyboard.type("sal")
    sales = page.locator(f"#{ids['from_address']} [role=option]", has_text=SALES)
    expect(sales).to_be_visible()
    page.keyboard.press("Enter")
    assert page.input_value("#from_address") == SALES and sales.count() == 0
    page.fill("#from_address", "")  # and back to herself

    page.fill("#subject", "Picked")
    expect(page.locator("#save-state")).to_contain_text("Draft saved")
    page.reload()  # the autosaved draft comes back as chips
    assert chips(page, "to") == ["Megan Bowen", "Patti Fernandez"]
    assert chips(page, "cc") == [ALEX, "MOD Administrator"]
    send(page)
    for person in (MEGAN, PATTI, ALEX, ADMIN):
        [got] = mailbox(emu, person)
        assert got.props["subject"] == "Picked"
    assert mailbox(emu, SALES) == []
    [sent] = mailbox(emu, ADELE, "sentitems")
    assert [(r["emailAddress"]["name"], r["emailAddress"]["address"])
            for r in sent.props["toRecipients"]] == [("Megan Bowen", MEGAN),
                                                      ("Patti Fernandez", PATTI)]
    assert console_errors == []


def test_permissions_on_first_use_in_a_popup_keep_the_message(page, live_app, browser_sign_in,
                                                             emu, console_errors):
    browser_sign_in(page, ADELE, start="/login?scopes=Mail.Send&next=/compose")
    page.wait_for_url(DRAFT)
    draft_url = page.url
    page.fill("#subject", "Typed before the popup")
    page.click("#to-picker")
    page.keyboard.type("meg")
    ask = page.locator(".pp-consent")
    expect(ask).to_be_visible()
    assert "permission" in page.inner_text("#pp-note-1")
    with page.expect_popup() as opened:
        page.keyboard.press("Enter")  # the consent option is active: a key press opens it
    answer_popup(opened.value, live_app.url, ADELE)
    megan = page.locator("[role=option]", has_text="Megan Bowen")
    expect(megan).to_be_visible(timeout=10_000)  # asked again once permission was given
    assert page.url == draft_url
    assert page.input_value("#subject") == "Typed before the popup"
    assert page.input_value("#to-picker") == "meg"
    page.keyboard.press("Enter")
    send(page)  # the session changed at that sign-in; the page's form still goes
    [got] = mailbox(emu, MEGAN)
    assert got.props["subject"] == "Typed before the popup"
    assert console_errors == []
