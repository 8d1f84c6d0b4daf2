"""Instance discovery as Microsoft answers it, exercised by real MSAL built without
instance_discovery=False; plus authorize and logout on the authority host."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import msal
import pytest
from requests.adapters import HTTPAdapter

from emulator.directory import WORK_TENANT_ID
from helpers.signin import sign_in_with_requests
from mailer.graph.http import build_session

MICROSOFT = "login.microsoftonline.com"


class MicrosoftHostToEmulator(HTTPAdapter):
    """A hosts-file entry in effect: Microsoft's login hosts reach the emulator's port, TLS
    checked against the emulator's own name, the Host header left as the client wrote it."""

    def __init__(self, emulator_netloc: str, seen: list[str]):
        super().__init__()
        self.netloc, self.seen = emulator_netloc, seen

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        self.seen.append(f"{parts.hostname}{parts.path}?{parts.query}")
        request.headers["Host"] = parts.hostname
        request.url = urlunsplit((parts.scheme, self.netloc, parts.path, parts.query, ""))
        return super().send(request, **kwargs)


@pytest.fixture
def routed(emu):
    """(http session for MSAL, list of Microsoft-host requests it made)."""
    seen: list[str] = []
    http = build_session(str(emu.ca_file))
    adapter = MicrosoftHostToEmulator(urlsplit(emu.api_url).netloc, seen)
    for host in (MICROSOFT, "login.windows.net"):
        http.mount(f"https://{host}/", adapter)
    yield http, seen
    http.close()


def test_shape_for_microsofts_host(emu, https):
    response = https.get(f"{emu.api_url}/common/discovery/instance", timeout=10, params={
        "api-version": "1.1",
        "authorization_endpoint": f"https://{MICROSOFT}/common/oauth2/v2.0/authorize"})
    assert response.status_code == 200
    body = response.json()
    assert body["tenant_discovery_endpoint"] == \
        f"https://{MICROSOFT}/common/v2.0/.well-known/openid-configuration"
    assert body["api-version"] == "1.1"
    worldwide = next(c for c in body["metadata"] if c["preferred_network"] == MICROSOFT)
    assert worldwide["preferred_cache"] == "login.windows.net"
    assert {"login.windows.net", "login.microsoft.com", "sts.windows.net"} <= set(
        worldwide["aliases"])
    assert all(set(c) == {"preferred_network", "preferred_cache", "aliases"}
               for c in body["metadata"])


@pytest.mark.parametrize("params, error, code", [
    ({"api-version": "1.1", "authorization_endpoint": "https://evil.example/common/oauth2/v2.0/"
                                                      "authorize"}, "invalid_instance", 50049),
    ({"api-version": "1.1"}, "invalid_request", 50050),
    ({"authorization_endpoint": f"https://{MICROSOFT}/common/oauth2/v2.0/authorize"},
     "invalid_request", 900144),
])
def test_refusals(emu, https, assert_aadsts, params, error, code):
    response = https.get(f"{emu.api_url}/common/discovery/instance", params=params, timeout=10)
    assert_aadsts(response, 400, error, code)


def test_msal_validates_an_authority_on_the_emulator_through_microsofts_endpoint(emu, routed,
                                                                                 demo_client):
    http, seen = routed
    app = msal.ConfidentialClientApplication(
        demo_client["client_id"], client_credential=demo_client["client_secret"],
        authority=f"{emu.api_url}/{WORK_TENANT_ID}", http_client=http)  # instance discovery on
    assert any(s.startswith(f"{MICROSOFT}/common/discovery/instance?") for s in seen), seen
    result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result


def test_msal_with_a_custom_instance_discovery_endpoint(emu, demo_client):
    http = build_session(str(emu.ca_file))
    app = msal.ConfidentialClientApplication(
        demo_client["client_id"], client_credential=demo_client["client_secret"],
        authority=f"{emu.api_url}/{WORK_TENANT_ID}", http_client=http,
        instance_discovery=f"{emu.api_url}/common/discovery/instance")
    assert "access_token" in app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    http.close()


def test_msal_on_microsofts_host_finds_accounts_through_aliases(emu, routed, demo_client,
                                                                redirect_uri, browser):
    """Signed in at login.microsoftonline.com, the account is found from login.windows.net."""
    http, seen = routed
    cache = msal.SerializableTokenCache()
    app = msal.ConfidentialClientApplication(
        demo_client["client_id"], client_credential=demo_client["client_secret"],
        authority=f"https://{MICROSOFT}/organizations", http_client=http, token_cache=cache)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=redirect_uri,
                                       response_mode="form_post")  # MSAL warns on any other
    assert flow["auth_uri"].startswith(emu.pages_url)  # discovery came from the emulator
    result = sign_in_with_requests(flow["auth_uri"], "adele@contoso.example", session=browser)
    assert "access_token" in app.acquire_token_by_auth_code_flow(flow, result.params)
    other = msal.ConfidentialClientApplication(
        demo_client["client_id"], client_credential=demo_client["client_secret"],
        authority="https://login.windows.net/organizations", http_client=http, token_cache=cache)
    accounts = other.get_accounts()
    assert [a["username"] for a in accounts] == ["adele@contoso.example"]
    assert any(s.startswith("login.windows.net/common/discovery/instance?api-version=1.1")
               for s in seen), seen
    assert other.acquire_token_silent(["User.Read"], accounts[0])["access_token"]


@pytest.mark.parametrize("endpoint", ["oauth2/v2.0/authorize", "oauth2/v2.0/logout"])
def test_authorize_and_logout_on_the_authority_host_go_to_the_pages(emu, https, endpoint):
    query = "client_id=abc&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&state=s%20t"
    response = https.get(f"{emu.api_url}/common/{endpoint}?{query}", allow_redirects=False,
                         timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{emu.pages_url}/common/{endpoint}?{query}"


def test_discovery_still_points_at_the_pages(emu, https):
    doc = https.get(f"{emu.api_url}/common/v2.0/.well-known/openid-configuration",
                    timeout=10).json()
    assert doc["authorization_endpoint"] == f"{emu.pages_url}/common/oauth2/v2.0/authorize"
    assert doc["end_session_endpoint"] == f"{emu.pages_url}/common/oauth2/v2.0/logout"
