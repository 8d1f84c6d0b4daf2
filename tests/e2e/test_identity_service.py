"""mailer.identity on its own: no Flask, a plain dict as the session, real MSAL, the emulator."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app_fixtures import ADELE, SAM, _finish
from mailer.identity.errors import AuthError
from mailer.graph.http import build_session
from mailer.identity.msal_results import silence_form_post_warning
from mailer.identity.service import Identity, Settings
from mailer.identity.tokens import CacheCipher
from helpers.vault import MemoryVault

REDIRECT_URI = "http://localhost:8765/auth/callback"


@pytest.fixture
def identity(emu):
    emu.state.add_redirect_uri(REDIRECT_URI)
    silence_form_post_warning()  # create_app does this for the app
    demo = emu.client_config()
    http = build_session(demo["ca_file"])
    settings = Settings(demo["client_id"], demo["client_secret"], demo["authority"],
                        ("User.Read",), http, timeout=10)
    yield Identity(settings, {}, MemoryVault(), CacheCipher([Fernet.generate_key()]))
    http.close()


def test_the_identity_service_imports_no_flask():
    code = "import sys, mailer.identity; print(sorted(m for m in sys.modules if 'flask' in m))"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_sign_in_token_and_sign_out_over_a_dict(identity):
    auth_uri = identity.start_login(REDIRECT_URI, ["Mail.Send"], next_url="/compose")
    rotated = MemoryVault()
    next_url = identity.complete_login(_finish(auth_uri, ADELE), rotate=lambda: rotated)
    assert next_url == "/compose"
    assert identity.user["username"] == ADELE and identity._session.get("auth_flows") is None
    token = identity.get_token(["Mail.Send"])
    assert "Mail.Send" in token["scopes"] and token["expires_in"] > 300
    assert rotated.blob and token["access_token"] not in rotated.blob  # encrypted, in the new vault
    again = identity.get_token(["Mail.Send"])
    assert again["access_token"] == token["access_token"] and again["source"] == "cache"
    details = identity.token_details()
    assert details["refresh_token_held"] is True and "refresh_token" not in details
    url = identity.sign_out("http://localhost:8765/")
    assert "post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A8765%2F" in url
    assert identity._session == {} and rotated.blob is None
    with pytest.raises(AuthError) as info:
        identity.get_token()
    assert info.value.interaction_required and info.value.scopes == ["User.Read"]


def test_two_sign_ins_under_way_at_once(identity):
    first = identity.start_login(REDIRECT_URI, next_url="/one")
    second = identity.start_login(REDIRECT_URI, next_url="/two")
    assert identity.complete_login(_finish(second, SAM)) == "/two"
    assert identity.user["personal"] is True
    with pytest.raises(AuthError) as info:  # the other tab's flow went with the sign-in
        identity.complete_login(_finish(first, ADELE))
    assert info.value.error == "state_mismatch"


def test_consent_for_more_scopes_is_interaction_required(identity):
    identity.complete_login(_finish(identity.start_login(REDIRECT_URI), ADELE))
    with pytest.raises(AuthError) as info:
        identity.get_token(["Mail.ReadWrite"])
    err = info.value
    assert err.interaction_required and err.code == 65001 and err.scopes == ["Mail.ReadWrite"]
    assert "Trace ID" not in err.description


class CountingVault(MemoryVault):
    def __init__(self):
        super().__init__()
        self.loads = 0

    def load(self):
        self.loads += 1
        return super().load()


def test_one_identity_reads_the_vault_once_per_token(identity):
    vault = CountingVault()
    identity.complete_login(_finish(identity.start_login(REDIRECT_URI), ADELE),
                            rotate=lambda: vault)
    first = identity.get_token()
    again = identity.get_token()
    assert vault.loads == 1 and again["access_token"] == first["access_token"]
    assert again["source"] == "cache"
    refreshed = identity.get_token(force_refresh=True)  # never from what it holds
    assert vault.loads == 2 and refreshed["access_token"] != first["access_token"]
    identity._held[("User.Read",)]["expires_on"] = int(time.time()) + 200  # inside MSAL's margin
    identity.get_token()
    assert vault.loads == 3
    identity.sign_out("http://localhost:8765/")
    with pytest.raises(AuthError):  # what it held went with the sign-out
        identity.get_token()
