"""Fixtures for the mail services against the real emulator over TLS: tokens, clients, files.

Tokens are minted straight from the emulator's token service (no sign-in dance: that is
identity's tests' job); every Graph call goes over real loopback HTTPS through GraphClient.
"""
from __future__ import annotations


import pytest

from emulator.directory import DEMO_CLIENT_ID
from helpers.files import write_file
from helpers.settings import graph_client, retry_policy
from mailer.graph.client import GraphClient

ADELE = "adele@contoso.example"
MAIL_SCOPES = ["Mail.Send", "Mail.ReadWrite", "Mail.Send.Shared", "User.Read"]


@pytest.fixture
def token_for(emu):
    """token_for(upn, scopes) -> a Graph access token for that demo user."""
    def make(upn: str = ADELE, scopes: list[str] | None = None, lifetime: int = 3600) -> str:
        user = emu.state.directory.user(upn)
        return emu.state.tokens.access_token(DEMO_CLIENT_ID, user.tenant_id, lifetime, user=user,
                                             scopes=MAIL_SCOPES if scopes is None else scopes)
    return make


@pytest.fixture
def graph_for(emu, https, token_for):
    """graph_for(upn, scopes, **client options) -> a GraphClient acting as that user."""
    def make(upn: str = ADELE, scopes: list[str] | None = None, **options) -> GraphClient:
        token = token_for(upn, scopes)
        options.setdefault("retry", retry_policy(max_total_wait=10, base_delay=0.05, max_delay=0.2))
        return graph_client(emu.client_config()["graph_endpoint"], lambda: token, https, **options)
    return make


@pytest.fixture
def graph(graph_for):
    """Adele's client, with every mail scope."""
    return graph_for()


@pytest.fixture
def faults(emu, https):
    """faults.add(**rule): inject a failure through the emulator's admin endpoint."""
    class Faults:
        def add(self, **rule) -> dict:
            response = https.post(f"{emu.api_url}/_emulator/faults", json=rule, timeout=10)
            assert response.status_code in (200, 201), response.text
            return response.json() if response.content else {}
    return Faults()


@pytest.fixture
def make_file(tmp_path):
    """make_file(name, size) -> a file of varied bytes, written in pieces (no big buffer)."""
    def make(name: str, size: int, seed: int = 7):
        return write_file(tmp_path / f"{seed}-{name}", size, seed)
    return make


@pytest.fixture(scope="session")
def redis_url(redis_server):
    """The session's real redis-server (started once, in app_fixtures)."""
    return redis_server

