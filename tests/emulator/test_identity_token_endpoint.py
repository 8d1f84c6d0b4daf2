"""Every refusal of the token endpoint, with Microsoft's exact error shape."""
from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from emulator.directory import CONSUMERS_TENANT_ID, WORK_TENANT_ID


def token_url(emu, tenant="common"):
    return f"{emu.api_url}/{tenant}/oauth2/v2.0/token"


def test_unknown_tenant_is_90002(emu, https, demo_client, assert_aadsts):
    response = https.post(token_url(emu, "no-such-tenant.example"), data={
        "grant_type": "client_credentials", "client_id": demo_client["client_id"]}, timeout=10)
    assert_aadsts(response, 400, "invalid_tenant", 90002)


@pytest.mark.parametrize("data, missing", [
    ({}, "grant_type"),
    ({"grant_type": "authorization_code"}, "client_id"),
])
def test_missing_parameter_is_900144(emu, https, assert_aadsts, data, missing):
    body = assert_aadsts(https.post(token_url(emu), data=data, timeout=10), 400,
                         "invalid_request", 900144)
    assert f"'{missing}'" in body["error_description"]


def test_unsupported_grant_type(emu, https, demo_client, assert_aadsts):
    response = https.post(token_url(emu), data={"grant_type": "password", "client_id": "x"}, timeout=10)
    assert_aadsts(response, 400, "unsupported_grant_type", 70003)


def test_unknown_client_is_700016_unauthorized_client(emu, https, assert_aadsts):
    client_id = "11111111-2222-3333-4444-555555555555"
    body = assert_aadsts(https.post(token_url(emu, WORK_TENANT_ID), data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": "s",
        "scope": "https://graph.microsoft.com/.default"}, timeout=10),
        400, "unauthorized_client", 700016)
    assert f"Application with identifier '{client_id}' was not found in the directory" in \
        body["error_description"]


def test_wrong_secret_is_7000215_with_http_401(emu, https, demo_client, assert_aadsts):
    body = assert_aadsts(https.post(token_url(emu, WORK_TENANT_ID), data={
        "grant_type": "client_credentials", "client_id": demo_client["client_id"],
        "client_secret": "not-the-secret", "scope": "https://graph.microsoft.com/.default"},
        timeout=10), 401, "invalid_client", 7000215)
    assert f"for a secret added to app '{demo_client['client_id']}'" in body["error_description"]


def test_missing_secret_is_7000218_with_http_401(emu, https, demo_client, assert_aadsts):
    body = assert_aadsts(https.post(token_url(emu, WORK_TENANT_ID), data={
        "grant_type": "client_credentials", "client_id": demo_client["client_id"],
        "scope": "https://graph.microsoft.com/.default"}, timeout=10), 401, "invalid_client", 7000218)
    assert "'client_assertion' or 'client_secret'" in body["error_description"]


def basic(client_id, secret):
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_client_secret_basic_is_accepted_and_checked(emu, https, demo_client, assert_aadsts):
    data = {"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"}
    good = https.post(token_url(emu, WORK_TENANT_ID), data=data, timeout=10,
                      headers=basic(demo_client["client_id"], demo_client["client_secret"]))
    assert good.status_code == 200, good.text
    bad = https.post(token_url(emu, WORK_TENANT_ID), data=data, timeout=10,
                     headers=basic(demo_client["client_id"], "wrong"))
    assert_aadsts(bad, 401, "invalid_client", 7000215)


def test_code_redeemed_twice_is_54005(get_code, redeem, assert_aadsts):
    code, verifier, _ = get_code()
    assert redeem(code, verifier).status_code == 200
    assert_aadsts(redeem(code, verifier), 400, "invalid_grant", 54005)


def test_expired_code_is_70008(emu, get_code, redeem, assert_aadsts):
    code, verifier, _ = get_code()
    emu.state.codes[code]["expires_at"] -= 601  # ten minutes and a second later
    assert_aadsts(redeem(code, verifier), 400, "invalid_grant", 70008)


def test_code_lifetime_setting_expires_codes(emu, https, get_code, redeem, assert_aadsts):
    assert https.put(f"{emu.api_url}/_emulator/identity/settings",
                     json={"code_lifetime": 0}, timeout=10).status_code == 200
    code, verifier, _ = get_code()
    assert_aadsts(redeem(code, verifier), 400, "invalid_grant", 70008)


def test_unknown_code_is_invalid_grant(get_code, redeem, assert_aadsts):
    _, verifier, _ = get_code()
    assert_aadsts(redeem("0.Anot-a-code", verifier), 400, "invalid_grant", 70000)


def test_pkce_mismatch_is_501481(get_code, redeem, assert_aadsts):
    code, _, _ = get_code()
    body = assert_aadsts(redeem(code, "x" * 43), 400, "invalid_grant", 501481)
    assert "Code_Verifier does not match the code_challenge" in body["error_description"]


def test_missing_code_verifier_is_501481_when_a_challenge_was_sent(get_code, redeem,
                                                                   assert_aadsts):
    code, _, _ = get_code()
    assert_aadsts(redeem(code, None, code_verifier=None), 400, "invalid_grant", 501481)


def test_pkce_plain_method_is_honoured(emu, demo_client, redirect_uri, browser, redeem):
    from helpers.signin import authorize_url, sign_in_with_requests

    verifier = "plain-verifier-" + "v" * 40
    url = authorize_url(emu.pages_url, "common", demo_client["client_id"], redirect_uri,
                        code_challenge=verifier, code_challenge_method="plain")
    result = sign_in_with_requests(url, "adele@contoso.example", session=browser)
    assert redeem(result.params["code"], verifier).status_code == 200


