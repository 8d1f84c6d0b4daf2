"""The authorize endpoint: what is shown on a page, what goes back to the app, and how."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from emulator.directory import WORK_TENANT_ID
from helpers.signin import authorize_url, parse_page, pkce_pair, sign_in_with_requests

ADELE = "adele@contoso.example"
SAM = "sam.taylor@outlook.example"


@pytest.fixture
def url(emu, demo_client, redirect_uri):
    """Factory: an authorize URL with PKCE; keyword arguments override or add parameters."""

    def make(tenant="common", scope="openid profile offline_access User.Read", **extra):
        extra.setdefault("code_challenge", pkce_pair()[1])
        extra.setdefault("code_challenge_method", "S256")
        extra.setdefault("state", "st4te")
        extra.setdefault("redirect_uri", redirect_uri)
        extra.setdefault("client_id", demo_client["client_id"])
        redirect, client = extra.pop("redirect_uri"), extra.pop("client_id")
        return authorize_url(emu.pages_url, tenant, client, redirect, scope, **extra)

    return make


def error_page(browser, address):
    response = browser.get(address, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers
    page = parse_page(response.text)
    assert page.kind == "message"
    return page


def redirected_error(browser, address, redirect_uri, error, code):
    response = browser.get(address, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(redirect_uri + "?")
    params = dict(parse_qsl(urlsplit(location).query))
    assert set(params) == {"error", "error_description", "error_uri", "state"}
    assert params["error"] == error and params["state"] == "st4te"
    description = params["error_description"]
    assert description.startswith(f"AADSTS{code}: ")
    assert "\r\nTrace ID: " in description and "\r\nCorrelation ID: " in description
    assert params["error_uri"] == f"https://login.microsoftonline.com/error?code={code}"
    return params


def test_unknown_client_is_an_error_page_700016(browser, url):
    page = error_page(browser, url(client_id="11111111-2222-3333-4444-555555555555"))
    assert "AADSTS700016" in page.error


def test_unknown_tenant_is_an_error_page_90002(browser, url):
    assert "AADSTS90002" in error_page(browser, url(tenant="nowhere.example")).error


@pytest.mark.parametrize("redirect", [
    "http://localhost:8400/auth/other",  # not registered
    "http://localhost:8400/auth/callback/",  # not exactly registered
    "https://evil.example/auth/callback",
])
def test_unregistered_redirect_uri_is_a_page_never_a_redirect(browser, url, redirect):
    page = error_page(browser, url(redirect_uri=redirect))
    assert page.error.startswith(f"AADSTS50011: The redirect URI '{redirect}' specified in the request")


def test_http_redirect_uri_allowed_only_for_loopback(emu, browser, url):
    emu.state.add_redirect_uri("http://app.example/callback")
    page = error_page(browser, url(redirect_uri="http://app.example/callback"))
    assert "AADSTS50011" in page.error and "localhost" in page.error


def test_loopback_port_is_ignored_when_matching(browser, url):
    response = browser.get(url(redirect_uri="http://localhost:9999/auth/callback"),
                           allow_redirects=False, timeout=10)
    assert response.status_code == 200 and parse_page(response.text).kind == "username"


@pytest.mark.parametrize("response_type, code", [("token", 700051), ("id_token", 700054),
                                                 ("code id_token", 700054)])
def test_other_response_types_redirect_unsupported_response_type(browser, url, redirect_uri,
                                                                 response_type, code):
    redirected_error(browser, url(response_type=response_type), redirect_uri,
                     "unsupported_response_type", code)


@pytest.mark.parametrize("scope, error, code", [
    ("openid Mail.Sned", "invalid_scope", 70011),
    ("https://graph.microsoft.com/.default User.Read", "invalid_scope", 70011),
    ("https://unknown.example/Thing.Read", "invalid_resource", 500011),
    ("", "invalid_request", 900144),
])
def test_bad_scope_redirects_with_error(browser, url, redirect_uri, scope, error, code):
    redirected_error(browser, url(scope=scope), redirect_uri, error, code)


def test_a_public_client_must_send_pkce(browser, url):
    from emulator.directory import DEMO_CLI_CLIENT_ID

    params = redirected_error(browser, url(code_challenge=None, code_challenge_method=None,
                                           client_id=DEMO_CLI_CLIENT_ID,
                                           redirect_uri="http://localhost"),
                              "http://localhost/", "invalid_request", 9002325)
    assert "Proof Key for Code Exchange is required" in params["error_description"]


@pytest.mark.parametrize("extra, code", [
    ({"code_challenge_method": "S512"}, 90100),
    ({"code_challenge": "short"}, 501491),
    ({"prompt": "sometimes"}, 90023),
    ({"response_mode": "carrier_pigeon"}, 70007),
])
def test_other_bad_parameters_redirect_invalid_request(browser, url, redirect_uri, extra, code):
    redirected_error(browser, url(**extra), redirect_uri, "invalid_request", code)


def test_success_redirect_carries_code_state_client_info_session_state(browser, url, redirect_uri):
    result = sign_in_with_requests(url(client_info="1"), ADELE, session=browser)
    assert result.redirect_uri == redirect_uri and result.response_mode == "query"
    assert set(result.params) == {"code", "state", "client_info", "session_state"}
    assert result.params["state"] == "st4te"
    assert result.pages == ["username", "password", "consent"]


def test_client_info_only_when_asked(browser, url):
    assert "client_info" not in sign_in_with_requests(url(), ADELE, session=browser).params


def test_fragment_response_mode(browser, url, redirect_uri):
    result = sign_in_with_requests(url(response_mode="fragment"), ADELE, session=browser)
    assert result.response_mode == "fragment" and "code" in result.params


def test_form_post_response_mode_posts_back_to_the_app(browser, url, redirect_uri):
    result = sign_in_with_requests(url(response_mode="form_post"), ADELE, session=browser)
    assert result.response_mode == "form_post"
    assert result.redirect_uri == redirect_uri
    assert set(result.params) == {"code", "state", "session_state"}


def test_redirect_uri_without_path_comes_back_with_a_slash(emu, browser, url):
    emu.state.add_redirect_uri("http://127.0.0.1:8401")
    result = sign_in_with_requests(url(redirect_uri="http://127.0.0.1:8401"), ADELE, session=browser)
    assert result.redirect_uri == "http://127.0.0.1:8401/"


def test_organizations_refuses_personal_accounts(browser, url):
    with pytest.raises(AssertionError) as excinfo:
        sign_in_with_requests(url(tenant="organizations"), SAM, session=browser)
    assert "can't sign in here with a personal account" in excinfo.value.message


def test_consumers_refuses_work_accounts(browser, url):
    with pytest.raises(AssertionError) as excinfo:
        sign_in_with_requests(url(tenant="consumers"), ADELE, session=browser)
    assert "work or school account" in excinfo.value.message


def test_tenant_endpoint_refuses_accounts_of_other_tenants(browser, url):
    with pytest.raises(AssertionError) as excinfo:
        sign_in_with_requests(url(tenant=WORK_TENANT_ID), SAM, session=browser)
    assert excinfo.value.message.startswith("You can't sign in here with a personal account")


def test_single_tenant_app_cannot_use_common(emu, browser, url):
    emu.state.directory.apps[next(iter(emu.state.directory.apps))].sign_in_audience = "AzureADMyOrg"
    assert "AADSTS50194" in error_page(browser, url(tenant="common")).error
    assert "AADSTS9002332" in error_page(browser, url(tenant="consumers")).error
    result = sign_in_with_requests(url(tenant="contoso.example"), ADELE, session=browser)
    assert "code" in result.params


def test_personal_only_app_cannot_use_organizations(emu, browser, url):
    emu.state.directory.apps[next(iter(emu.state.directory.apps))].sign_in_audience = \
        "PersonalMicrosoftAccount"
    assert "AADSTS9002331" in error_page(browser, url(tenant="organizations")).error
    with pytest.raises(AssertionError):
        sign_in_with_requests(url(tenant="common"), ADELE, session=browser)


@pytest.mark.parametrize("redirect", ["http://[::1", "http://[zz]/cb", "javascript:alert(1)", "cb"])
def test_malformed_redirect_uri_is_a_clear_page_not_a_crash(browser, url, redirect):
    page = error_page(browser, url(redirect_uri=redirect))
    assert "AADSTS50011" in page.error


@pytest.mark.parametrize("target", ["http://[::1", "javascript:alert(1)", "//evil.example/x"])
def test_malformed_logout_target_shows_the_signed_out_page(emu, browser, target):
    response = browser.get(f"{emu.pages_url}/common/oauth2/v2.0/logout",
                           params={"post_logout_redirect_uri": target}, allow_redirects=False,
                           timeout=10)
    assert response.status_code == 200 and parse_page(response.text).kind == "signed_out"


def test_authorize_accepts_post(emu, browser, demo_client, redirect_uri):
    response = browser.post(f"{emu.pages_url}/common/oauth2/v2.0/authorize", data={
        "client_id": demo_client["client_id"], "response_type": "code",
        "redirect_uri": redirect_uri, "scope": "openid User.Read",
        "code_challenge": pkce_pair()[1], "code_challenge_method": "S256"},
        allow_redirects=False, timeout=10)
    assert response.status_code == 200 and parse_page(response.text).kind == "username"
