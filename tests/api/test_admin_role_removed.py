"""An administrator whose Mailer.Admin app role is taken away (in the emulator, as an admin
would under Enterprise applications) loses the admin pages in the session already open, at the
next re-check (ROLE_CHECK_EVERY), through the real sign-in and a real silent token refresh; the
keys they made keep working, as the keys page says."""
from __future__ import annotations

import re

import flask

from api.api_support import ADMIN, ALEX, SALES, bearer, csrf_token

KEY = re.compile(r'id="new-key-value" value="(mk_[^"]+)"')
ADMIN_LINK = re.compile(r'href="/admin/"')


def _rewind_role_check(app, browser, seconds: int) -> None:
    """Make the session's last role check ``seconds`` older, as if that much time had passed."""
    sid = browser.cookies["mailer_session"]
    with app.test_request_context(headers={"Cookie": f"mailer_session={sid}"}):
        stored = app.session_interface.open_session(app, flask.request)
        user = dict(stored["user"])
        user["roles_checked_at"] = (user.get("roles_checked_at") or user["signed_in_at"]) - seconds
        stored["user"] = user
        app.session_interface.save_session(app, stored, app.response_class())


def test_a_removed_admin_is_refused_at_the_next_check_and_cannot_make_keys(
        live_app, live_sign_in, emu, https, http):
    admin = live_sign_in(ADMIN)
    page = admin.get(f"{live_app.url}/admin/keys", timeout=30)
    assert page.status_code == 200 and 'id="keys-outlive-makers"' in page.text
    made = admin.post(f"{live_app.url}/admin/keys", timeout=30, data={
        "csrf_token": csrf_token(page.text), "name": "before", "senders": SALES})
    assert made.status_code == 201
    key = KEY.search(made.text).group(1)

    client_id = emu.client_config()["client_id"]
    removed = https.delete(f"{emu.api_url}/_emulator/identity/app-role-assignments/{client_id}/"
                           f"{ADMIN}/Mailer.Admin", timeout=10)
    assert removed.status_code == 200 and removed.json()["roles"] == []
    every = live_app.app.config["ROLE_CHECK_EVERY"]
    assert every == 300  # the default: within it the session is not asked about again
    assert admin.get(f"{live_app.url}/admin/keys", timeout=30).status_code == 200

    _rewind_role_check(live_app.app, admin, every)
    refused = admin.get(f"{live_app.url}/admin/keys", timeout=30)
    assert refused.status_code == 403 and "Mailer.Admin" in refused.text
    assert "does not hold it now" in refused.text and not ADMIN_LINK.search(refused.text)
    attempt = admin.post(f"{live_app.url}/admin/keys", timeout=30, data={
        "csrf_token": csrf_token(page.text), "name": "after", "senders": SALES})
    assert attempt.status_code == 403 and "mk_" not in attempt.text
    dashboard = admin.get(f"{live_app.url}/", timeout=30)
    assert dashboard.status_code == 200 and not ADMIN_LINK.search(dashboard.text)

    sent = http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key), timeout=30,
                     json={"from": SALES, "to": [ALEX], "subject": "k", "text": "k"})
    assert sent.status_code == 202, sent.text  # its maker's role is gone; the key is not

    https.put(f"{emu.api_url}/_emulator/identity/app-role-assignments/{client_id}/{ADMIN}/"
              "Mailer.Admin", timeout=10)
    _rewind_role_check(live_app.app, admin, every)
    assert admin.get(f"{live_app.url}/admin/keys", timeout=30).status_code == 200  # given back


def test_a_role_check_after_the_sign_in_was_revoked_asks_to_sign_in(live_app, live_sign_in,
                                                                      emu, https):
    admin = live_sign_in(ADMIN)
    assert admin.get(f"{live_app.url}/admin/", timeout=30).status_code == 200
    https.post(f"{emu.api_url}/_emulator/identity/users/{ADMIN}/revoke", timeout=10)
    _rewind_role_check(live_app.app, admin, live_app.app.config["ROLE_CHECK_EVERY"])
    answer = admin.get(f"{live_app.url}/admin/keys", timeout=30, allow_redirects=False)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
