"""Inline pictures of a draft (X-File-Inline uploads) as the compose editor loads them:
GET /compose/<id>/files/<fid>/inline serves a raster picture's bytes to its owner only, under
its stored type with nosniff, and refuses SVG, other types, plain attachments and other people
in words, never a 500. A picture the mailbox draft holds (a forward's, a continued draft's, or
any once the draft moved into the mailbox) is streamed from Graph under the same rules."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import quote

import pytest
from helpers.compose import add_fault, csrf_of, mailbox, new_draft, post_form, text

from helpers.mailbox import PNG, GraphAsApp, attachment

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
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


# -- pictures held by the mailbox draft (a forward, a continued draft, a draft that moved) --------
WRITE = ["Mail.Read", "Mail.ReadWrite", "Mail.Send"]
PHOTO = PNG + bytes(range(256)) * 40  # not the 1-pixel PNG alone: these very bytes come back


def inline_urls(client, draft_id) -> dict[str, str]:
    """content id -> the URL the editor loads it from, as the compose page lists them."""
    page = text(client.get(f"/compose/{draft_id}"))
    listed = json.loads(unescape(re.search(r"data-inline-files='([^']*)'", page).group(1)))
    return {f["content_id"]: f"/compose/{draft_id}/files/{f['id']}/inline" for f in listed}


def forwarded(client, emu, sign_in, kind="image/png") -> str:
    """Adele sends Megan a message with a cid: picture; Megan forwards it: the draft's id."""
    graph = GraphAsApp(emu)
    try:
        graph.send(ADELE, MEGAN, "Logo", '<p>See</p><img src="cid:logo">',
                   attachments=[attachment("logo.png", PHOTO, kind, cid="logo")])
    finally:
        graph.http.close()
    [got] = mailbox(emu, MEGAN)
    sign_in(client, MEGAN, scopes=WRITE)
    page = text(client.get(f"/mail/me/m/{got.id}"))
    response = client.post(f"/mail/me/m/{got.id}/respond",
                           data={"csrf_token": csrf_of(page), "kind": "forward"})
    assert response.status_code == 303 and response.location.startswith("/compose/"), \
        text(response)[:800]
    return response.location.rsplit("/", 1)[1]


def test_a_forwarded_messages_picture_shows_in_compose_from_the_mailbox_draft(client, emu,
                                                                              sign_in):
    draft_id = forwarded(client, emu, sign_in)
    url = inline_urls(client, draft_id)["logo"]
    response = client.get(url)
    assert response.status_code == 200, text(response)[:800]
    assert response.data == PHOTO and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"].startswith("private")


def test_a_pasted_picture_still_shows_once_the_draft_moved_into_the_mailbox(client, sign_in,
                                                                            emu):
    sign_in(client, scopes=["Mail.Send", "Mail.ReadWrite"])
    draft_id, token = new_draft(client)
    stored = put(client, draft_id, token, "pasted.png", PHOTO, "image/png")
    response = post_form(client, draft_id, token, action="save", to=MEGAN, subject="Picture",
                         body=f'<p><img src="cid:{stored["content_id"]}"></p>')
    assert response.status_code == 303, text(response)[:800]
    [kept] = mailbox(emu, ADELE, "drafts")  # the picture's bytes are in the mailbox now
    assert [a.blob.read() for a in kept.attachments] == [PHOTO]
    response = client.get(f"/compose/{draft_id}/files/{stored['id']}/inline")
    assert response.status_code == 200, text(response)[:800]
    assert response.data == PHOTO and response.mimetype == "image/png"


def test_a_mailbox_drafts_svg_is_never_served(client, emu, sign_in):
    draft_id = forwarded(client, emu, sign_in, kind="image/svg+xml")
    response = client.get(inline_urls(client, draft_id)["logo"])
    assert response.status_code == 415 and PHOTO not in response.data
    assert "'logo.png' is not a PNG, JPEG, GIF or WebP picture" in unescape(text(response))


def test_graph_failing_and_a_withdrawn_permission_are_said_in_words(client, emu, sign_in, app,
                                                                     https):
    draft_id = forwarded(client, emu, sign_in)
    url = inline_urls(client, draft_id)["logo"]
    megan_id = emu.state.directory.user(MEGAN).id
    add_fault(https, emu, path="/attachments/[^/]+/\\$value$", status=503, retry_after=0, count=3)
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 503 and "temporarily" in response.get_json()["error"]

    # The person took back the app's permission to their mail: no sign-in page inside an <img>.
    with emu.state.lock:
        for (user, _client), granted in emu.state.consents.items():
            if user == megan_id:
                granted.discard("Mail.ReadWrite")
    other = app.test_client()
    sign_in(other, MEGAN)
    response = other.get(url)
    assert response.status_code == 404 and response.location is None
    assert "permission" in unescape(text(response)) and PHOTO not in response.data
