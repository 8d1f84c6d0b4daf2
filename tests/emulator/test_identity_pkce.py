"""PKCE where Microsoft requires it: optional for a confidential web app, checked when sent,
required of a public client; azure-identity's credentials as independent clients."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from azure.identity import AuthorizationCodeCredential, ClientSecretCredential

from emulator.directory import DEMO_CLI_CLIENT_ID, WORK_TENANT_ID
from helpers.signin import authorize_url, pkce_pair, sign_in_with_requests

ADELE = "adele@contoso.example"
SYSTEM_ROOTS = Path("/etc/ssl/certs/ca-certificates.crt")
CLI_REDIRECT = "http://localhost"


@pytest.fixture
def trust_emulator(emu, tmp_path, monkeypatch):
    """azure-identity's transport reads REQUESTS_CA_BUNDLE: system roots plus the emulator CA."""
    bundle = tmp_path / "bundle.pem"
    roots = SYSTEM_ROOTS.read_text() if SYSTEM_ROOTS.exists() else ""
    bundle.write_text(roots + "\n" + Path(emu.ca_file).read_text())
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, str(bundle))


def code_without_pkce(emu, demo_client, redirect_uri, browser, scope="openid profile User.Read"):
    url = authorize_url(emu.pages_url, "common", demo_client["client_id"], redirect_uri, scope,
                        state="s1")
    result = sign_in_with_requests(url, ADELE, session=browser)
    assert "code" in result.params, result.params
    return result.params["code"]


def test_a_confidential_client_may_redeem_without_pkce(emu, demo_client, redirect_uri, browser,
                                                       redeem):
    code = code_without_pkce(emu, demo_client, redirect_uri, browser)
    response = redeem(code, None, code_verifier=None)
    assert response.status_code == 200, response.text
    assert response.json()["access_token"] and response.json()["id_token"]


def test_a_verifier_sent_for_a_code_without_challenge_is_ignored(emu, demo_client, redirect_uri,
                                                                 browser, redeem):
    code = code_without_pkce(emu, demo_client, redirect_uri, browser)
    assert redeem(code, "y" * 43).status_code == 200


def test_a_challenge_once_sent_is_always_checked(get_code, redeem, assert_aadsts):
    code, verifier, _ = get_code()
    assert_aadsts(redeem(code, None, code_verifier=None), 400, "invalid_grant", 501481)
    assert_aadsts(redeem(code, "z" * 43), 400, "invalid_grant", 501481)
    assert redeem(code, verifier).status_code == 200  # a refused verifier does not burn the code


def test_a_public_client_redeems_with_pkce_and_no_secret(emu, https, browser, assert_aadsts):
    verifier, challenge = pkce_pair()
    url = authorize_url(emu.pages_url, "organizations", DEMO_CLI_CLIENT_ID, CLI_REDIRECT,
                        "openid User.Read", code_challenge=challenge)
    code = sign_in_with_requests(url, ADELE, session=browser).params["code"]
    token_url = f"{emu.api_url}/organizations/oauth2/v2.0/token"
    form = {"client_id": DEMO_CLI_CLIENT_ID, "grant_type": "authorization_code", "code": code,
            "redirect_uri": CLI_REDIRECT, "code_verifier": verifier}
    with_secret = https.post(token_url, data={**form, "client_secret": "anything"}, timeout=10)
    assert_aadsts(with_secret, 401, "invalid_client", 700025)
    assert https.post(token_url, data=form, timeout=10).status_code == 200


def test_a_public_client_cannot_use_client_credentials(emu, https, assert_aadsts):
    response = https.post(f"{emu.api_url}/{WORK_TENANT_ID}/oauth2/v2.0/token", timeout=10,
                          data={"client_id": DEMO_CLI_CLIENT_ID, "grant_type": "client_credentials",
                                "scope": "https://graph.microsoft.com/.default"})
    assert_aadsts(response, 401, "invalid_client", 7000218)


def test_the_app_itself_always_sends_s256_pkce(client):
    """Our own app keeps PKCE although Microsoft would let a confidential client skip it."""
    response = client.get("/login")
    query = dict(p.split("=", 1) for p in urlsplit(response.location).query.split("&"))
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43


def test_azure_identity_authorization_code_credential(emu, demo_client, redirect_uri, browser,
                                                      trust_emulator):
    """azure-identity cannot send a code_verifier: this works only without required PKCE."""
    code = code_without_pkce(emu, demo_client, redirect_uri, browser,
                             scope="openid profile offline_access User.Read")
    credential = AuthorizationCodeCredential(
        WORK_TENANT_ID, demo_client["client_id"], code, redirect_uri,
        client_secret=demo_client["client_secret"], authority=urlsplit(emu.api_url).netloc,
        disable_instance_discovery=True)
    token = credential.get_token("https://graph.microsoft.com/User.Read")
    me = requests.get(f"{emu.api_url}/v1.0/me", headers={"Authorization": f"Bearer {token.token}"},
                      verify=str(emu.ca_file), timeout=10)
    assert me.status_code == 200 and me.json()["userPrincipalName"] == ADELE


def test_azure_identity_client_secret_credential(emu, demo_client, trust_emulator):
    credential = ClientSecretCredential(
        WORK_TENANT_ID, demo_client["client_id"], demo_client["client_secret"],
        authority=urlsplit(emu.api_url).netloc, disable_instance_discovery=True)
    token = credential.get_token("https://graph.microsoft.com/.default")
    claims = emu.state.tokens.validate_access_token(token.token)
    assert claims["idtyp"] == "app" and "Mail.Send" in claims["roles"]
