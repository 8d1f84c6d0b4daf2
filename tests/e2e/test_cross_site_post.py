"""A cross-site form posted at the app, over real HTTP: what SameSite=Lax makes of it (a POST
without the session cookie) starts no session, sets no cookie (so it cannot replace a signed-in
person's) and leaves nothing of what it posted for later, not even after the person signs in."""
from __future__ import annotations

import re

import pytest

from app_fixtures import ADELE, _finish

EVIL = {"Origin": "https://evil.example", "Referer": "https://evil.example/page"}
DRAFT = re.compile(r"/compose/([0-9a-f-]{36})$")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _open_draft(http, url) -> tuple[str, str]:
    page = http.get(f"{url}/compose", timeout=30)
    assert page.status_code == 200, page.text[:300]
    return DRAFT.search(page.url).group(1), CSRF.search(page.text).group(1)


def _cross_site(url: str, path: str, data: dict):
    """The attacker's page's form, as the victim's browser sends it: no cookie of the app."""
    import requests
    with requests.Session() as stranger:
        stranger.trust_env = False
        return stranger.post(url + path, data=data, headers=EVIL, allow_redirects=False,
                             timeout=30)


def _sign_in_again(live_app, browser, next_path: str) -> None:
    start = browser.get(f"{live_app.url}/login", params={"next": next_path},
                        allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text[:300]
    params = _finish(start.headers["Location"], ADELE)
    back = browser.get(f"{live_app.url}/auth/callback", params=params, allow_redirects=False,
                       timeout=30)
    assert back.status_code == 302, back.text[:300]


def test_a_cross_site_post_to_a_draft_plants_nothing_and_signs_nobody_out(live_app,
                                                                          live_sign_in):
    victim = live_sign_in(ADELE)
    draft_id, token = _open_draft(victim, live_app.url)
    saved = victim.post(f"{live_app.url}/compose/{draft_id}/autosave", timeout=30, data={
        "csrf_token": token, "to": "megan@contoso.example", "subject": "Mine",
        "body_type": "text", "body": "My words", "importance": "normal"},
        headers={"Accept": "application/json"})
    assert saved.status_code == 200, saved.text[:300]
    cookie = victim.cookies["mailer_session"]

    attack = _cross_site(live_app.url, f"/compose/{draft_id}", {
        "action": "send", "to": "attacker@evil.example", "subject": "Planted",
        "body_type": "text", "body": "Wire the money", "importance": "normal"})
    assert attack.status_code == 303 and "/login" in attack.headers["Location"]
    assert "Set-Cookie" not in attack.headers
    victim.cookies.update(attack.cookies)  # what a browser would take from the answer: nothing
    assert victim.cookies["mailer_session"] == cookie
    assert "Adele" in victim.get(f"{live_app.url}/", timeout=30).text  # still signed in

    _sign_in_again(live_app, victim, f"/compose/{draft_id}")  # as the redirect invited
    page = victim.get(f"{live_app.url}/compose/{draft_id}", timeout=30).text
    assert "Planted" not in page and "attacker@evil.example" not in page
    assert "Wire the money" not in page and "Mine" in page and "My words" in page


@pytest.mark.parametrize("path", [
    "/compose/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
    "/compose/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12 + "/autosave",
    "/logout", "/admin/keys", "/nowhere",
])
def test_no_post_without_a_session_gets_a_cookie(live_app, path):
    answer = _cross_site(live_app.url, path, {"subject": "x", "name": "x"})
    assert answer.status_code < 500, answer.text[:300]
    assert "Set-Cookie" not in answer.headers, (path, answer.headers)
