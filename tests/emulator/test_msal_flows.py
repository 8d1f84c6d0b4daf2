"""Real MSAL 1.39 against the emulator: the flows an app uses, end to end over TLS.

Each test builds fresh ConfidentialClientApplication objects: MSAL caches 400 responses for 60 s
per app instance, and discovery for 24 h.
"""
from __future__ import annotations

import warnings

import msal
import pytest

from emulator.directory import CONSUMERS_TENANT_ID, WORK_DOMAIN, WORK_TENANT_ID
from helpers.signin import sign_in_with_requests

ADELE = "adele@contoso.example"
SAM = "sam.taylor@outlook.example"
SCOPES = ["User.Read", "Mail.Send"]


def refresh_tokens(app) -> list[str]:
    return [rt["secret"] for rt in app.token_cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)]


def sign_in(app, redirect_uri, username, browser, scopes=SCOPES, **flow_kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MSAL recommends form_post; query is fine here
        flow = app.initiate_auth_code_flow(scopes, redirect_uri=redirect_uri, **flow_kwargs)
    result = sign_in_with_requests(flow["auth_uri"], username, session=browser)
    return app.acquire_token_by_auth_code_flow(flow, result.params)


def test_auth_code_flow_then_cached_then_refreshed_with_rotation(emu, https, msal_app, redirect_uri, browser):
    app = msal_app("common")
    result = sign_in(app, redirect_uri, ADELE, browser)
    assert "access_token" in result, result
    user = emu.state.directory.user(ADELE)
    assert result["id_token_claims"]["oid"] == user.id
    (account,) = app.get_accounts()
    assert account["home_account_id"] == f"{user.id}.{WORK_TENANT_ID}"
    assert account["username"] == ADELE

    cached = app.acquire_token_silent(["User.Read"], account=account)
    assert cached["token_source"] == "cache"
    assert cached["access_token"] == result["access_token"]

    first_rt = refresh_tokens(app)
    https.put(f"{emu.api_url}/_emulator/identity/settings", json={"access_token_lifetime": 1}, timeout=10)
    app.acquire_token_silent(SCOPES, account=account, force_refresh=True)  # AT now has 1 s
    refreshed = app.acquire_token_silent(SCOPES, account=account)  # < 300 s left: refresh again
    assert refreshed["token_source"] == "identity_provider"
    assert refreshed["access_token"] != result["access_token"]
    assert refresh_tokens(app) != first_rt and len(refresh_tokens(app)) == 1  # rotated in the cache
    claims = emu.state.tokens.validate_access_token(refreshed["access_token"])
    assert set(claims["scp"].split()) >= set(SCOPES)


def test_form_post_response_mode(msal_app, redirect_uri, browser):
    app = msal_app("common")
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=redirect_uri, response_mode="form_post")
    result = sign_in_with_requests(flow["auth_uri"], ADELE, session=browser)
    assert result.response_mode == "form_post"
    assert "access_token" in app.acquire_token_by_auth_code_flow(flow, result.params)


def test_max_age_yields_auth_time_that_msal_checks(msal_app, redirect_uri, browser):
    result = sign_in(msal_app("common"), redirect_uri, ADELE, browser, max_age=600)
    assert "access_token" in result and result["id_token_claims"]["auth_time"] > 0


@pytest.mark.parametrize("tenant", ["consumers", "common", CONSUMERS_TENANT_ID])
def test_personal_account(emu, msal_app, redirect_uri, browser, tenant):
    app = msal_app(tenant)
    result = sign_in(app, redirect_uri, SAM, browser)
    assert "access_token" in result, result
    assert result["access_token"].count(".") != 2  # opaque
    assert result["id_token_claims"]["tid"] == CONSUMERS_TENANT_ID
    (account,) = app.get_accounts()
    assert account["home_account_id"].endswith("." + CONSUMERS_TENANT_ID)
    assert app.acquire_token_silent(["User.Read"], account=account)["token_source"] == "cache"
    forced = app.acquire_token_silent(["User.Read"], account=account, force_refresh=True)
    assert forced["token_source"] == "identity_provider"


