"""Inline pictures of a draft (X-File-Inline uploads) as the compose editor loads them:
GET /compose/<id>/files/<fid>/inline serves a raster picture's bytes to its owner only, under
its stored type with nosniff, and refuses SVG, other types, plain attachments and other people
in words, never a 500."""
from __future__ import annotations

from html import unescape
from urllib.parse import quote

import pytest
from helpers.compose import new_draft, text

from helpers.mailbox import PNG

MEGAN = "megan@contoso.example"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def put(client, draft_id, token, name, data, kind, inline=True):
    headers = {"X-File-Name": quote(name), "X-File-Type": kind, "Accept": "application/json",
               "X-CSRFToken": token}
    if inline:
        headers["X-File-Inline"] = "1"
    response = client.post(f"/compose/{draft_id}/files", data=data, headers=headers,
                           content_type="application/octet-stream")
    assert response.status_code == 201, text(response)
    return response.get_json()["file"]


@pytest.fixture
def adele(client, sign_in):
    sign_in(client)
    return client


@pytest.mark.parametrize("kind", ["image/png", "image/jpeg", "image/gif", "image/webp"])
def test_a_picture_is_served_to_its_owner_as_stored(adele, kind):
    draft_id, token = new_draft(adele)
    stored = put(adele, draft_id, token, "pasted.png", PNG, kind)
    assert stored["inline"] is True and stored["content_id"].endswith("@mailer")
    response = adele.get(f"/compose/{draft_id}/files/{stored['id']}/inline")
    assert response.status_code == 200
    assert response.data == PNG and response.mimetype == kind
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"].startswith("private")


def test_the_page_lists_its_pictures_for_the_editor_but_not_among_the_files(adele):
    draft_id, token = new_draft(adele)
    stored = put(adele, draft_id, token, "pasted.png", PNG, "image/png")
    plain = put(adele, draft_id, token, "notes.txt", b"notes", "text/plain", inline=False)
    page = text(adele.get(f"/compose/{draft_id}"))
    listed = f'[{{"content_id": "{stored["content_id"]}", "id": "{stored["id"]}"}}]'
    assert f"data-inline-files='{listed}'" in page
    assert f'data-file-id="{plain["id"]}"' in page and f'data-file-id="{stored["id"]}"' not in page


@pytest.mark.parametrize("name, data, kind", [
    ("drawing.svg", SVG, "image/svg+xml"),
    ("page.html", b"<script>alert(1)</script>", "text/html"),
    ("odd.png", PNG, "Image/PNG; name=odd.png"),
])
def test_anything_but_a_raster_picture_is_refused_in_words(adele, name, data, kind):
    draft_id, token = new_draft(adele)
    stored = put(adele, draft_id, token, name, data, kind)
    response = adele.get(f"/compose/{draft_id}/files/{stored['id']}/inline")
    if kind.startswith("Image/PNG"):  # the type's parameters are dropped, the type kept
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
        return
    assert response.status_code == 415
    assert f"'{name}' is not a PNG, JPEG, GIF or WebP picture" in unescape(text(response))
    assert data not in response.data


def test_a_plain_attachment_a_stranger_and_odd_ids_are_refused(adele, app, sign_in, emu):
    draft_id, token = new_draft(adele)
    plain = put(adele, draft_id, token, "photo.png", PNG, "image/png", inline=False)
    response = adele.get(f"/compose/{draft_id}/files/{plain['id']}/inline")
    assert response.status_code == 404 and "no such picture" in text(response)
    picture = put(adele, draft_id, token, "pasted.png", PNG, "image/png")
    url = f"/compose/{draft_id}/files/{picture['id']}/inline"

    megan = app.test_client()
    sign_in(megan, MEGAN)
    response = megan.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 404 and PNG not in response.data
    assert "draft" in response.get_json()["error"]

    assert adele.get(f"/compose/{draft_id}/files/../../etc/inline").status_code == 404
    response = adele.get(f"/compose/{draft_id}/files/{'0' * 31}x/inline")
    assert response.status_code == 404 and "not an attachment's id" in unescape(text(response))

    adele.post(f"/compose/{draft_id}/files/{picture['id']}/delete",
               data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert adele.get(url).status_code == 404  # removed from the message: gone


def test_signed_out_the_picture_is_not_served(client, adele):
    draft_id, token = new_draft(adele)
    picture = put(adele, draft_id, token, "pasted.png", PNG, "image/png")
    fresh = client.application.test_client()
    response = fresh.get(f"/compose/{draft_id}/files/{picture['id']}/inline")
    assert response.status_code in (302, 401) and PNG not in response.data
