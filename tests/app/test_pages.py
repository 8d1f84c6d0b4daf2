"""The app through its factory, signed out: pages, headers, error pages, CSRF, redirects."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from config import ConfigError


def flow_of(client) -> dict:
    """The sign-in flow /login left in the server-side session."""
    with client.session_transaction() as session:
        (flow,) = session["auth_flows"].values()
        return flow


def test_landing_page_sets_no_cookie_and_offers_sign_in(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="sign-in"' in page and "Sign in with Microsoft" in page
    assert "Set-Cookie" not in response.headers  # a visitor costs no session
    assert "/bootstrap/static/css/bootstrap.min.css" in page  # Bootstrap served locally
    assert "cdn.jsdelivr" not in page


def test_bootstrap_and_app_assets_are_served_locally(client):
    for url in ("/bootstrap/static/css/bootstrap.min.css", "/bootstrap/static/js/bootstrap.min.js",
                "/bootstrap/static/css/font/bootstrap-icons.min.css", "/static/app.js",
                "/static/app.css"):
        # A file is sent streamed from disk: closing the response closes the file.
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.headers.get("Cache-Control") != "no-store"


def test_security_headers(client, app_config):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    # Sign-out is a form POST that ends at the identity provider's logout page.
    assert app_config["DEMO_PAGES_URL"] in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # plain http here


def test_hsts_and_secure_cookie_over_https(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("path", ["/profile", "/token"])
def test_pages_need_sign_in_and_come_back_after(client, path):
    response = client.get(path + "?tab=1")
    assert response.status_code == 302
    assert response.location == f"/login?next={path}?tab%3D1"


def test_login_sends_the_browser_to_the_authority_with_pkce_state_nonce(client, app_config):
    response = client.get("/login")
    assert response.status_code == 302
    url = urlsplit(response.location)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}" == app_config["DEMO_PAGES_URL"]
    assert query["redirect_uri"] == "http://localhost/auth/callback"
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["prompt"] == "select_account"
    assert set(query["scope"].split()) == {"User.Read", "openid", "profile", "offline_access"}
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert flow_of(client)["state"] == query["state"]  # the flow stays on the server


def test_incremental_consent_adds_the_scopes_asked(client):
    response = client.get("/login?scopes=Mail.Send%20Mail.Send.Shared")
    scope = parse_qs(urlsplit(response.location).query)["scope"][0].split()
    assert {"User.Read", "Mail.Send", "Mail.Send.Shared"} <= set(scope)


def test_login_refuses_scopes_the_app_never_asks_for(client):
    response = client.get("/login?scopes=Files.ReadWrite.All")
    assert response.status_code == 400
    assert "never asks for Files.ReadWrite.All" in response.get_data(as_text=True)


@pytest.mark.parametrize("target, kept", [
    ("/profile", "/profile"),
    ("/token?x=1", "/token?x=1"),
    ("https://evil.example/", "/"),
    ("//evil.example/path", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/ok\r\nSet-Cookie: x=1", "/"),
    ("", "/"),
])
def test_next_is_followed_only_to_a_local_path(client, target, kept):
    client.get("/login", query_string={"next": target})
    assert flow_of(client)["next_url"] == kept


def test_callback_with_a_state_nobody_started_explains_and_offers_try_again(client):
    client.get("/login")
    response = client.get("/auth/callback?code=abc&state=forged")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This sign-in answer is stale" in page and 'id="try-again"' in page
    assert "Traceback" not in page


def test_callback_with_no_session_at_all(client):
    response = client.get("/auth/callback?code=abc&state=xyz")
    assert response.status_code == 400 and "stale" in response.get_data(as_text=True)


def test_callback_with_an_error_from_microsoft(client):
    client.get("/login")
    state = flow_of(client)["state"]
    response = client.get("/auth/callback", query_string={
        "state": state, "error": "access_denied",
        "error_description": "AADSTS65004: User declined to consent to access the app."})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Permission declined" in page and "AADSTS65004" in page and 'id="try-again"' in page


def test_logout_needs_the_csrf_token(client):
    response = client.post("/logout")
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_logout_with_the_csrf_token_when_signed_out(client):
    client.get("/login")  # a session exists, nobody signed in
    response = client.post("/logout", data={"csrf_token": _csrf(client)})
    assert response.status_code == 303 and response.location == "/"
    assert client.get_cookie("mailer_session") is None  # the session is gone


def _csrf(client) -> str:
    """A CSRF token bound to the client's session, as a rendered form would carry."""
    with client.application.test_request_context():
        from flask import session as flask_session
        from flask_wtf.csrf import generate_csrf
        with client.session_transaction() as stored:
            flask_session.update(stored)
            token = generate_csrf()
            stored.update(flask_session)
        return token


