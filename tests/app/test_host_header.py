"""A forged Host header never chooses where Microsoft sends a sign-in (or a sign-out) back.

The defect: without REDIRECT_URI the redirect URI was built from whatever Host a request named,
so a link through a forged host sent codes there. Now, outside demo mode, REDIRECT_URI or
TRUSTED_HOSTS is required (config.py), and the demo derives it for loopback hosts only.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from app import create_app

EVIL = "evil.example"


def _redirect_uri(response) -> str:
    return parse_qs(urlsplit(response.location).query)["redirect_uri"][0]


def test_an_unlisted_host_is_refused_before_any_sign_in(client):
    response = client.get("/login", headers={"Host": EVIL})
    assert response.status_code == 400 and response.location is None
    assert EVIL not in str(response.headers)
    assert "does not answer to that host name" in response.get_data(as_text=True)
    assert _redirect_uri(client.get("/login")) == "http://localhost/auth/callback"


def test_a_forged_host_behind_a_proxy_is_refused_too(app_config, emu):
    app = create_app({**app_config, "TRUST_PROXY": "1"}, environ={})
    response = app.test_client().get("/login", headers={"X-Forwarded-Host": EVIL,
                                                        "X-Forwarded-Proto": "https"})
    assert response.status_code == 400 and response.location is None


def test_with_redirect_uri_set_sign_in_and_sign_out_ignore_the_host(app_config, emu, sign_in):
    configured = "https://mail.example.org/auth/callback"
    app = create_app({**app_config, "REDIRECT_URI": configured, "TRUSTED_HOSTS": None},
                     environ={})
    assert app.config["TRUSTED_HOSTS"] is None
    emu.state.add_redirect_uri(configured)
    emu.state.add_redirect_uri("https://mail.example.org/")
    client = app.test_client()
    assert _redirect_uri(client.get("/login", headers={"Host": EVIL})) == configured
    sign_in(client)
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    # The browser of someone lured through the forged host sends its cookie there too.
    client.set_cookie("mailer_session", client.get_cookie("mailer_session").value, domain=EVIL)
    response = client.post("/logout", data={"csrf_token": token}, headers={"Host": EVIL})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert "post_logout_redirect_uri=" + "https%3A%2F%2Fmail.example.org%2F" in response.location
    assert EVIL not in unquote(response.location)


def test_the_demo_derives_the_redirect_uri_for_loopback_hosts_only(emu, tmp_path):
    app = create_app({}, environ={"EMULATOR_STATE_DIR": str(emu.state_dir),
                                  "APP_STATE_DIR": str(tmp_path / "app")})
    assert app.config["DEMO_MODE"] and app.config["TRUSTED_HOSTS"] is None
    client = app.test_client()
    forged = client.get("/login", headers={"Host": EVIL})
    assert forged.status_code == 400 and forged.location is None
    assert "only at localhost or 127.0.0.1" in forged.get_data(as_text=True)
    for host in ("127.0.0.1:5000", "localhost:5000"):
        response = client.get("/login", headers={"Host": host})
        assert _redirect_uri(response) == f"http://{host}/auth/callback"
