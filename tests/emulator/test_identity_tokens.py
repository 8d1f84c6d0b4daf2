"""What the token endpoint issues: response shapes, and tokens verified against the JWKS.

MSAL checks none of this (no signature, aud, iss or exp check), so these tests are the only
thing standing between a wrong claim and production.
"""
from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from emulator.directory import CONSUMERS_TENANT_ID, WORK_TENANT_ID

ADELE = "adele@contoso.example"
SAM = "sam.taylor@outlook.example"


def verify(emu, https, token: str, tenant: str = "common"):
    """Decode ``token`` with the published keys only (nothing from the emulator's memory)."""
    keys = KeySet.import_key_set(
        https.get(f"{emu.api_url}/{tenant}/discovery/v2.0/keys", timeout=10).json())
    return jwt.decode(token, keys, algorithms=["RS256"])


def unpadded_json(value: str) -> dict:
    assert "=" not in value
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def test_auth_code_response_shape(get_code, redeem, demo_client):
    code, verifier, params = get_code(scope="openid profile offline_access User.Read Mail.Send")
    response = redeem(code, verifier)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    body = response.json()
    assert set(body) == {"token_type", "scope", "expires_in", "ext_expires_in", "access_token",
                         "refresh_token", "id_token", "client_info"}
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid profile Mail.Send User.Read"  # as asked, no offline_access
    assert 3600 <= body["expires_in"] <= 5400 and body["ext_expires_in"] == body["expires_in"]
    info = unpadded_json(body["client_info"])
    assert info == unpadded_json(params["client_info"])
    assert info["utid"] == WORK_TENANT_ID


def test_fully_qualified_scopes_are_echoed_fully_qualified(get_code, redeem):
    code, verifier, _ = get_code(scope="openid https://graph.microsoft.com/User.Read")
    assert redeem(code, verifier).json()["scope"] == "openid https://graph.microsoft.com/User.Read"


def test_no_refresh_token_without_offline_access_and_no_id_token_without_openid(get_code, redeem):
    code, verifier, _ = get_code(scope="User.Read")
    body = redeem(code, verifier, client_info=None).json()
    assert "refresh_token" not in body and "id_token" not in body and "client_info" not in body
    assert body["scope"] == "User.Read"


def test_id_token_is_signed_and_every_claim_is_right(emu, https, get_code, redeem, demo_client):
    code, verifier, params = get_code(scope="openid profile email User.Read", nonce="n-0S6_WzA2Mj")
    before = int(time.time())
    id_token = redeem(code, verifier).json()["id_token"]
    token = verify(emu, https, id_token)
    header, claims = token.header, token.claims
    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    keys = https.get(f"{emu.api_url}/common/discovery/v2.0/keys", timeout=10).json()["keys"]
    assert header["kid"] == keys[0]["kid"]
    user = emu.state.directory.user(ADELE)
    assert claims["ver"] == "2.0"
    assert claims["aud"] == demo_client["client_id"]
    assert claims["tid"] == WORK_TENANT_ID
    assert claims["iss"] == f"{emu.api_url}/{claims['tid']}/v2.0"
    assert before - 5 <= claims["iat"] <= time.time() + 5
    assert claims["nbf"] <= claims["iat"] + 1 and claims["exp"] > claims["iat"]
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["oid"] == user.id
    assert claims["name"] == "Adele Vance" and claims["preferred_username"] == ADELE
    assert claims["email"] == ADELE
    assert claims["sub"] and claims["sub"] != user.id  # pairwise, not the object id
    assert unpadded_json(params["client_info"]) == {"uid": user.id, "utid": WORK_TENANT_ID}


def test_id_token_without_profile_has_no_name(emu, https, get_code, redeem):
    code, verifier, _ = get_code(scope="openid User.Read")
    claims = verify(emu, https, redeem(code, verifier).json()["id_token"]).claims
    assert "name" not in claims and "preferred_username" not in claims


def test_sub_is_pairwise_per_app_and_stable(emu, https, get_code, redeem):
    subs = set()
    for _ in range(2):
        code, verifier, _ = get_code(scope="openid User.Read")
        subs.add(verify(emu, https, redeem(code, verifier).json()["id_token"]).claims["sub"])
    assert len(subs) == 1


def test_work_access_token_is_a_graph_jwt(emu, https, get_code, redeem, demo_client):
    code, verifier, _ = get_code(scope="openid profile offline_access User.Read Mail.Send")
    claims = verify(emu, https, redeem(code, verifier).json()["access_token"]).claims
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["iss"] == f"https://sts.windows.net/{WORK_TENANT_ID}/"
    assert set(claims["scp"].split()) >= {"User.Read", "Mail.Send"}
    assert "offline_access" not in claims["scp"].split()
    assert claims["oid"] == emu.state.directory.user(ADELE).id
    assert claims["tid"] == WORK_TENANT_ID
    assert claims["appid"] == demo_client["client_id"] and claims["upn"] == ADELE
    assert claims["exp"] > time.time() + 3000


def test_access_token_carries_every_permission_granted_before(get_code, redeem, emu, https):
    get_code(scope="openid Mail.Send")  # granted once...
    code, verifier, _ = get_code(scope="openid User.Read")  # ...still in later tokens
    body = redeem(code, verifier).json()
    assert {"Mail.Send", "User.Read"} <= set(verify(emu, https, body["access_token"]).claims["scp"].split())
    assert body["scope"] == "openid https://graph.microsoft.com/Mail.Send User.Read"


