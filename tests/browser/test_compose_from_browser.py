"""The compose page's From checks and size words in real Chromium: said as you type or pick,
before anything is sent or uploaded."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app_fixtures import SAM
from browser.test_compose_browser import scripts_ready

pytestmark = pytest.mark.browser

PATTI, ALEX = "patti@contoso.example", "alex@contoso.example"
SALES, MB = "sales@contoso.example", 1024 * 1024


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MAX_FILE_SIZE": MB}  # a file one byte over is cheap to pick


def test_a_personal_account_is_told_as_it_types_and_sizes_read_exactly(
        page, live_app, browser_sign_in, console_errors):
    browser_sign_in(page, SAM)
    page.goto(live_app.url + "/compose")
    scripts_ready(page)
    warning = page.locator("#from-warning")
    expect(warning).to_be_hidden()
    page.fill("#from_address", "Adele <adele@contoso.example>")
    expect(warning).to_be_visible()
    expect(page.locator("#from-personal")).to_contain_text("personal Microsoft account")
    page.fill("#from_address", SAM.upper())  # their own address is fine
    expect(warning).to_be_hidden()
    page.set_input_files("input[type=file]", files=[
        {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"x" * (MB + 1)}])
    expect(page.locator(".file-item.is-error .file-message")).to_have_text(
        "'big.bin' is 1,048,577 bytes; a single attachment can be at most 1,048,576 bytes.")
    assert console_errors == []


def test_a_from_refused_before_asks_for_a_tick_and_one_that_worked_is_suggested(
        page, live_app, browser_sign_in, emu, console_errors):
    history = live_app.app.extensions["mailer.mail"].from_history
    oid = emu.state.directory.user(PATTI).id
    history.record(oid, ALEX, worked=False)  # as a refused send would have left it
    history.record(oid, SALES, worked=True)
    browser_sign_in(page, PATTI)
    page.goto(live_app.url + "/compose")
    assert page.locator("#from-history option").evaluate_all(
        "options => options.map(o => [o.value, o.label])") == [
            [PATTI, "you"], [SALES, "sent from before"]]
    expect(page.locator("#from-warning")).to_be_hidden()
    scripts_ready(page)
    page.fill("#from_address", f"Alex <{ALEX}>")
    expect(page.locator("#from-refused")).to_be_visible()
    expect(page.locator("#from-refused-words")).to_contain_text(
        f"refused to send from {ALEX} last time")
    tick = page.locator("#from-confirmed")
    expect(tick).to_be_enabled()
    expect(tick).not_to_be_checked()
    tick.check()
    page.fill("#from_address", SALES)  # worked before: nothing to confirm
    expect(page.locator("#from-warning")).to_be_hidden()
    expect(tick).to_be_disabled()  # so it is not posted for another address
    assert console_errors == []
