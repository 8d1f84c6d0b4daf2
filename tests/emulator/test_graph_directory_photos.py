"""Profile photos: metadata shape, image bytes and type, ImageNotFound, sizes, permissions."""
from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest

from emulator.graph.routing.csdl_surface import CSDL_FILE

ADELE, ALEX, MEGAN = "adele@contoso.example", "alex@contoso.example", "megan@contoso.example"
SAM = "sam.taylor@outlook.example"
NS = "{http://docs.oasis-open.org/odata/ns/edm}"
NO_PHOTO = {"code": "ImageNotFound",
            "message": "Exception of type 'Microsoft.Fast.Profile.Core.Exception."
                       "ImageNotFoundException' was thrown."}


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the SOF0 segment of a baseline JPEG."""
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    at = 2
    while data[at + 1] != 0xC0:
        at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
    height, width = struct.unpack(">HH", data[at + 5:at + 9])
    return width, height


def _png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, raw RGB rows) of an unfiltered 8-bit RGB PNG, checking every CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2) and b"IEND" in chunks
    return width, height, zlib.decompress(chunks[b"IDAT"])


def test_me_photo_is_profile_photo_metadata(graph_api, emu):
    response = graph_api.get("/me/photo")
    assert response.status_code == 200
    body = response.json()
    adele = emu.state.directory.user(ADELE)
    assert list(body) == ["@odata.context", "@odata.mediaContentType", "@odata.mediaEtag",
                          "id", "width", "height"]
    assert body["@odata.context"] == (
        f"{emu.api_url}/v1.0/$metadata#users('{adele.id}')/photo/$entity")
    assert body["@odata.mediaContentType"] == "image/jpeg"
    assert re.fullmatch(r'"[0-9A-F]{8}"', body["@odata.mediaEtag"])
    assert (body["id"], body["width"], body["height"]) == ("240X240", 240, 240)


def test_metadata_names_are_those_of_the_csdl(graph_api):
    root = ET.parse(CSDL_FILE).getroot()
    photo = next(e for e in root.iter(NS + "EntityType") if e.get("Name") == "profilePhoto")
    assert photo.get("HasStream") == "true"  # hence @odata.mediaContentType / mediaEtag
    declared = {p.get("Name") for p in photo.findall(NS + "Property")} | {"id"}  # id: entity
    body = graph_api.get("/me/photo").json()
    assert {k for k in body if not k.startswith("@")} == declared


def test_photo_value_is_the_image_with_its_content_type(graph_api):
    response = graph_api.get("/me/photo/$value")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert _jpeg_size(response.content) == (240, 240)
    etag = graph_api.get("/me/photo").json()["@odata.mediaEtag"]
    assert etag == f'"{zlib.crc32(response.content):08X}"'
    assert graph_api.get("/me/photo/$value").content == response.content  # deterministic


def test_another_user_png_photo_decodes_to_its_colours(graph_api, graph_token):
    api = graph_api.as_(graph_token(scopes=["User.ReadBasic.All"]))
    meta = api.get(f"/users/{MEGAN}/photo").json()
    assert meta["@odata.context"].endswith(f"#users('{MEGAN}')/photo/$entity")
    assert (meta["@odata.mediaContentType"], meta["id"]) == ("image/png", "120X120")
    response = api.get(f"/users('{MEGAN}')/photo/$value")
    assert response.headers["Content-Type"] == "image/png"
    width, height, rows = _png_pixels(response.content)
    assert (width, height) == (120, 120)
    stride = 1 + 3 * width
    assert len(rows) == stride * height and all(rows[y * stride] == 0 for y in range(height))
    corner, centre = rows[1:4], rows[60 * stride + 1 + 3 * 60:60 * stride + 4 + 3 * 60]
    assert corner != centre  # a pattern, not a blank square


@pytest.mark.parametrize("path", ["/me/photo", "/me/photo/$value", f"/users/{ALEX}/photo",
                                  f"/users/{ALEX}/photo/$value", "/me/photos", "/me/photos/48x48"])
def test_no_photo_is_404_image_not_found(graph_api, graph_token, path):
    api = graph_api.as_(graph_token(ALEX, scopes=["User.Read"]))
    response = api.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert {"code": error["code"], "message": error["message"]} == NO_PHOTO
    assert error["innerError"]["request-id"] == response.headers["request-id"]


def test_sizes_list_and_serve_each_hd_size_up_to_the_stored_one(graph_api):
    listed = graph_api.get("/me/photos").json()
    assert listed["@odata.context"].endswith("/photos")
    assert [p["id"] for p in listed["value"]] == ["48X48", "64X64", "96X96", "120X120", "240X240"]
    small = graph_api.get("/me/photos/48X48").json()
    assert (small["id"], small["width"]) == ("48X48", 48)
    assert small["@odata.context"].endswith("/photos/$entity")
    value = graph_api.get("/me/photos/48x48/$value")
    assert value.headers["Content-Type"] == "image/jpeg" and _jpeg_size(value.content) == (48, 48)
    assert graph_api.get("/me/photos/360x360").status_code == 404  # larger than the stored one
    assert graph_api.get("/me/photos/50x50").json()["error"]["code"] == "ImageNotFound"


def test_segments_match_case_insensitively(graph_api):
    assert graph_api.get("/ME/Photo/$VALUE").status_code == 200
    assert graph_api.get("/me/photo/notAThing").status_code == 400


def test_user_read_covers_only_ones_own_photo(graph_api, graph_token):
    api = graph_api.as_(graph_token(MEGAN, scopes=["User.Read"]))
    assert api.get("/me/photo/$value").status_code == 200
    denied = api.get(f"/users/{ADELE}/photo/$value")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "ErrorAccessDenied"


@pytest.mark.parametrize("scope", ["User.ReadBasic.All", "User.Read.All", "ProfilePhoto.Read.All"])
def test_other_users_photos_with_a_wider_scope(graph_api, graph_token, scope):
    api = graph_api.as_(graph_token(MEGAN, scopes=[scope]))
    assert api.get(f"/users/{ADELE}/photo/$value").status_code == 200


def test_permission_is_checked_before_the_photo_is_looked_up(graph_api, graph_token):
    api = graph_api.as_(graph_token(MEGAN, scopes=["Mail.Send"]))
    assert api.get("/me/photo").status_code == 403
    assert api.get(f"/users/{ALEX}/photo").status_code == 403  # no photo, but 403 first


def test_app_only_reads_photos_with_a_role(graph_api, graph_token):
    assert graph_api.as_(graph_token(roles=["User.Read.All"])).get(
        f"/users/{ADELE}/photo/$value").status_code == 200
    assert graph_api.as_(graph_token(roles=["Mail.Send"])).get(
        f"/users/{ADELE}/photo").status_code == 403
    me = graph_api.as_(graph_token(roles=["User.Read.All"])).get("/me/photo")
    assert me.status_code == 400


def test_unknown_and_foreign_users_are_404(graph_api):
    assert graph_api.get("/users/nobody@contoso.example/photo").status_code == 404
    assert graph_api.get(f"/users/{SAM}/photo/$value").status_code == 404  # another tenant


def test_personal_accounts_use_the_same_api(graph_api, graph_token):
    api = graph_api.as_(graph_token(SAM, scopes=["User.Read"]))
    response = api.get("/me/photo/$value")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert _jpeg_size(response.content) == (96, 96)
    assert api.get("/me/photo").json()["id"] == "96X96"


def test_a_bad_token_is_401_before_anything_else(graph_api):
    response = graph_api.as_("not-a-jwt").get("/me/photo/$value")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
