"""The session store failing: Redis unreachable is a clear 503 page, never a traceback."""
from __future__ import annotations

import pytest
import redis

from app import create_app
from app_fixtures import ADELE, LiveApp, _finish, _free_port


@pytest.fixture
def live_without_redis(app_config, emu):
    app = create_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0"},
                     environ={})
    live = LiveApp(app)
    live.thread.start()
    yield live
    live.stop()


def assert_store_down(response):
    assert response.status_code == 503
    assert "cannot reach its session store" in response.text
    assert "Traceback" not in response.text and "ConnectionError" not in response.text
    assert f"Reference: <code>{response.headers['X-Request-ID']}</code>" in response.text


def test_redis_unreachable_is_a_clear_503(live_without_redis):
    live, http = live_without_redis, live_without_redis.session()
    # A first visit needs no stored session: the landing page still shows...
    landing = http.get(live.url + "/")
    assert landing.status_code == 200 and 'id="sign-in"' in landing.text
    # ...but signing in must store the flow: it says why it cannot.
    assert_store_down(http.get(live.url + "/login", allow_redirects=False))
    assert http.get(live.url + "/static/app.css").status_code == 200  # the error page is styled


def test_redis_unreachable_with_a_session_cookie(live_without_redis):
    live, http = live_without_redis, live_without_redis.session()
    http.cookies.set("mailer_session", "A" * 43)
    for path in ("/", "/profile", "/token"):
        assert_store_down(http.get(live.url + path, allow_redirects=False))


@pytest.mark.redis
def test_redis_going_away_mid_session(app_config, emu, redis_server):
    """Signed in with Redis, then Redis refuses every connection: the next page is a 503."""
    app = create_app({**app_config, "REDIS_URL": redis_server}, environ={})
    live = LiveApp(app)
    emu.state.add_redirect_uri(f"{live.url}/auth/callback")
    live.thread.start()
    admin = redis.Redis.from_url(redis_server)
    try:
        http = live.session()
        start = http.get(live.url + "/login", allow_redirects=False)
        params = _finish(start.headers["Location"], ADELE)
        http.get(live.url + "/auth/callback", params=params)
        assert http.get(live.url + "/profile").status_code == 200
        admin.config_set("requirepass", "now-locked")
        admin.client_kill_filter(_type="normal", skipme=True)  # the app's pooled connections
        assert_store_down(http.get(live.url + "/profile", allow_redirects=False))
    finally:
        admin.config_set("requirepass", "")
        live.stop()
