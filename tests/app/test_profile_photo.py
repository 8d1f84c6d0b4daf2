"""The profile photo through the factory: Graph's photo when there is one, else initials."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from emulator.graph.directory.photos import photo_bytes
from mailer.web.avatar import PALETTE

ADELE, ALEX, MEGAN = "adele@contoso.example", "alex@contoso.example", "megan@contoso.example"
SAM = "sam.taylor@outlook.example"
SVG = "{http://www.w3.org/2000/svg}"


def photo_src(page: str, element_id: str) -> str:
    match = re.search(rf'<img[^>]*id="{element_id}"[^>]*src="([^"]+)"', page)
    assert match, f"no #{element_id} image in the page"
    return match.group(1).replace("&amp;", "&")


def faults(https, emu, **rule) -> list[dict]:
    """Add a rule (if given) through the emulator's fault API; return the live rules."""
    if rule:
        assert https.post(f"{emu.api_url}/_emulator/faults", json=rule,
                          timeout=10).status_code == 201
    return https.get(f"{emu.api_url}/_emulator/faults", timeout=10).json()["faults"]


def initials_of(response) -> tuple[str, str]:
    """(initials, circle colour) of an initials picture; fails on anything else."""
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.get_data())
    return root.find(f"{SVG}text").text, root.find(f"{SVG}circle").get("fill")


@pytest.mark.parametrize("user, content_type, size", [(ADELE, "image/jpeg", 240),
                                                      (MEGAN, "image/png", 120),
                                                      (SAM, "image/jpeg", 96)])
def test_the_graph_photo_is_shown_with_its_type(client, sign_in, user, content_type, size):
    sign_in(client, user)
    page = client.get("/profile").get_data(as_text=True)
    src = photo_src(page, "profile-photo")
    assert src == photo_src(page, "nav-photo") and src.startswith("/profile/photo?u=")
    response = client.get(src)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.get_data() == photo_bytes(user, size)  # the bytes Graph served


def test_a_photo_is_cached_privately_by_the_browser(client, sign_in):
    sign_in(client)
    response = client.get(photo_src(client.get("/").get_data(as_text=True), "nav-photo"))
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert "Cookie" in response.headers["Vary"] and "Pragma" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/profile").headers["Cache-Control"] == "no-store"  # pages still are not


def test_a_user_without_a_photo_gets_initials(client, sign_in):
    sign_in(client, ALEX)
    page = client.get("/profile").get_data(as_text=True)
    response = client.get(photo_src(page, "profile-photo"))
    text, fill = initials_of(response)
    assert text == "AW" and fill in PALETTE
    assert response.headers["Cache-Control"] == "private, max-age=600"


def test_each_user_has_their_own_url(app, sign_in):
    adele, alex = app.test_client(), app.test_client()
    sign_in(adele, ADELE)
    sign_in(alex, ALEX)
    src = photo_src(adele.get("/").get_data(as_text=True), "nav-photo")
    assert src != photo_src(alex.get("/").get_data(as_text=True), "nav-photo")
    # Alex's browser asked for Adele's URL: Alex's picture, never kept under her URL.
    response = alex.get(src)
    assert initials_of(response)[0] == "AW"
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("rule", [{"status": 503}, {"status": 429, "retry_after": 30},
                                  {"drop": True}])
def test_graph_failing_gives_initials_soon_asked_again(client, sign_in, emu, https, rule):
    sign_in(client)
    src = photo_src(client.get("/").get_data(as_text=True), "nav-photo")
    faults(https, emu, path=r"/photo/\$value$", **rule)
    response = client.get(src)  # one try, no wait for Retry-After
    assert initials_of(response)[0] == "AV"
    assert response.headers["Cache-Control"] == "private, max-age=30"
    assert client.get(src).headers["Content-Type"] == "image/jpeg"  # Graph is back


def test_lost_tokens_give_initials_not_a_sign_in_redirect(client, sign_in, app):
    sign_in(client)
    src = photo_src(client.get("/").get_data(as_text=True), "nav-photo")
    sid = client.get_cookie("mailer_session").value
    app.extensions["mailer.sessions"].cache.delete(f"tokens:{sid}")
    assert initials_of(client.get(src))[0] == "AV"


def test_pages_never_fetch_the_photo_themselves(client, sign_in, emu, https):
    sign_in(client)
    faults(https, emu, path=r"/photo", status=503, count=1)
    for path in ("/", "/profile", "/token"):
        assert client.get(path).status_code == 200
    assert len(faults(https, emu)) == 1  # the rule was never used: nobody asked Graph


def test_signed_out_there_is_no_photo(client):
    assert client.get("/profile/photo").status_code == 404
    assert 'id="nav-photo"' not in client.get("/").get_data(as_text=True)