@pytest.mark.parametrize("tenant", ["consumers", "common"])
def test_personal_account_gets_an_opaque_access_token(emu, https, get_code, redeem, tenant):
    code, verifier, params = get_code(SAM, tenant=tenant, scope="openid profile User.Read")
    body = redeem(code, verifier, tenant=tenant).json()
    assert body["access_token"].count(".") != 2  # not a JWT: clients must not decode it
    claims = verify(emu, https, body["id_token"], tenant).claims
    assert claims["tid"] == CONSUMERS_TENANT_ID
    assert claims["iss"] == f"{emu.api_url}/{CONSUMERS_TENANT_ID}/v2.0"
    assert unpadded_json(params["client_info"])["utid"] == CONSUMERS_TENANT_ID
    # Graph (this emulator) still knows what it means.
    assert emu.state.tokens.validate_access_token(body["access_token"])["oid"] == claims["oid"]


def test_refresh_rotates_and_keeps_working(emu, https, get_code, redeem, demo_client):
    code, verifier, _ = get_code()
    first = redeem(code, verifier).json()
    data = {"grant_type": "refresh_token", "client_id": demo_client["client_id"],
            "client_secret": demo_client["client_secret"], "refresh_token": first["refresh_token"],
            "scope": "User.Read openid offline_access", "client_info": "1"}
    second = https.post(f"{emu.api_url}/common/oauth2/v2.0/token", data=data, timeout=10).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "openid User.Read"
    assert "nonce" not in verify(emu, https, second["id_token"]).claims
    data["refresh_token"] = second["refresh_token"]
    third = https.post(f"{emu.api_url}/common/oauth2/v2.0/token", data=data, timeout=10)
    assert third.status_code == 200


def test_refresh_chain_keeps_rotating_even_if_scope_omits_offline_access(emu, https, get_code,
                                                                        redeem, demo_client):
    code, verifier, _ = get_code()
    rt = redeem(code, verifier).json()["refresh_token"]
    body = https.post(f"{emu.api_url}/common/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": demo_client["client_id"],
        "client_secret": demo_client["client_secret"], "refresh_token": rt,
        "scope": "openid User.Read"}, timeout=10).json()
    assert body["refresh_token"] != rt and "id_token" in body


def test_refresh_without_openid_returns_no_id_token(emu, https, get_code, redeem, demo_client):
    code, verifier, _ = get_code()
    rt = redeem(code, verifier).json()["refresh_token"]
    body = https.post(f"{emu.api_url}/common/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": demo_client["client_id"],
        "client_secret": demo_client["client_secret"], "refresh_token": rt,
        "scope": "User.Read offline_access"}, timeout=10).json()
    assert "id_token" not in body and "refresh_token" in body


def test_client_credentials_token_has_app_roles_and_nothing_user_shaped(emu, https, demo_client):
    response = https.post(f"{emu.api_url}/{WORK_TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": demo_client["client_id"],
        "client_secret": demo_client["client_secret"],
        "scope": "https://graph.microsoft.com/.default"}, timeout=10)
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    claims = verify(emu, https, body["access_token"], WORK_TENANT_ID).claims
    assert claims["roles"] == ["Mail.Send", "Mail.Read", "Mail.ReadWrite", "User.Read.All"]
    assert "scp" not in claims and claims["idtyp"] == "app"
    assert claims["tid"] == WORK_TENANT_ID and claims["aud"] == "https://graph.microsoft.com"


def test_access_token_lifetime_setting(emu, https, get_code, redeem):
    settings = https.put(f"{emu.api_url}/_emulator/identity/settings",
                         json={"access_token_lifetime": 120}, timeout=10)
    assert settings.json()["access_token_lifetime"] == 120
    code, verifier, _ = get_code()
    body = redeem(code, verifier).json()
    assert body["expires_in"] == 120
    claims = verify(emu, https, body["access_token"]).claims
    assert claims["exp"] - claims["iat"] == 120


@pytest.mark.parametrize("body, message", [
    ({"access_token_lifetime": "soon"}, "whole number"),
    ({"code_lifetime": -1}, "whole number"),
    ({"refresh_token_max_inactivity": None}, "whole number"),
    ({"colour": 1}, "unknown settings"),
    ([], "JSON object"),
])
def test_settings_refuse_bad_input_clearly(emu, https, body, message):
    response = https.put(f"{emu.api_url}/_emulator/identity/settings", json=body, timeout=10)
    assert response.status_code == 400 and message in response.json()["error"]


def test_revoke_unknown_user_is_404(emu, https):
    response = https.post(f"{emu.api_url}/_emulator/identity/users/nobody@x.example/revoke", timeout=10)
    assert response.status_code == 404


def test_userinfo_answers_for_a_delegated_token(emu, https, get_code, redeem):
    code, verifier, _ = get_code(scope="openid profile email User.Read")
    body = redeem(code, verifier).json()
    info = https.get(f"{emu.api_url}/oidc/userinfo", timeout=10,
                     headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    id_claims = verify(emu, https, body["id_token"]).claims
    assert info.json()["sub"] == id_claims["sub"] and info.json()["email"] == ADELE
    assert https.get(f"{emu.api_url}/oidc/userinfo", timeout=10).status_code == 401
