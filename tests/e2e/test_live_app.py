"""End to end over real loopback HTTP: the app in a werkzeug thread, real MSAL, the emulator on
TLS, the sign-in pages answered by ``requests``; sessions on files or in a real redis-server."""
from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from cachelib import FileSystemCache, RedisCache

from app_fixtures import ADELE, SAM
from mailer.identity.tokens import CacheCipher, decode_jwt


@pytest.fixture(params=["files", pytest.param("redis", marks=pytest.mark.redis)])
def app_config(request, app_config):
    """Every test here runs twice: sessions on files, and in Redis."""
    if request.param == "redis":
        return {**app_config, "REDIS_URL": request.getfixturevalue("redis_server")}
    return app_config


def access_token_on(page: str) -> str:
    return re.search(r'id="raw-access-token" hidden>([^<]+)<', page).group(1)


def test_work_and_personal_accounts_end_to_end(live_sign_in, live_app):
    for username, name, kind in [(ADELE, "Adele Vance", "JWT"), (SAM, "Sam Taylor", "opaque")]:
        http = live_sign_in(username)
        home = http.get(live_app.url + "/").text
        assert f"Hello, {name.split()[0]}" in home and 'id="sign-out"' in home
        profile = http.get(live_app.url + "/profile")
        assert profile.status_code == 200 and f'data-field="displayName">{name}<' in profile.text
        token = http.get(live_app.url + "/token")
        assert token.status_code == 200 and f">{kind}</span>" in token.text
        assert token.headers["Cache-Control"] == "no-store"


def test_the_cookie_is_only_a_session_id(live_sign_in, live_app):
    http = live_sign_in()
    (cookie,) = list(http.cookies)
    assert cookie.name == "mailer_session" and re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie.value)
    assert cookie.has_nonstandard_attr("HttpOnly")
    token = access_token_on(http.get(live_app.url + "/token").text)
    assert token not in cookie.value


def test_an_expired_access_token_is_refreshed_silently_on_the_next_page(live_sign_in, live_app,
                                                                        emu):
    emu.state.tokens.access_token_lifetime = 1  # under MSAL's 5-minute margin: already stale
    http = live_sign_in()
    first = access_token_on(http.get(live_app.url + "/token").text)
    refresh_tokens = len(emu.state.refresh_tokens)
    emu.state.tokens.access_token_lifetime = 3600
    profile = http.get(live_app.url + "/profile", allow_redirects=False)
    assert profile.status_code == 200 and "Adele Vance" in profile.text  # no trip to sign-in
    refreshes = len(emu.state.refresh_tokens) - refresh_tokens
    assert refreshes == 1
    second = access_token_on(http.get(live_app.url + "/token").text)
    assert second != first and decode_jwt(second)["claims"]["exp"] > decode_jwt(first)["claims"]["exp"]


def test_concurrent_requests_of_one_session_refresh_once(live_sign_in, live_app, emu):
    """Peers' pain point 8: the per-session lock, and the cache re-read under it."""
    emu.state.tokens.access_token_lifetime = 1
    http = live_sign_in()
    emu.state.tokens.access_token_lifetime = 3600
    before = len(emu.state.refresh_tokens)
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: http.get(live_app.url + "/profile"), range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    refreshes = len(emu.state.refresh_tokens) - before
    assert refreshes == 1


def test_server_side_store_holds_the_session_and_an_encrypted_cache(live_sign_in, live_app, app):
    http = live_sign_in()
    sid = http.cookies["mailer_session"]
    token = access_token_on(http.get(live_app.url + "/token").text)
    if app.config.get("REDIS_URL"):
        client = redis.Redis.from_url(app.config["REDIS_URL"])
        assert client.exists(f"session:{sid}")
        raw = client.get(f"mailer:tokens:{sid}")
        assert token.encode() not in raw and token.encode() not in client.get(f"session:{sid}")
        blob = RedisCache(host=client, key_prefix="mailer:").get(f"tokens:{sid}")
    else:
        blob = FileSystemCache(app.config["SESSION_DIR"]).get(f"tokens:{sid}")
    cache = json.loads(CacheCipher(app.config["TOKEN_CACHE_KEY"]).decrypt(blob))
    assert token in [e["secret"] for e in cache["AccessToken"].values()]


def test_sign_out_ends_at_the_apps_home(live_sign_in, live_app):
    http = live_sign_in()
    page = http.get(live_app.url + "/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = http.post(live_app.url + "/logout", data={"csrf_token": csrf})
    assert response.status_code == 200 and response.url == live_app.url + "/"
    assert 'id="sign-in"' in response.text  # back on the landing page, signed out
    assert "mailer_session" not in http.cookies
    assert http.get(live_app.url + "/profile", allow_redirects=False).status_code == 302


def test_no_token_in_any_log_line(live_sign_in, live_app, emu, caplog):
    """Sign-in, a silent refresh, the token page and sign-out: MSAL, urllib3, werkzeug, the app
    and the emulator all log at DEBUG, and no token string shows up in any of it."""
    caplog.set_level("DEBUG")
    emu.state.tokens.access_token_lifetime = 1
    http = live_sign_in()
    emu.state.tokens.access_token_lifetime = 3600
    page = http.get(live_app.url + "/token").text  # refreshes: the sign-in's token was stale
    secrets = [access_token_on(page)]
    for record in emu.state.refresh_tokens:
        secrets.append(record)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    http.post(live_app.url + "/logout", data={"csrf_token": csrf})
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "msal" in logged and "mailer" in logged  # DEBUG records were captured
    for secret in secrets:
        assert secret not in logged
    assert not re.search(r"eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.", logged)  # nor any other JWT
