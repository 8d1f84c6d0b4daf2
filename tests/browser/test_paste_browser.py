"""Pasting, in real Chromium (issue 17, item 11): a table copied from a spreadsheet or a web page
stays a table (rows, header cells, cells) in the editor, in the draft and at the recipient; the
text of a pasted <script> is dropped, not shown; a list of addresses pasted into To (one per
line, or with commas or semicolons, with or without names) becomes one chip each. A reply's
quoted original keeps the line above it."""
from __future__ import annotations

import re

import pytest
from helpers.compose import mailbox
from playwright.sync_api import expect

from app_fixtures import ADELE
from browser.test_rich_text_browser import EDITOR, PASTE_HTML, SIGN_IN

pytestmark = pytest.mark.browser

MEGAN, ALEX, PATTI = "megan@contoso.example", "alex@contoso.example", "patti@contoso.example"
# As a spreadsheet puts it on the clipboard: a header row of <th>, a <style> and <col>s around.
SHEET = ("<html><head><style>td{mso-number-format:General}</style></head><body>"
         "<table><colgroup><col><col></colgroup><tbody>"
         "<tr><th>Quarter</th><th>Revenue €</th></tr>"
         "<tr><td>Q1</td><td>1 234</td></tr><tr><td>Q2</td><td>2 345</td></tr>"
         "</tbody></table><script>alert('pasted')</script><p>Source: finance</p></body></html>")

PASTE_TEXT = """([selector, text]) => {
  const data = new DataTransfer();
  data.setData("text/plain", text);
  const target = document.querySelector(selector);
  target.focus();
  target.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""


def test_a_pasted_table_stays_a_table_and_a_script_says_nothing(page, live_app, browser_sign_in,
                                                                emu, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    page.wait_for_selector(EDITOR)
    page.fill("#to-picker", MEGAN)
    page.fill("#subject", "Figures")
    page.evaluate(PASTE_HTML, [EDITOR, SHEET])
    table = page.locator(f"{EDITOR} table")
    expect(table).to_have_count(1)
    expect(table.locator("th")).to_have_text(["Quarter", "Revenue €"])
    expect(table.locator("tr")).to_have_count(3)
    expect(table.locator("td")).to_have_text(["Q1", "1 234", "Q2", "2 345"])
    assert "alert" not in page.inner_text(EDITOR) and "Source: finance" in page.inner_text(EDITOR)
    html = page.input_value("#body")
    assert re.search(r"<table[^>]*><tbody><tr><th>Quarter</th><th>Revenue €</th></tr>", html)
    expect(page.locator("#save-state")).to_contain_text("Draft saved")
    page.reload()  # from the saved draft: the table comes back as it was
    expect(page.locator(f"{EDITOR} table th")).to_have_text(["Quarter", "Revenue €"])
    with page.expect_navigation():
        page.click("#send")
    page.wait_for_selector("#send-status[data-state=sent]", timeout=20_000)
    [got] = mailbox(emu, MEGAN)
    content = got.props["body"]["content"]
    assert "<th>Quarter</th>" in content and "<td>2 345</td>" in content
    assert "alert" not in content
    assert console_errors == []


@pytest.mark.parametrize("pasted", [
    f"{MEGAN}\n{ALEX}\n{PATTI}",
    f"Megan Bowen <{MEGAN}>; Alex Wilber <{ALEX}>, {PATTI}",
    f'"Bowen, Megan" <{MEGAN}>,\r\n{ALEX};{PATTI};',
], ids=["lines", "names-and-separators", "quoted-name-and-crlf"])
def test_a_pasted_list_of_addresses_becomes_one_chip_each(page, live_app, browser_sign_in,
                                                         pasted, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    page.wait_for_selector("#to-picker")
    page.evaluate(PASTE_TEXT, ["#to-picker", pasted])
    chips = page.locator("#to-picker").locator("xpath=..").locator(".pp-chip")
    expect(chips).to_have_count(3)
    assert page.locator(".pp-chip-bad").count() == 0
    assert page.input_value("#to-picker") == ""
    assert {MEGAN, ALEX, PATTI} == set(re.findall(r"[\w.]+@[\w.]+", page.input_value("#to")))
    assert console_errors == []