@pytest.mark.parametrize("method, path, status, words", [
    ("GET", "/no/such/page", 404, "Page not found"),
    ("GET", "/logout", 405, "Not allowed here"),
])
def test_http_errors_are_friendly_pages(client, method, path, status, words):
    response = client.open(path, method=method)
    page = response.get_data(as_text=True)
    assert response.status_code == status and words in page
    assert "<nav" in page and "Traceback" not in page


def test_forbidden_is_a_friendly_page(app_config, emu):
    from flask import abort

    app = create_app(app_config, environ={})
    app.add_url_rule("/closed", "closed", lambda: abort(403))
    response = app.test_client().get("/closed")
    assert response.status_code == 403 and "Not allowed" in response.get_data(as_text=True)


def test_a_body_too_large_is_a_413_page(app_config, emu):
    app = create_app({**app_config, "MAX_CONTENT_LENGTH": 1000}, environ={})
    response = app.test_client().post("/logout", data={"x": "y" * 5000})
    assert response.status_code == 413 and "Too large" in response.get_data(as_text=True)


def test_an_unexpected_error_is_a_500_page_without_a_traceback(app_config, emu, caplog):
    app = create_app(app_config, environ={})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page
    assert response.headers["X-Request-ID"] in page  # a reference to find the log line
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


def test_a_garbage_session_cookie_is_no_session(client):
    client.set_cookie("mailer_session", "../../etc/passwd;%00" + "x" * 3000)
    response = client.get("/")
    assert response.status_code == 200 and 'id="sign-in"' in response.get_data(as_text=True)
    response = client.get("/login")
    assert response.status_code == 302
    new_sid = client.get_cookie("mailer_session").value
    assert "passwd" not in new_sid and len(new_sid) == 43  # a fresh random id


def test_redirect_uri_behind_a_tls_proxy(app_config, emu):
    app = create_app({**app_config, "TRUST_PROXY": "1", "TRUSTED_HOSTS": "mail.example.org"},
                     environ={})
    response = app.test_client().get("/login", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "mail.example.org"})
    query = parse_qs(urlsplit(response.location).query)
    assert query["redirect_uri"] == ["https://mail.example.org/auth/callback"]
    assert "Secure" in response.headers["Set-Cookie"]


def test_plain_http_on_a_public_host_is_refused_before_microsoft_does(app_config, emu):
    app = create_app({**app_config, "TRUSTED_HOSTS": "mail.example.org"}, environ={})
    response = app.test_client().get("/login", base_url="http://mail.example.org")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "Sign-in needs https here" in page
    assert "TRUST_PROXY=1" in page and "http://mail.example.org/auth/callback" in page


def test_an_explicit_redirect_uri_wins(app_config, emu):
    app = create_app({**app_config, "REDIRECT_URI": "https://mail.example.org/signin/done"},
                     environ={})
    response = app.test_client().get("/login")
    assert parse_qs(urlsplit(response.location).query)["redirect_uri"] == [
        "https://mail.example.org/signin/done"]
    assert app.url_map.bind("x").match("/signin/done")[0] == "auth.callback"


def test_create_app_checks_overrides_too(app_config):
    with pytest.raises(ConfigError, match="AUTHORITY must be an https:// URL"):
        create_app({**app_config, "AUTHORITY": "http://127.0.0.1/common"}, environ={})


def test_an_unreachable_authority_is_a_page_not_a_500(app_config):
    app = create_app({**app_config, "AUTHORITY": "https://127.0.0.1:9/common"}, environ={})
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert "sign-in service could not be reached" in response.get_data(as_text=True)
