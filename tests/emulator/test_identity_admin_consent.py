"""Admin consent: /{tenant}/v2.0/adminconsent, tenant-wide grants, "Need admin approval",
application permissions, and app roles in the id token."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from emulator.directory import WORK_TENANT_ID
from helpers.signin import SignInError, authorize_url, parse_page, pkce_pair, sign_in_with_requests

ADMIN = "admin@contoso.example"
ALEX = "alex@contoso.example"


def admin_consent_url(emu, demo_client, redirect_uri, scope="https://graph.microsoft.com/.default",
                      tenant="organizations", **extra):
    query = {"client_id": demo_client["client_id"], "redirect_uri": redirect_uri,
             "state": "12345", "scope": scope, **extra}
    return f"{emu.pages_url}/{tenant}/v2.0/adminconsent?{urlencode(query)}"


def sign_in_until_question(browser, url, username):
    """Through the username and password pages to the admin-consent page; its parsed page."""
    response = browser.get(url, allow_redirects=False, timeout=10)
    for _ in range(4):
        page = parse_page(response.text)
        if page.kind in ("adminconsent", "need_admin"):
            return page, response
        form = page.forms[0]
        data = {"username": {"loginfmt": username}, "password": {"passwd": "Demo-Passw0rd!"}}
        response = browser.post(f"{urlsplit(url).scheme}://{urlsplit(url).netloc}{form.action}",
                                data={**form.fields, **data[page.kind]}, allow_redirects=False,
                                timeout=10)
    raise AssertionError(parse_page(response.text).text[:300])


def answer(browser, url, page, action):
    form = page.form_with("action")
    base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    response = browser.post(base + form.action, data={**form.fields, "action": action},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:300]
    location = response.headers["Location"]
    return location, dict(parse_qsl(urlsplit(location).query))


def user_token_scopes(emu, demo_client, redirect_uri, browser, username, scope):
    verifier, challenge = pkce_pair()
    url = authorize_url(emu.pages_url, "organizations", demo_client["client_id"], redirect_uri,
                        scope, code_challenge=challenge)
    return sign_in_with_requests(url, username, session=browser)


def test_admin_grants_for_the_tenant_and_users_are_not_asked(emu, demo_client, redirect_uri,
                                                             browser):
    scope = "https://graph.microsoft.com/User.Read.All"
    url = admin_consent_url(emu, demo_client, redirect_uri, scope=scope)
    page, _ = sign_in_until_question(browser, url, ADMIN)
    assert "Read all users' full profiles" in page.text
    location, params = answer(browser, url, page, "accept")
    assert location.startswith(redirect_uri + "?")
    assert params == {"admin_consent": "True", "tenant": WORK_TENANT_ID, "scope": scope,
                      "state": "12345"}
    # Alex, in another browser, gets User.Read.All without any consent page.
    from requests import Session
    other = Session()
    result = user_token_scopes(emu, demo_client, redirect_uri, other, ALEX,
                               "openid profile User.Read.All")
    assert "code" in result.params and "consent" not in result.pages, result.pages


def test_without_tenant_consent_a_user_still_needs_admin_approval(emu, demo_client,
                                                                  redirect_uri, browser):
    with pytest.raises(SignInError) as excinfo:
        user_token_scopes(emu, demo_client, redirect_uri, browser, ALEX,
                          "openid User.Read.All")
    assert "AADSTS90094" in excinfo.value.message
    assert "needs permission to access resources in your organization" in excinfo.value.message


def test_a_non_admin_at_adminconsent_sees_need_admin_approval_and_can_go_back(
        emu, demo_client, redirect_uri, browser):
    url = admin_consent_url(emu, demo_client, redirect_uri)
    page, response = sign_in_until_question(browser, url, ALEX)
    assert response.status_code == 403 and page.kind == "need_admin"
    assert "AADSTS90094" in page.error
    _, params = answer(browser, url, page, "cancel")
    assert params["error"] == "access_denied" and params["admin_consent"] == "True"
    assert params["error_description"].startswith("AADSTS90094: ")
    assert params["state"] == "12345" and "tenant" not in params


def test_an_admin_who_cancels_gets_the_documented_error(emu, demo_client, redirect_uri, browser):
    url = admin_consent_url(emu, demo_client, redirect_uri)
    page, _ = sign_in_until_question(browser, url, ADMIN)
    _, params = answer(browser, url, page, "cancel")
    assert params["error"] == "consent_required" and params["admin_consent"] == "True"
    assert params["error_description"].startswith("AADSTS65004: The resource owner or "
                                                  "authorization server denied the request.")


def test_unregistered_redirect_uri_is_shown_on_a_page(emu, demo_client, browser):
    url = admin_consent_url(emu, demo_client, "https://evil.example/cb")
    response = browser.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "AADSTS50011" in parse_page(response.text).error


def test_missing_scope_goes_back_as_an_error(emu, demo_client, redirect_uri, browser):
    url = admin_consent_url(emu, demo_client, redirect_uri, scope="")
    response = browser.get(url, allow_redirects=False, timeout=10)
    params = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
    assert params["error"] == "invalid_request" and params["admin_consent"] == "True"


def test_admin_holds_an_app_role_in_the_id_token(emu, demo_client, get_code, redeem):
    from joserfc import jwt

    def id_token_claims(username):
        code, verifier, _ = get_code(username=username, scope="openid User.Read",
                                     prompt="login")
        tokens = redeem(code, verifier).json()
        return jwt.decode(tokens["id_token"], emu.state.signing_key.key).claims

    assert id_token_claims(ADMIN)["roles"] == ["Mailer.Admin"]
    assert "roles" not in id_token_claims(ALEX)
