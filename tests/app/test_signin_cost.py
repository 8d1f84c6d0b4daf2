"""What one sign-in costs the server-side store: each record written once, the vault read once.

login -> callback -> profile is the path bench/bench_signin.py times. The real file store does the
work; the tests only count what reaches it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app_fixtures import ADELE, _finish


@pytest.fixture
def store_calls(app):
    """(operation, key) for every call that reaches the file store (sessions and vaults)."""
    cache, calls = app.extensions["mailer.sessions"].cache, []
    for name in ("get", "set", "delete"):
        real = getattr(cache, name)

        def counting(key, *args, _real=real, _name=name, **kwargs):
            calls.append((_name, key.split(":")[0]))
            return _real(key, *args, **kwargs)
        setattr(cache, name, counting)
    return calls


def sign_in_and_open_profile(client, calls) -> dict:
    steps = {}
    response = client.get("/login")
    steps["login"], calls[:] = list(calls), []
    response = client.get("/auth/callback", query_string=_finish(response.location, ADELE))
    assert response.status_code == 302
    steps["callback"], calls[:] = list(calls), []
    assert client.get("/profile").status_code == 200
    steps["profile"] = list(calls)
    return steps


def test_a_sign_in_writes_each_record_once(client, store_calls):
    steps = sign_in_and_open_profile(client, store_calls)
    writes = {step: [c for c in calls if c[0] != "get"] for step, calls in steps.items()}
    assert writes == {
        "login": [("set", "session")],  # the flow (PKCE verifier, state, nonce)
        "callback": [("delete", "tokens"), ("delete", "session"),  # the old id's, rotated away
                     ("set", "tokens"),
                     ("set", "delegation"),  # this vault acts for the person's sends now
                     ("set", "session")],
        "profile": [("set", "session")],  # the "signed in" message was shown, so removed
    }


def test_the_profile_reads_the_token_vault_once(client, store_calls):
    # login_required(scopes=...) and the Graph call both ask for the token.
    steps = sign_in_and_open_profile(client, store_calls)
    assert steps["profile"].count(("get", "tokens")) == 1


def test_the_store_keeps_no_shared_counter_file(client, sign_in, app):
    # cachelib's threshold kept a count in one more file, rewritten on every record created
    # or deleted: three extra file replacements per sign-in.
    sign_in(client)
    client.get("/profile")
    names = {p.name for p in Path(app.config["SESSION_DIR"]).iterdir()}
    assert hashlib.sha256(b"__wz_cache_count").hexdigest() not in names  # cachelib's name for it
    # the session, its token vault and which vault acts for the person's sends; nothing else
    assert len(names - {"locks"}) == 3
