"""What Graph serves and the emulator does not answers 501 NotImplemented, in the emulator's words;
truly unknown segments keep Graph's 400. The URL surface is held to Microsoft's CSDL."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from emulator.graph.routing.csdl_surface import CSDL_FILE, SURFACE_FILE, build, surface

ALEX = "alex@contoso.example"


def test_surface_file_is_the_csdl_s():
    assert json.loads(SURFACE_FILE.read_text()) == json.loads(json.dumps(build(CSDL_FILE)))


@pytest.fixture
def message_path(graph_api, graph_token):
    """A message in Alex's inbox, as /me/messages/{id}."""
    body = {"message": {"subject": "Hello", "toRecipients": [{"emailAddress": {"address": ALEX}}]}}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202
    alex = graph_api.as_(graph_token(ALEX))
    message_id = alex.get("/me/messages").json()["value"][0]["id"]
    return alex, f"/me/messages/{quote(message_id, safe='')}"


def not_implemented(response) -> str:
    assert response.status_code == 501, response.text
    error = response.json()["error"]
    assert error["code"] == "NotImplemented"
    assert "The emulator does not implement" in error["message"]
    assert "request-id" in error["innerError"]
    return error["message"]


@pytest.mark.parametrize("path", ["/me/messages/delta", "/me/mailFolders/delta",
                                  "/me/messages/microsoft.graph.delta()",
                                  "/me/mailFolders/inbox/childFolders", "/me/events",
                                  "/me/drive/root/children", "/groups", "/me/messages/$count"])
def test_graph_paths_the_emulator_does_not_serve(graph_api, path):
    message = not_implemented(graph_api.get(path))
    assert message == f"The emulator does not implement GET {path}."


def test_users_delta_is_a_function_not_a_user(graph_api, graph_token):
    not_implemented(graph_api.as_(graph_token(roles=["User.Read.All"])).get("/users/delta"))


def test_message_navigation_and_casts(message_path):
    alex, path = message_path
    not_implemented(alex.get(f"{path}/extensions"))
    not_implemented(alex.get(f"{path}/singleValueExtendedProperties"))
    not_implemented(alex.get("/me/messages/microsoft.graph.eventMessage"))


@pytest.mark.parametrize("kind", ["message", "mailFolder", "user"])
def test_no_csdl_segment_reads_as_unknown(graph_api, message_path, kind):
    """Every navigation property and bound operation of the type: served, or 501; never 400."""
    alex, path = message_path
    base = {"message": path, "mailFolder": "/me/mailFolders/inbox", "user": "/me"}[kind]
    entry = surface()["types"][kind]
    for name in sorted(entry["navigation"]) + entry["operations"]:
        for method in ("GET", "POST"):
            response = alex.request(method, f"{base}/{name}", json={})
            unknown = response.status_code == 400 and "Resource not found for the segment" in \
                response.text
            assert not unknown, f"{method} {base}/{name}: {response.text}"


@pytest.mark.parametrize("path, segment", [("/me/shoeSize", "shoeSize"),
                                           ("/nothingHere", "nothingHere"),
                                           ("/me/mailFolders/inbox/nope", "nope"),
                                           ("/me/photo/notAThing", "notAThing"),
                                           ("/me/drive/notAThing", "notAThing")])
def test_unknown_segments_keep_graphs_400(graph_api, path, segment):
    response = graph_api.get(path)
    assert response.status_code == 400
    assert response.json()["error"] == {**response.json()["error"], "code": "BadRequest",
                                        "message": f"Resource not found for the segment '{segment}'."}


def test_unknown_segment_under_a_message_keeps_graphs_400(message_path):
    alex, path = message_path
    response = alex.get(f"{path}/nope")
    assert response.status_code == 400 and "'nope'" in response.json()["error"]["message"]


def test_served_routes_are_unchanged(graph_api):
    assert graph_api.get("/me/messages").status_code == 200
    assert graph_api.get("/me/mailFolders/inbox").status_code == 200
    assert graph_api.request("PUT", "/me").status_code == 405


def test_a_token_is_checked_before_anything_else(graph_api):
    assert graph_api.as_(None).get("/me/messages/delta").status_code == 401
