"""The sign-in journey: password, picker, single sign-on, prompts, consent, forms, sign-out."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from helpers.signin import (SignInError, authorize_url, parse_page, pkce_pair,
                            sign_in_with_requests)

ADELE = "adele@contoso.example"
MEGAN = "megan@contoso.example"
SAM = "sam.taylor@outlook.example"


@pytest.fixture
def url(emu, demo_client, redirect_uri):
    def make(tenant="common", scope="openid profile offline_access User.Read", **extra):
        return authorize_url(emu.pages_url, tenant, demo_client["client_id"], redirect_uri, scope,
                             code_challenge=pkce_pair()[1], state="st4te", **extra)

    return make


def first_page(browser, address):
    response = browser.get(address, allow_redirects=False, timeout=10)
    assert response.status_code == 200, response.status_code
    return response, parse_page(response.text)


def post(browser, response, form, **fields):
    return browser.post(requests.compat.urljoin(response.url, form.action),
                        data={**form.fields, **fields}, allow_redirects=False, timeout=10)


def test_pages_use_microsofts_field_names_labels_and_button_ids(browser, url):
    response, page = first_page(browser, url())
    assert page.kind == "username"
    html = response.text
    assert 'name="loginfmt"' in html and 'id="idSIButton9"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<link" not in html and "src=" not in html  # self-contained: no external assets
    for input_id in re.findall(r'<input type="(?:email|password)"[^>]*id="([^"]+)"', html):
        assert f'<label for="{input_id}">' in html
    response = post(browser, response, page.form_with("loginfmt"), loginfmt=ADELE)
    password = parse_page(response.text)
    assert password.kind == "password" and 'name="passwd"' in response.text
    assert '<label for="i0118">' in response.text and 'id="idSIButton9"' in response.text
    consent = post(browser, response, password.form_with("passwd"), passwd="Demo-Passw0rd!")
    assert 'id="idSIButton9"' in consent.text and 'id="idBtn_Back"' in consent.text


def test_wrong_password_says_so_and_stays_on_the_page(browser, url):
    with pytest.raises(SignInError) as excinfo:
        sign_in_with_requests(url(), ADELE, "wrong", session=browser)
    assert excinfo.value.page == "password"
    assert excinfo.value.message.startswith("Your account or password is incorrect.")


@pytest.mark.parametrize("username, message", [
    ("nobody@contoso.example", "This username may be incorrect."),
    ("sales@contoso.example", "This username may be incorrect."),  # a shared mailbox cannot sign in
    ("", "Enter a valid email address"),
])
def test_unknown_user_is_a_clear_error(browser, url, username, message):
    response, page = first_page(browser, url())
    answer = parse_page(post(browser, response, page.form_with("loginfmt"), loginfmt=username).text)
    assert answer.kind == "username" and answer.error.startswith(message)


def test_unknown_personal_account_on_consumers(browser, url):
    response, page = first_page(browser, url(tenant="consumers"))
    answer = parse_page(post(browser, response, page.form_with("loginfmt"),
                             loginfmt="nobody@outlook.example").text)
    assert answer.error.startswith("That Microsoft account doesn't exist.")


def test_consent_page_lists_permissions_in_plain_words(browser, url):
    response, page = first_page(browser, url(scope="openid profile offline_access User.Read Mail.Send"))
    response = post(browser, response, page.form_with("loginfmt"), loginfmt=ADELE, passwd="Demo-Passw0rd!")
    consent = parse_page(response.text)
    assert consent.kind == "consent"
    for words in ("Send mail as you", "Sign you in and read your profile", "View your basic profile",
                  "Maintain access to data you have given it access to"):
        assert words in consent.text


def test_cancel_on_consent_redirects_access_denied_65004(browser, url, redirect_uri):
    result = sign_in_with_requests(url(), ADELE, session=browser, consent=False)
    assert result.params["error"] == "access_denied"
    assert result.params["error_description"].startswith(
        "AADSTS65004: User declined to consent to access the app.")
    assert result.params["state"] == "st4te"


def test_consent_is_remembered_per_user_and_app(emu, browser, url, demo_client):
    assert "consent" in sign_in_with_requests(url(), ADELE, session=browser).pages
    assert emu.state.consents[(emu.state.directory.user(ADELE).id, demo_client["client_id"])] >= {"User.Read"}
    again = sign_in_with_requests(url(prompt="login"), ADELE, session=requests.Session())
    assert again.pages == ["username", "password"]  # a new browser signs in again, no consent
    more = sign_in_with_requests(url(scope="openid User.Read Mail.Send"), ADELE, session=browser)
    assert more.pages == ["consent"]  # a new permission asks again (SSO, no password)


def test_prompt_consent_forces_the_consent_page(browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    assert sign_in_with_requests(url(prompt="consent"), ADELE, session=browser).pages == ["consent"]


def test_single_sign_on_skips_every_page(browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    result = sign_in_with_requests(url(), session=browser)
    assert result.pages == [] and "code" in result.params


def test_picker_offers_signed_in_accounts_and_another(browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    sign_in_with_requests(url(prompt="login"), MEGAN, session=browser)
    response, page = first_page(browser, url())
    assert page.kind == "picker"
    tiles = [b["test_id"] or b["value"] for b in page.form_with("account").buttons]
    assert tiles == [ADELE, MEGAN, "other"]
    result = sign_in_with_requests(url(), MEGAN, session=browser)
    assert result.pages == ["picker"] and "code" in result.params
    result = sign_in_with_requests(url(), SAM, session=browser)  # "Use another account"
    assert result.pages == ["picker", "username", "password", "consent"]


def test_prompt_select_account_shows_the_picker_for_one_account(browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    assert sign_in_with_requests(url(prompt="select_account"), ADELE, session=browser).pages == ["picker"]


def test_prompt_login_asks_for_the_password_again(browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    result = sign_in_with_requests(url(prompt="login", login_hint=ADELE), ADELE, session=browser)
    assert result.pages == ["password"]


def test_login_hint_goes_straight_to_the_password(browser, url):
    response, page = first_page(browser, url(login_hint=MEGAN))
    assert page.kind == "password" and MEGAN in page.text


def test_login_hint_of_an_account_not_allowed_here_says_why_at_once(browser, url):
    response, page = first_page(browser, url(tenant="organizations", login_hint=SAM))
    assert page.kind == "username" and "personal account" in page.error


def test_pages_are_not_cached_or_framed(browser, url):
    response, _ = first_page(browser, url())
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_login_hint_picks_the_signed_in_account(browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    sign_in_with_requests(url(prompt="login"), MEGAN, session=browser)
    result = sign_in_with_requests(url(login_hint=MEGAN), session=browser)
    assert result.pages == []


def test_prompt_none_without_a_session_is_login_required(browser, url):
    result = sign_in_with_requests(url(prompt="none"), session=browser)
    assert result.params["error"] == "login_required"
    assert result.params["error_description"].startswith("AADSTS50058")


def test_prompt_none_with_a_session_signs_in_silently(browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    result = sign_in_with_requests(url(prompt="none"), session=browser)
    assert result.pages == [] and "code" in result.params


def test_prompt_none_needing_consent_is_consent_required(browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    result = sign_in_with_requests(url(prompt="none", scope="openid Mail.Send"), session=browser)
    assert result.params["error"] == "consent_required"


def test_max_age_forces_a_fresh_password(emu, browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    for session in emu.state.signin_sessions.values():
        for info in session["accounts"].values():
            info["auth_time"] -= 120
    assert sign_in_with_requests(url(max_age="60"), ADELE, session=browser).pages == ["username", "password"]


def test_admin_only_permission_needs_admin_approval(browser, url):
    with pytest.raises(SignInError) as excinfo:
        sign_in_with_requests(url(scope="openid User.Read.All"), ADELE, session=browser)
    assert "AADSTS90094" in excinfo.value.message


def test_forms_need_the_flows_canary(browser, url):
    response, page = first_page(browser, url())
    form = page.form_with("loginfmt")
    forged = post(browser, response, form, canary="forged", loginfmt=ADELE, passwd="Demo-Passw0rd!")
    assert forged.status_code == 400 and parse_page(forged.text).kind == "message"


def test_forms_need_the_browsers_own_cookie(browser, url):
    response, page = first_page(browser, url())
    other_browser = requests.Session()  # same ctx and canary, but not the same browser
    stolen = post(other_browser, response, page.form_with("loginfmt"), loginfmt=ADELE,
                  passwd="Demo-Passw0rd!")
    assert stolen.status_code == 400 and "cookie" in parse_page(stolen.text).error


def test_consent_cannot_be_posted_before_signing_in(browser, url):
    response, page = first_page(browser, url())
    form = page.form_with("loginfmt")
    skipped = browser.post(requests.compat.urljoin(response.url, form.action.replace("login", "consent")),
                           data={**form.fields, "action": "accept"}, allow_redirects=False, timeout=10)
    assert skipped.status_code == 400


def test_a_finished_flow_cannot_be_replayed(browser, url):
    response, page = first_page(browser, url())
    response = post(browser, response, page.form_with("loginfmt"), loginfmt=ADELE,
                    passwd="Demo-Passw0rd!")
    consent_form = parse_page(response.text).form_with("action")
    assert post(browser, response, consent_form, action="accept").status_code == 302
    replay = post(browser, response, consent_form, action="accept")
    assert replay.status_code == 400 and parse_page(replay.text).kind == "message"


def test_session_cookie_is_httponly_and_its_own(browser, url):
    response, _ = first_page(browser, url())
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ESTSAUTH=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_redirects_to_a_registered_uri_and_ends_the_session(emu, browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    target = "http://localhost:8400/signed-out"
    emu.state.add_redirect_uri(target)
    response = browser.get(f"{emu.pages_url}/common/oauth2/v2.0/logout",
                           params={"post_logout_redirect_uri": target, "state": "s1"},
                           allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"] == target + "?state=s1"
    assert "ESTSAUTH=;" in response.headers["Set-Cookie"]
    assert sign_in_with_requests(url(), ADELE, session=browser).pages[0] == "username"


def test_logout_to_an_unregistered_uri_on_a_registered_origin_is_not_followed(emu, browser,
                                                                            redirect_uri):
    """Entra matches the whole URI, not the origin: an app that forgot to register its home
    page learns it here, not in production."""
    origin = redirect_uri.split("/", 3)
    target = "/".join(origin[:3]) + "/not-registered"
    response = browser.get(f"{emu.pages_url}/common/oauth2/v2.0/logout",
                           params={"post_logout_redirect_uri": target},
                           allow_redirects=False, timeout=10)
    assert response.status_code == 200 and parse_page(response.text).kind == "signed_out"


def test_logout_to_an_unknown_origin_shows_the_signed_out_page(emu, browser):
    response = browser.post(f"{emu.pages_url}/common/oauth2/v2.0/logout",
                            data={"post_logout_redirect_uri": "https://evil.example/"},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 200
    page = parse_page(response.text)
    assert page.kind == "signed_out" and "You signed out" in page.text


def test_logout_hint_signs_out_one_account(emu, browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    sign_in_with_requests(url(prompt="login"), MEGAN, session=browser)
    browser.get(f"{emu.pages_url}/common/oauth2/v2.0/logout", params={"logout_hint": MEGAN}, timeout=10)
    assert sign_in_with_requests(url(), session=browser).pages == []  # Adele only: SSO


def test_revoking_a_user_ends_their_sign_in_session(emu, https, browser, url):
    sign_in_with_requests(url(), ADELE, session=browser)
    https.post(f"{emu.api_url}/_emulator/identity/users/{ADELE}/revoke", timeout=10)
    assert sign_in_with_requests(url(), ADELE, session=browser).pages == ["username", "password"]


def test_redirect_keeps_the_redirect_uris_own_query(emu, browser, demo_client):
    emu.state.add_redirect_uri("https://app.example/cb?tenant=a")
    address = authorize_url(emu.pages_url, "organizations", demo_client["client_id"],
                            "https://app.example/cb?tenant=a", code_challenge=pkce_pair()[1])
    result = sign_in_with_requests(address, ADELE, session=browser)
    assert result.redirect_uri == "https://app.example/cb"
    assert result.params["tenant"] == "a" and "code" in result.params
    assert dict(parse_qsl(urlsplit(address).query))["redirect_uri"].endswith("?tenant=a")


def test_consent_page_does_not_repeat_itself(browser, url):
    response, page = first_page(browser, url(scope="openid User.Read"))
    response = post(browser, response, page.form_with("loginfmt"), loginfmt=ADELE, passwd="Demo-Passw0rd!")
    html = response.text
    assert "<li>Sign you in and read your profile</li>" in html and "<li>Sign you in</li>" not in html
