"""Real Chromium (Debian's, through Playwright) against the live app and the emulator's pages."""
from __future__ import annotations

import time

import pytest

from app_fixtures import ADELE, SAM

pytestmark = pytest.mark.browser


def decoded_width(page, selector: str) -> int:
    """The natural width of an <img> once the browser has loaded it (0: not decodable)."""
    page.wait_for_function(f"document.querySelector('{selector}').complete")
    return page.eval_on_selector(selector, "img => img.naturalWidth")


def sign_out(page, live_app):
    page.click("#sign-out")
    page.wait_for_url(f"{live_app.url}/")
    page.wait_for_selector("#sign-in")


def test_work_account_profile_tokens_and_sign_out(page, live_app, browser_sign_in,
                                                  console_errors):
    browser_sign_in(page, ADELE)
    assert page.inner_text("#nav-user") == "Adele Vance"
    assert "Signed in as Adele Vance" in page.inner_text("main")

    page.click("text=Profile")
    page.wait_for_selector("#profile-fields")
    assert page.inner_text("[data-field=jobTitle]") == "Retail Manager"
    assert page.inner_text("[data-field=mail]") == ADELE
    assert decoded_width(page, "#profile-photo") == 240  # Graph's JPEG, decoded by Chromium
    assert decoded_width(page, "#nav-photo") == 240

    page.click("a.nav-link:has-text('Tokens')")
    page.wait_for_selector("#access-token")
    raw = page.locator("#raw-access-token")
    assert raw.is_hidden() and page.locator("#masked-access-token").is_visible()
    first = page.inner_text("#at-countdown")
    time.sleep(1.2)
    assert page.inner_text("#at-countdown") != first  # a live countdown
    page.click("#reveal-token")
    assert raw.is_visible() and page.locator("#masked-access-token").is_hidden()
    assert raw.inner_text().startswith("eyJ")
    assert page.get_attribute("#reveal-token", "aria-pressed") == "true"
    assert "User.Read" in page.locator("#access-claims [data-claim=scp]").inner_text().split()

    sign_out(page, live_app)
    page.goto(live_app.url + "/profile")
    page.wait_for_selector("[name=loginfmt], [name=account]")  # sent to sign in again
    assert console_errors == []


def test_copy_puts_the_access_token_on_the_clipboard(page, live_app, browser_sign_in):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_app.url)
    browser_sign_in(page, ADELE)
    page.goto(live_app.url + "/token")
    page.click("#copy-token")
    page.wait_for_selector("#copy-token:has-text('Copied')")
    token = page.locator("#raw-access-token").text_content().strip()
    assert page.evaluate("navigator.clipboard.readText()") == token


def test_personal_account_with_an_opaque_token(page, live_app, browser_sign_in, console_errors):
    browser_sign_in(page, SAM)
    assert page.inner_text("#nav-user") == "Sam Taylor"
    assert "Personal Microsoft account" in page.inner_text("main")
    assert decoded_width(page, "#nav-photo") == 96  # a personal account's photo, same API
    page.goto(live_app.url + "/token")
    assert "opaque" in page.inner_text("#opaque-note")
    assert page.locator("#id-claims [data-claim=tid]").inner_text() == (
        "9188040d-6c67-4c5b-b112-36a304b66dad")
    sign_out(page, live_app)
    assert console_errors == []


def test_a_user_without_a_photo_sees_initials(page, live_app, browser_sign_in, console_errors):
    browser_sign_in(page, "alex@contoso.example")
    assert decoded_width(page, "#dashboard-photo") == 96  # the initials SVG, drawn
    box = page.locator("#nav-photo").bounding_box()
    assert round(box["width"]) == round(box["height"]) == 32
    assert console_errors == []


def test_an_expiring_access_token_is_refreshed_on_the_next_page(page, live_app, browser_sign_in,
                                                                emu):
    emu.state.tokens.access_token_lifetime = 1
    browser_sign_in(page, ADELE)
    emu.state.tokens.access_token_lifetime = 3600
    refresh_tokens = len(emu.state.refresh_tokens)
    page.goto(live_app.url + "/profile")
    assert page.url == live_app.url + "/profile"  # no detour through sign-in
    assert page.inner_text("#profile-name") == "Adele Vance"
    refreshes = len(emu.state.refresh_tokens) - refresh_tokens
    assert refreshes == 1


def test_sign_in_from_a_deep_link_comes_back_to_it(page, live_app, browser_sign_in):
    browser_sign_in(page, ADELE, start="/token")
    page.wait_for_selector("#access-token")
    assert page.url == live_app.url + "/token"


def test_cancelling_consent_explains_and_try_again_works(page, live_app, browser_sign_in):
    browser_sign_in(page, ADELE, consent=False)
    assert "declined" in page.inner_text("#auth-error").lower()
    page.click("#try-again")
    page.wait_for_selector("main[data-page]")  # back on the sign-in pages


def test_usable_at_phone_width(chromium, live_app, browser_sign_in):
    context = chromium.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                   has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        browser_sign_in(page, ADELE)
        for path in ("/", "/profile", "/token"):
            page.goto(live_app.url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} scrolls sideways ({width}px)"
        assert page.locator("#sign-out").is_hidden()  # folded into the menu
        page.click(".navbar-toggler")
        # Wait until the menu has finished opening: during Bootstrap's height transition
        # (.collapsing) Sign out is already "visible" and the layout still moves, so under load
        # the press and the release landed on different elements, no click reached the button
        # and nothing was submitted (the page stayed on /token).
        page.wait_for_selector("#main-nav.show:not(.collapsing)")
        page.click("#sign-out")
        page.wait_for_url(f"{live_app.url}/")  # the whole sign-out redirect chain is over
        page.wait_for_selector("#sign-in")
    finally:
        context.close()