def test_redirect_uri_differing_from_authorize_is_refused(emu, get_code, redeem, assert_aadsts):
    other = "http://localhost:8400/other/callback"
    emu.state.add_redirect_uri(other)
    code, verifier, _ = get_code()
    body = assert_aadsts(redeem(code, verifier, redirect_uri=other), 400, "invalid_client", 500112)
    assert f"The reply address '{other}' does not match" in body["error_description"]


def test_unregistered_redirect_uri_at_token_is_50011(get_code, redeem, assert_aadsts):
    code, verifier, _ = get_code()
    assert_aadsts(redeem(code, verifier, redirect_uri="https://evil.example/cb"), 400,
                  "invalid_client", 50011)


def test_code_redeemed_at_another_tenant_is_700005(get_code, redeem, assert_aadsts):
    code, verifier, _ = get_code(tenant="organizations")
    assert_aadsts(redeem(code, verifier, tenant="consumers"), 400, "invalid_grant", 700005)


def test_code_of_one_user_works_at_their_own_tenant(get_code, redeem):
    code, verifier, _ = get_code(tenant="common")
    assert redeem(code, verifier, tenant=WORK_TENANT_ID).status_code == 200


def refresh(emu, https, demo_client, token, tenant="common", **extra):
    data = {"grant_type": "refresh_token", "client_id": demo_client["client_id"],
            "client_secret": demo_client["client_secret"], "refresh_token": token, **extra}
    return https.post(token_url(emu, tenant), data=data, timeout=10)


@pytest.fixture
def refresh_token(get_code, redeem):
    code, verifier, _ = get_code()
    return redeem(code, verifier).json()["refresh_token"]


def test_refresh_token_inactive_too_long_is_700082(emu, https, demo_client, refresh_token, assert_aadsts):
    https.put(f"{emu.api_url}/_emulator/identity/settings",
              json={"refresh_token_max_inactivity": 0}, timeout=10)
    body = assert_aadsts(refresh(emu, https, demo_client, refresh_token), 400, "invalid_grant", 700082)
    assert "The refresh token has expired due to inactivity." in body["error_description"]
    assert body["suberror"] == "bad_token"


def test_revoked_refresh_token_is_50173(emu, https, demo_client, refresh_token, assert_aadsts):
    revoked = https.post(f"{emu.api_url}/_emulator/identity/users/adele@contoso.example/revoke",
                         timeout=10)
    assert revoked.json()["revoked_refresh_tokens"] == 1
    body = assert_aadsts(refresh(emu, https, demo_client, refresh_token), 400, "invalid_grant", 50173)
    assert "revoked" in body["error_description"]


def test_unknown_refresh_token_is_invalid_grant(emu, https, demo_client, assert_aadsts):
    assert_aadsts(refresh(emu, https, demo_client, "0.Agarbage"), 400, "invalid_grant", 70000)


def test_refresh_for_unconsented_scope_is_65001_consent_required(emu, https, demo_client,
                                                                 refresh_token, assert_aadsts):
    body = assert_aadsts(refresh(emu, https, demo_client, refresh_token, scope="Mail.Send openid"),
                         400, "invalid_grant", 65001)
    assert body["suberror"] == "consent_required"
    assert demo_client["client_id"] in body["error_description"]


def test_refresh_with_invalid_scope_is_70011(emu, https, demo_client, refresh_token, assert_aadsts):
    assert_aadsts(refresh(emu, https, demo_client, refresh_token, scope="Mail.Sned"), 400,
                  "invalid_scope", 70011)


def test_client_credentials_needs_a_tenant(emu, https, demo_client, assert_aadsts):
    data = {"grant_type": "client_credentials", "client_id": demo_client["client_id"],
            "client_secret": demo_client["client_secret"],
            "scope": "https://graph.microsoft.com/.default"}
    assert_aadsts(https.post(token_url(emu, "common"), data=data, timeout=10), 400,
                  "invalid_request", 50059)
    assert_aadsts(https.post(token_url(emu, CONSUMERS_TENANT_ID), data=data, timeout=10), 400,
                  "unauthorized_client", 700016)


@pytest.mark.parametrize("scope, error, code", [
    ("https://graph.microsoft.com/Mail.Send", "invalid_scope", 1002012),
    ("Mail.Send", "invalid_scope", 1002012),
    ("https://graph.microsoft.com/Nope.Nope", "invalid_scope", 70011),
    ("https://unknown.example/.default", "invalid_resource", 500011),
    ("", "invalid_request", 900144),
])
def test_client_credentials_scope_must_be_graph_default(emu, https, demo_client, assert_aadsts,
                                                        scope, error, code):
    data = {"grant_type": "client_credentials", "client_id": demo_client["client_id"],
            "client_secret": demo_client["client_secret"], "scope": scope}
    assert_aadsts(https.post(token_url(emu, WORK_TENANT_ID), data=data, timeout=10), 400, error, code)


def test_error_responses_are_not_cached(emu, https, assert_aadsts):
    response = https.post(token_url(emu), data={}, timeout=10)
    assert "no-store" in response.headers["Cache-Control"]


def test_get_on_the_token_endpoint_is_900561(emu, https, assert_aadsts):
    assert_aadsts(https.get(token_url(emu), timeout=10), 400, "invalid_request", 900561)


@pytest.mark.parametrize("headers", [{"Authorization": "Basic !!!"},
                                     {"Authorization": "Basic " + base64.b64encode(b"nocolon").decode()}])
def test_malformed_basic_auth_is_invalid_client(emu, https, assert_aadsts, headers):
    response = https.post(token_url(emu, WORK_TENANT_ID), headers=headers, timeout=10,
                          data={"grant_type": "client_credentials"})
    assert_aadsts(response, 401, "invalid_client", 7000215)
