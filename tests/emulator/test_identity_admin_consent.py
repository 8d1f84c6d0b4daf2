"""Admin consent: /{tenant}/v2.0/adminconsent, tenant-wide grants, "Need admin approval",
application permissions granted per tenant (the client-credentials token's roles), and app
roles in the id token."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from emulator.directory import WORK_TENANT_ID
from joserfc import jwt
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
    def id_token_claims(username):
        code, verifier, _ = get_code(username=username, scope="openid User.Read",
                                     prompt="login")
        tokens = redeem(code, verifier).json()
        return jwt.decode(tokens["id_token"], emu.state.signing_key.key).claims

    assert id_token_claims(ADMIN)["roles"] == ["Mailer.Admin"]
    assert "roles" not in id_token_claims(ALEX)


# --- Application permissions: granted per tenant, only by an admin's consent to /.default ------

def app_only_claims(emu, msal_app, tenant=WORK_TENANT_ID) -> dict:
    """The claims of a client-credentials token fetched now by real MSAL (a fresh app: no cache)."""
    result = msal_app(tenant).acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    return jwt.decode(result["access_token"], emu.state.signing_key.key).claims


def send_as_adele(emu, https, token: str):
    return https.post(f"{emu.api_url}/v1.0/users/adele@contoso.example/sendMail", timeout=10,
                      headers={"Authorization": f"Bearer {token}"},
                      json={"message": {"subject": "hi", "toRecipients": [
                          {"emailAddress": {"address": "alex@contoso.example"}}]}})


@pytest.fixture
def not_consented(emu, https, demo_client):
    """The demo tenant with its admin consent for the demo app's application permissions undone,
    through the emulator's admin API."""
    url = f"{emu.api_url}/_emulator/identity/app-permissions/contoso.example/" \
          f"{demo_client['client_id']}"
    response = https.delete(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"tenant": WORK_TENANT_ID, "client_id": demo_client["client_id"],
                               "revoked": ["Mail.Send", "Mail.Read", "Mail.ReadWrite",
                                           "User.Read.All"]}
    listed = https.get(f"{emu.api_url}/_emulator/identity/app-permissions", timeout=10).json()
    assert listed == {"grants": []}


def test_the_demo_tenant_starts_consented_and_reset_restores_it(emu, https, msal_app,
                                                                demo_client, not_consented):
    assert "roles" not in app_only_claims(emu, msal_app)
    assert https.post(f"{emu.api_url}/_emulator/reset", timeout=10).status_code == 204
    assert app_only_claims(emu, msal_app)["roles"] == ["Mail.Send", "Mail.Read",
                                                      "Mail.ReadWrite", "User.Read.All"]


def test_without_consent_the_token_has_no_roles_and_graph_refuses(emu, https, msal_app,
                                                                  not_consented):
    result = msal_app(WORK_TENANT_ID).acquire_token_for_client(
        ["https://graph.microsoft.com/.default"])
    claims = jwt.decode(result["access_token"], emu.state.signing_key.key).claims
    assert "roles" not in claims and claims["idtyp"] == "app" and "scp" not in claims
    refused = send_as_adele(emu, https, result["access_token"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "ErrorAccessDenied"


def test_admin_consent_to_default_grants_the_application_permissions(
        emu, https, msal_app, demo_client, redirect_uri, browser, not_consented):
    url = admin_consent_url(emu, demo_client, redirect_uri, tenant="contoso.example")
    page, _ = sign_in_until_question(browser, url, ADMIN)
    assert "Send mail as any user" in page.text  # the application permission is shown
    _, params = answer(browser, url, page, "accept")
    assert params["admin_consent"] == "True" and params["tenant"] == WORK_TENANT_ID
    result = msal_app(WORK_TENANT_ID).acquire_token_for_client(
        ["https://graph.microsoft.com/.default"])
    claims = jwt.decode(result["access_token"], emu.state.signing_key.key).claims
    assert claims["roles"] == ["Mail.Send", "Mail.Read", "Mail.ReadWrite", "User.Read.All"]
    assert send_as_adele(emu, https, result["access_token"]).status_code == 202


@pytest.mark.parametrize("who, action, scope", [
    (ALEX, "accept", "https://graph.microsoft.com/.default"),  # forged: the page offers no accept
    (ALEX, "cancel", "https://graph.microsoft.com/.default"),
    (ADMIN, "cancel", "https://graph.microsoft.com/.default"),
    (ADMIN, "accept", "https://graph.microsoft.com/Mail.Send"),  # a delegated permission only
])
def test_no_application_permission_without_an_admins_consent_to_default(
        emu, msal_app, demo_client, redirect_uri, browser, not_consented, who, action, scope):
    url = admin_consent_url(emu, demo_client, redirect_uri, scope=scope)
    page, _ = sign_in_until_question(browser, url, who)
    _, params = answer(browser, url, page, action)
    if who == ALEX:
        assert params["error"] == "access_denied" and "AADSTS90094" in params["error_description"]
    assert "roles" not in app_only_claims(emu, msal_app)


@pytest.mark.parametrize("path, words", [
    ("nowhere.example/6a1f9c3e-2b7d-4e8a-9f05-3c4d2e1b0a97", "tenant: no tenant 'nowhere.example'"),
    ("contoso.example/not-an-app", "client_id: no app registration 'not-an-app'"),
])
def test_revoking_names_the_unknown_field(emu, https, path, words):
    response = https.delete(f"{emu.api_url}/_emulator/identity/app-permissions/{path}",
                            timeout=10)
    assert response.status_code == 404 and words in response.json()["error"]
