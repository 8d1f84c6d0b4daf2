"""Fixtures for the emulator's protocol tests: redirect URI, browser-like sessions, MSAL apps.

The sign-in driver itself lives in ``tests/helpers/signin.py`` (``sign_in_with_requests``) so
that app and end-to-end tests can import it too. H3 may append Graph fixtures below.
"""
from __future__ import annotations

import msal
import pytest
import requests

from helpers.signin import authorize_url, pkce_pair, sign_in_with_requests
from mailer.graph.http import build_session

REDIRECT_URI = "http://localhost:8400/auth/callback"


@pytest.fixture
def redirect_uri(emu):
    """A loopback redirect URI registered on the demo app (kept for the whole session)."""
    emu.state.add_redirect_uri(REDIRECT_URI)
    return REDIRECT_URI


@pytest.fixture
def browser():
    """A cookie-keeping plain-HTTP session for the sign-in pages (one 'browser')."""
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


@pytest.fixture
def msal_app(emu, demo_client):
    """Factory: a fresh MSAL ConfidentialClientApplication per call (MSAL caches 400s per app)."""
    sessions = []

    def make(tenant: str = "common", secret: str | None = None, **kwargs):
        http = build_session(str(emu.ca_file))
        sessions.append(http)
        return msal.ConfidentialClientApplication(
            demo_client["client_id"], client_credential=secret or demo_client["client_secret"],
            authority=f"{emu.api_url}/{tenant}", instance_discovery=False, http_client=http,
            **kwargs)

    yield make
    for http in sessions:
        http.close()


@pytest.fixture
def get_code(emu, demo_client, redirect_uri, browser):
    """Factory: sign in through the pages and return (code, code_verifier, redirect params)."""

    def run(username="adele@contoso.example", scope="openid profile offline_access User.Read",
            tenant="common", **extra):
        extra.setdefault("client_info", "1")  # as MSAL sends it
        verifier, challenge = pkce_pair()
        url = authorize_url(emu.pages_url, tenant, demo_client["client_id"], redirect_uri, scope,
                            code_challenge=challenge, state="xyz", **extra)
        result = sign_in_with_requests(url, username, session=browser)
        assert "code" in result.params, result.params
        return result.params["code"], verifier, result.params

    return run


@pytest.fixture
def redeem(emu, demo_client, redirect_uri, https):
    """Factory: POST the token endpoint for an authorization code; returns the response."""

    def run(code, verifier, tenant="common", **overrides):
        data = {"client_id": demo_client["client_id"], "client_secret": demo_client["client_secret"],
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier, "client_info": "1"}
        data.update(overrides)
        data = {k: v for k, v in data.items() if v is not None}
        return https.post(f"{emu.api_url}/{tenant}/oauth2/v2.0/token", data=data, timeout=10)

    return run


@pytest.fixture
def assert_aadsts():
    """``assert_aadsts(response, status, error, code)``: Microsoft's error shape, field by field."""
    from helpers.aadsts import assert_aadsts as check

    return check


# --- Graph (H3) ---------------------------------------------------------------------------------

ADELE = "adele@contoso.example"
ALL_MAIL_SCOPES = ["User.Read", "Mail.Send", "Mail.ReadWrite", "Mail.Send.Shared",
                   "Mail.ReadWrite.Shared"]


@pytest.fixture
def graph_token(emu):
    """graph_token(upn, scopes) -> delegated Graph token; graph_token(roles=[...]) -> app-only."""
    from emulator.directory import DEMO_CLIENT_ID, WORK_TENANT_ID

    def make(upn: str = ADELE, scopes=None, roles=None, lifetime: int = 3600) -> str:
        if roles is not None:
            return emu.state.tokens.access_token(DEMO_CLIENT_ID, WORK_TENANT_ID, lifetime,
                                                 roles=list(roles))
        user = emu.state.directory.user(upn)
        return emu.state.tokens.access_token(DEMO_CLIENT_ID, user.tenant_id, lifetime, user=user,
                                             scopes=ALL_MAIL_SCOPES if scopes is None else scopes)
    return make


class GraphApi:
    """Calls to the emulator's Graph over real HTTPS: ``api.post("/me/sendMail", json=...)``."""

    def __init__(self, emu, https, token: str | None):
        self.emu, self.https, self.token = emu, https, token

    def as_(self, token: str | None) -> "GraphApi":
        return GraphApi(self.emu, self.https, token)

    def request(self, method: str, path: str, headers=None, **kwargs):
        url = path if path.startswith("http") else f"{self.emu.api_url}/v1.0{path}"
        headers = dict(headers or {})
        if self.token is not None and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        kwargs.setdefault("timeout", 30)
        return self.https.request(method, url, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def graph_api(emu, https, graph_token):
    """Adele's Graph client (every mail scope); ``graph_api.as_(token)`` for anyone else."""
    return GraphApi(emu, https, graph_token())


@pytest.fixture
def mailbox(emu):
    """mailbox(upn) -> that user's emulated mailbox (folders, messages), for assertions."""
    from emulator.graph.mail.store import MailStore

    def get(upn: str = ADELE):
        store = emu.state.extension("mail", MailStore)
        return store.mailbox(emu.state.directory.user(upn).id)
    return get


# --- /_emulator admin calls (sending limits, request throttling, the mail clock) -----------

@pytest.fixture
def admin(emu, https):
    """admin(method, path, json) -> response of an /_emulator admin call."""
    def call(method: str, path: str, json=None):
        return https.request(method, f"{emu.api_url}/_emulator/{path}", json=json, timeout=10)
    return call


@pytest.fixture
def set_limits(admin):
    def put(**limits):
        response = admin("PUT", "limits", limits)
        assert response.status_code == 200, response.text
        return response.json()
    return put


@pytest.fixture
def move_clock(admin):
    def move(seconds: float):
        response = admin("PUT", "clock", {"offset_seconds": seconds})
        assert response.status_code == 200, response.text
    return move
