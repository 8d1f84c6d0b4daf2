"""Signing in and out through the factory-built app, real MSAL, the real emulator over TLS.

Besides what the user sees, these assert what the server holds: the cookie carries only a
session id, the token cache is encrypted at rest, nothing token-shaped reaches the logs.
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cachelib import FileSystemCache

from app_fixtures import ADELE, SAM, _finish
from mailer.identity.tokens import CacheCipher, decode_jwt


def stored(app, key: str):
    """A record of the file session store, read as the app reads it."""
    return FileSystemCache(app.config["SESSION_DIR"]).get(key)


def vault_blob(app, client) -> str | None:
    return stored(app, f"tokens:{client.get_cookie('mailer_session').value}")


def cache_of(app, client) -> dict:
    import json

    text = CacheCipher(app.config["TOKEN_CACHE_KEY"]).decrypt(vault_blob(app, client))
    return json.loads(text)


def secrets_in(cache: dict) -> list[str]:
    return [entry["secret"] for kind in ("AccessToken", "RefreshToken", "IdToken")
            for entry in cache.get(kind, {}).values()]


def test_work_account_signs_in_and_sees_the_dashboard(client, sign_in):
    user = sign_in(client, ADELE)
    assert user["name"] == "Adele Vance" and user["username"] == ADELE
    assert user["personal"] is False
    page = client.get("/").get_data(as_text=True)
    assert "Hello, Adele" in page and 'id="sign-out"' in page and "Signed in as Adele Vance" in page


def test_session_id_changes_at_sign_in_and_the_cookie_holds_only_that_id(client, sign_in, app):
    client.get("/login")
    before = client.get_cookie("mailer_session").value
    sign_in(client)
    after = client.get_cookie("mailer_session").value
    assert after != before and len(after) == 43 and "." not in after
    assert stored(app, f"session:{before}") is None  # the pre-sign-in session is gone
    session = stored(app, f"session:{after}")
    assert session["user"]["username"] == ADELE
    # The token cache is its own record, encrypted; the session record holds no token.
    cache = cache_of(app, client)
    tokens = secrets_in(cache)
    assert len(tokens) == 3
    raw = vault_blob(app, client)
    assert raw.startswith("gAAAA")  # Fernet
    for token in tokens:
        assert token not in raw and token not in repr(session) and token not in after


def test_profile_shows_every_default_field(client, sign_in):
    sign_in(client)
    response = client.get("/profile")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    for field, value in [("displayName", "Adele Vance"), ("jobTitle", "Retail Manager"),
                         ("mail", ADELE), ("businessPhones", "+1 425 555 0109"),
                         ("officeLocation", "18/2111"), ("preferredLanguage", "en-US")]:
        assert f'data-field="{field}">{value}<' in page
    assert 'data-field="mobilePhone"><span class="text-body-tertiary">not set' in page


def test_graph_errors_on_the_profile_are_shown_in_words(client, sign_in, emu):
    sign_in(client)
    user = emu.state.directory.user(ADELE)
    del emu.state.directory.users[user.id]  # Graph no longer knows the signed-in user
    response = client.get("/profile")
    page = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "could not return your profile" in page and 'id="graph-error"' in page
    assert "Traceback" not in page


def test_token_page_decodes_claims_and_masks_the_access_token(client, sign_in, app):
    sign_in(client)
    response = client.get("/token")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    cache = cache_of(app, client)
    (access,) = [e["secret"] for e in cache["AccessToken"].values()]
    (refresh,) = [e["secret"] for e in cache["RefreshToken"].values()]
    (id_token,) = [e["secret"] for e in cache["IdToken"].values()]
    assert page.count(access) == 1  # only inside the hidden element, revealed on request
    assert f'id="raw-access-token" hidden>{access}</code>' in page
    assert refresh not in page and id_token not in page
    assert 'data-claim="oid"' in page and 'data-claim="scp"' in page
    assert "Adele Vance" in page and "User.Read" in page
    assert 'data-expires-at="' in page
    assert decode_jwt(access)["claims"]["upn"] == ADELE


def test_personal_account_token_is_opaque_and_that_is_fine(client, sign_in):
    user = sign_in(client, SAM)
    assert user["personal"] is True
    page = client.get("/token").get_data(as_text=True)
    assert 'id="opaque-note"' in page and "opaque" in page
    assert 'id="id-claims"' in page  # the id token is a JWT still
    assert "User.Read" in page  # scopes come from the token response


def test_refresh_now_gets_a_new_access_token(client, sign_in, app):
    sign_in(client)
    first = secrets_in(cache_of(app, client))
    page = client.get("/token").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/token/refresh", data={"csrf_token": token})
    assert response.status_code == 303 and response.location == "/token"
    (access,) = [e["secret"] for e in cache_of(app, client)["AccessToken"].values()]
    assert access not in first


def test_sign_out_clears_the_server_side_session_then_signs_out_at_microsoft(client, sign_in,
                                                                             app, app_config):
    sign_in(client)
    sid = client.get_cookie("mailer_session").value
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    url = urlsplit(response.location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        app_config["DEMO_PAGES_URL"] + "/common/oauth2/v2.0/logout")  # from discovery
    assert parse_qs(url.query)["post_logout_redirect_uri"] == ["http://localhost/"]
    assert stored(app, f"session:{sid}") is None and stored(app, f"tokens:{sid}") is None
    assert client.get_cookie("mailer_session") is None
    assert client.get("/profile").status_code == 302


def test_another_account_never_gets_the_previous_accounts_token(client, sign_in, app):
    sign_in(client, ADELE)
    old_sid = client.get_cookie("mailer_session").value
    sign_in(client, "megan@contoso.example")  # without signing out first
    page = client.get("/token").get_data(as_text=True)
    access = page.split('id="raw-access-token" hidden>')[1].split("<")[0]
    assert decode_jwt(access)["claims"]["upn"] == "megan@contoso.example"
    assert stored(app, f"tokens:{old_sid}") is None  # Adele's tokens are gone
    assert "Megan Bowen" in client.get("/profile").get_data(as_text=True)


def test_a_replayed_callback_is_refused_and_the_sign_in_stands(client, app):
    response = client.get("/login")
    params = _finish(response.location, ADELE)
    assert client.get("/auth/callback", query_string=params).status_code == 302
    replay = client.get("/auth/callback", query_string=params)
    assert replay.status_code == 400 and "stale" in replay.get_data(as_text=True)
    assert client.get("/profile").status_code == 200


def test_a_code_redeemed_twice_is_refused_by_microsoft(client, app, emu):
    """The same code with its own flow, twice (as a second tab or a replaying proxy would)."""
    client.get("/login")
    with client.session_transaction() as session:
        flows = dict(session["auth_flows"])
    (flow,) = flows.values()
    params = _finish(flow["auth_uri"], ADELE)
    assert client.get("/auth/callback", query_string=params).status_code == 302
    with client.session_transaction() as session:  # put the used flow back
        session["auth_flows"] = flows
    response = client.get("/auth/callback", query_string=params)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "AADSTS54005" in page and 'id="try-again"' in page


def test_cancelled_consent_explains_and_offers_try_again(client):
    response = client.get("/login")
    params = _finish(response.location, ADELE, consent=False)
    response = client.get("/auth/callback", query_string=params)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'id="try-again"' in page and "access_denied" in page


def test_a_wrong_client_secret_is_explained(app_config, emu, sign_in):
    from app import create_app

    app = create_app({**app_config, "CLIENT_SECRET": "not-the-secret"}, environ={})
    client = app.test_client()
    response = client.get("/login")
    params = _finish(response.location, ADELE)
    response = client.get("/auth/callback", query_string=params)
    page = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "client secret is wrong" in page and "AADSTS7000215" in page
    assert "not-the-secret" not in page


def test_incremental_consent_for_a_view_that_needs_more(app_config, emu, sign_in):
    from app import create_app
    from mailer.web.auth import get_token, login_required

    app = create_app(app_config, environ={})

    @app.get("/needs-mail")
    @login_required(scopes=["Mail.Send"])
    def needs_mail():
        return " ".join(get_token(["Mail.Send"])["scopes"])

    client = app.test_client()
    sign_in(client)
    response = client.get("/needs-mail")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.location).query)
    assert query == {"next": ["/needs-mail"], "scopes": ["Mail.Send"]}
    sign_in(client, scopes=["Mail.Send"])
    assert "Mail.Send" in client.get("/needs-mail").get_data(as_text=True).split()


def test_a_token_cache_that_no_key_opens_means_signing_in_again(client, sign_in, app):
    sign_in(client)
    sid = client.get_cookie("mailer_session").value
    FileSystemCache(app.config["SESSION_DIR"]).set(f"tokens:{sid}", "gAAAAAdamaged")
    response = client.get("/profile")
    assert response.status_code == 302 and response.location.startswith("/login?next=/profile")


def test_no_token_reaches_the_logs(client, sign_in, app, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client)
    client.get("/profile")
    client.get("/token")
    secrets = secrets_in(cache_of(app, client))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "signed in" in logged  # the logs were captured
    for secret in secrets:
        assert secret not in logged


def test_session_file_is_private(client, sign_in, app):
    sign_in(client)
    files = [p for p in Path(app.config["SESSION_DIR"]).iterdir() if p.is_file()]
    assert len(files) >= 2  # the session and its token vault
    assert all(p.stat().st_mode & 0o077 == 0 for p in files)


@pytest.mark.parametrize("path", ["/", "/profile", "/token"])
def test_signed_in_pages_are_never_cached(client, sign_in, path):
    sign_in(client)
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_no_redirect_loop_when_a_new_sign_in_still_brings_no_token(app_config, emu, sign_in):
    from app import create_app
    from mailer.web.auth import login_required

    app = create_app(app_config, environ={})
    app.add_url_rule("/needs-mail", "needs_mail",
                     login_required(scopes=["Mail.Send"])(lambda: "ok"))
    client = app.test_client()
    sign_in(client)
    assert client.get("/needs-mail").status_code == 302  # off to consent, once
    sign_in(client)  # back signed in, but without Mail.Send (as if it had been dropped)
    response = client.get("/needs-mail")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "still gives no token" in page
    assert 'id="try-again"' in page


def test_a_graph_call_that_needs_consent_asks_for_exactly_those_scopes(app_config, emu, sign_in):
    from app import create_app
    from mailer.web.auth import graph_client, login_required

    app = create_app(app_config, environ={})

    @app.get("/send-check")
    @login_required
    def send_check():  # not declared on the decorator: found out during the call
        graph_client(["Mail.Send"]).me()
        return "ok"

    client = app.test_client()
    sign_in(client)
    response = client.get("/send-check")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.location).query) == {
        "next": ["/send-check"], "scopes": ["Mail.Send"]}
