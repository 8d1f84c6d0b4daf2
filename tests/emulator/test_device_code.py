"""The device code flow: /devicecode, /devicelogin in a 'browser', the token endpoint's polling
answers, and MSAL's initiate_device_flow + acquire_token_by_device_flow end to end."""
from __future__ import annotations

import threading
import time

import msal
import pytest

from emulator.directory import DEMO_CLI_CLIENT_ID, DEMO_CLIENT_ID
from helpers.signin import complete_device_login, parse_page
from mailer.graph.http import build_session

ADELE = "adele@contoso.example"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SHORT = "device_code"  # as msal-node / msal-common and msal4j send it


@pytest.fixture
def fast_polling(emu, https):
    """Poll every second (Microsoft says 5) so the tests stay quick."""
    assert https.put(f"{emu.api_url}/_emulator/identity/settings", timeout=10,
                     json={"device_code_interval": 1}).status_code == 200


def start(emu, https, scope="openid profile offline_access User.Read", tenant="organizations"):
    response = https.post(f"{emu.api_url}/{tenant}/oauth2/v2.0/devicecode", timeout=10,
                          data={"client_id": DEMO_CLI_CLIENT_ID, "scope": scope})
    assert response.status_code == 200, response.text
    return response.json()


def poll(emu, https, device_code, tenant="organizations", client_id=DEMO_CLI_CLIENT_ID,
         grant=GRANT):
    return https.post(f"{emu.api_url}/{tenant}/oauth2/v2.0/token", timeout=10, data={
        "grant_type": grant, "client_id": client_id, "device_code": device_code})


def complete_in_browser(browser, verification_uri, user_code, username=ADELE, consent=True):
    """What a person does: open the page, type the code, sign in, answer the consent page."""
    return complete_device_login(verification_uri, user_code, username, consent=consent,
                                 session=browser)


def test_device_authorization_response_is_microsofts_shape(emu, https):
    body = start(emu, https)
    assert set(body) == {"user_code", "device_code", "verification_uri", "expires_in",
                         "interval", "message"}
    assert body["verification_uri"] == f"{emu.pages_url}/devicelogin"
    assert (body["expires_in"], body["interval"]) == (900, 5)
    assert body["user_code"] in body["message"] and body["verification_uri"] in body["message"]


@pytest.mark.parametrize("data, status, error, code", [
    ({"scope": "User.Read"}, 400, "invalid_request", 900144),
    ({"client_id": DEMO_CLI_CLIENT_ID}, 400, "invalid_request", 900144),
    ({"client_id": "00000000-0000-0000-0000-000000000001", "scope": "User.Read"}, 400,
     "unauthorized_client", 700016),
    ({"client_id": DEMO_CLI_CLIENT_ID, "scope": "Nope.Nothing"}, 400, "invalid_scope", 70011),
])
def test_device_authorization_refusals(emu, https, assert_aadsts, data, status, error, code):
    response = https.post(f"{emu.api_url}/common/oauth2/v2.0/devicecode", data=data, timeout=10)
    assert_aadsts(response, status, error, code)


@pytest.mark.parametrize("grant", [GRANT, SHORT])
def test_polling_answers_pending_then_slow_down_then_tokens_once(emu, https, browser, grant,
                                                                 fast_polling, assert_aadsts):
    flow = start(emu, https)
    code = flow["device_code"]
    assert_aadsts(poll(emu, https, code, grant=grant), 400, "authorization_pending", 70016)
    assert_aadsts(poll(emu, https, code, grant=grant), 400, "slow_down", 70016)
    page = complete_in_browser(browser, flow["verification_uri"], flow["user_code"])
    assert "You have signed in to the Mail CLI (demo) application" in page.text
    time.sleep(1)
    tokens = poll(emu, https, code, grant=grant)
    assert tokens.status_code == 200, tokens.text
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens.json())
    time.sleep(1)
    assert_aadsts(poll(emu, https, code, grant=grant), 400, "bad_verification_code", 70018)


@pytest.mark.parametrize("grant", ["devicecode", "urn:ietf:params:oauth:grant-type:device-code",
                                   "Device_Code"])
def test_other_spellings_stay_unsupported(emu, https, assert_aadsts, grant):
    flow = start(emu, https)
    assert_aadsts(poll(emu, https, flow["device_code"], grant=grant), 400,
                  "unsupported_grant_type", 70003)


def test_declined_consent_is_authorization_declined(emu, https, browser, assert_aadsts):
    flow = start(emu, https)
    page = complete_in_browser(browser, flow["verification_uri"], flow["user_code"], consent=False)
    assert "You declined" in page.text
    assert_aadsts(poll(emu, https, flow["device_code"]), 400, "authorization_declined", 65004)


def test_expired_code(emu, https, browser, assert_aadsts):
    https.put(f"{emu.api_url}/_emulator/identity/settings", json={"device_code_lifetime": 0},
              timeout=10)
    flow = start(emu, https)
    response = browser.post(flow["verification_uri"], data={"otc": flow["user_code"]}, timeout=10)
    assert response.status_code == 400 and "didn't work" in parse_page(response.text).error
    assert_aadsts(poll(emu, https, flow["device_code"]), 400, "expired_token", 70019)


def test_unknown_device_code_and_wrong_client(emu, https, assert_aadsts):
    assert_aadsts(poll(emu, https, "DAQnot-a-code"), 400, "bad_verification_code", 70018)
    flow = start(emu, https)
    # The web app is confidential and sends no secret here: Microsoft asks for one.
    assert_aadsts(poll(emu, https, flow["device_code"], client_id=DEMO_CLIENT_ID), 401,
                  "invalid_client", 7000218)


def test_msal_device_flow_end_to_end(emu, browser, fast_polling):
    http = build_session(str(emu.ca_file))
    app = msal.PublicClientApplication(DEMO_CLI_CLIENT_ID, authority=f"{emu.api_url}/organizations",
                                       instance_discovery=False, http_client=http)
    flow = app.initiate_device_flow(scopes=["User.Read"])
    assert "user_code" in flow, flow
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(app.acquire_token_by_device_flow(flow)))
    worker.start()
    time.sleep(0.3)  # the device is polling while the person signs in
    complete_in_browser(browser, flow["verification_uri"], flow["user_code"])
    worker.join(timeout=15)
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == ADELE
    account = app.get_accounts()[0]
    assert app.acquire_token_silent(["User.Read"], account, force_refresh=True)["access_token"]
    http.close()