def test_work_account_through_the_tenant_domain(msal_app, redirect_uri, browser):
    app = msal_app(WORK_DOMAIN)
    assert "access_token" in sign_in(app, redirect_uri, ADELE, browser)
    assert app.get_accounts()[0]["realm"] == WORK_TENANT_ID


def test_client_credentials_against_the_tenant(emu, msal_app):
    app = msal_app(WORK_TENANT_ID)
    result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    assert emu.state.tokens.validate_access_token(result["access_token"])["roles"] == [
        "Mail.Send", "Mail.Read", "Mail.ReadWrite", "User.Read.All"]
    again = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert again["token_source"] == "cache"


def test_wrong_secret_surfaces_as_invalid_client(msal_app):
    result = msal_app(WORK_TENANT_ID, secret="wrong").acquire_token_for_client(
        ["https://graph.microsoft.com/.default"])
    assert result["error"] == "invalid_client" and 7000215 in result["error_codes"]


def test_revoked_user_needs_to_sign_in_again(emu, https, msal_app, redirect_uri, browser):
    app = msal_app("common")
    sign_in(app, redirect_uri, ADELE, browser)
    (account,) = app.get_accounts()
    https.post(f"{emu.api_url}/_emulator/identity/users/{ADELE}/revoke", timeout=10)
    result = app.acquire_token_silent_with_error(SCOPES, account=account, force_refresh=True)
    assert result["error"] == "invalid_grant" and 50173 in result["error_codes"]


def test_a_silent_refresh_brings_the_app_roles_as_assigned_now(emu, https, demo_client,
                                                                msal_app, redirect_uri, browser):
    admin = "admin@contoso.example"
    app = msal_app("common")
    assert sign_in(app, redirect_uri, admin, browser)["id_token_claims"]["roles"] == [
        "Mailer.Admin"]
    (account,) = app.get_accounts()
    base = f"{emu.api_url}/_emulator/identity/app-role-assignments/{demo_client['client_id']}"
    removed = https.delete(f"{base}/{admin}/Mailer.Admin", timeout=10)
    assert removed.status_code == 200 and removed.json()["roles"] == []
    assert https.get(f"{emu.api_url}/_emulator/identity/app-role-assignments",
                     timeout=10).json()["assignments"] == [  # the demo's other one stays
        {"client_id": demo_client["client_id"], "user": "megan@contoso.example",
         "roles": ["Mailer.Sender"]}]
    refreshed = app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
    assert "roles" not in refreshed["id_token_claims"]
    assert https.put(f"{base}/{ADELE}/Mailer.Admin", timeout=10).json()["roles"] == [
        "Mailer.Admin"]
    assert https.put(f"{base}/nobody@contoso.example/Mailer.Admin", timeout=10).status_code == 404
    adele = msal_app("common")
    assert sign_in(adele, redirect_uri, ADELE, browser, prompt="login")["id_token_claims"][
        "roles"] == ["Mailer.Admin"]


def test_declined_consent_reaches_msal_as_access_denied(msal_app, redirect_uri, browser):
    app = msal_app("common")
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=redirect_uri, response_mode="form_post")
    params = sign_in_with_requests(flow["auth_uri"], ADELE, session=browser, consent=False).params
    result = app.acquire_token_by_auth_code_flow(flow, params)
    assert result["error"] == "access_denied"
    assert result["error_description"].startswith("AADSTS65004")


def test_unknown_tenant_fails_msal_discovery(emu, msal_app):
    with pytest.raises(ValueError, match="Unable to get authority configuration") as excinfo:
        msal_app("nowhere.example")
    cause = excinfo.value.__cause__ or excinfo.value.__context__
    assert "AADSTS90002" in str(cause) and "HTTP status: 400" in str(cause)
