"""The pages that make several Graph calls make them in one round trip ($batch), through the app
factory against the real emulator: a message and its attachments, its body frame's pictures,
continuing a draft, the people picker; a reply reads createReply's own answer. Requests are
counted on the app's own HTTP session (a response hook: nothing is replaced). A throttled batch
item is sent again on its own; with GRAPH_BATCH off every call goes on its own."""
from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from helpers.compose import add_fault, csrf_of, only, text
from helpers.mailbox import PNG, attachment

from app_fixtures import ADELE

MEGAN = "megan@contoso.example"
READ, WRITE = ["Mail.Read"], ["Mail.Read", "Mail.ReadWrite", "Mail.Send"]
ID = re.compile(r"AAMk[\w=-]+")


@pytest.fixture
def graph_calls(app):
    """(method, path with ids as {id}) of every request the app sends to Graph."""
    seen: list[str] = []

    def hook(response, *args, **kwargs):
        path = unquote(response.request.path_url.split("?")[0])
        if path.startswith("/v1.0/"):
            seen.append(f"{response.request.method} {ID.sub('{id}', path[len('/v1.0'):])}")
    app.extensions["mailer"]["http"].hooks["response"].append(hook)
    return seen


def received(emu, graph_app, subject: str, **extra) -> str:
    graph_app.send(ADELE, MEGAN, subject, **extra)
    found = graph_app.http.get(f"{graph_app.graph}/users/{MEGAN}/messages",
                               params={"$filter": f"subject eq '{subject}'", "$select": "id"},
                               headers=graph_app.headers, timeout=10).json()["value"]
    return found[0]["id"]


def test_a_message_and_its_attachments_are_one_round_trip(client, sign_in, graph_app, emu,
                                                          graph_calls):
    message = received(emu, graph_app, "Report", attachments=[
        attachment("report.pdf", b"%PDF-1.4 report", "application/pdf")])
    sign_in(client, MEGAN, scopes=READ)
    graph_calls.clear()
    page = client.get(f"/mail/me/m/{message}")
    assert page.status_code == 200 and "report.pdf" in text(page)
    assert graph_calls == ["POST /$batch"]


def test_the_body_frame_reads_its_pictures_in_one_more_round_trip(client, sign_in, graph_app,
                                                                  emu, graph_calls):
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    message = received(emu, graph_app, "Two pictures",
                       html='<p><img src="cid:one"><img src="cid:two"></p>',
                       attachments=[attachment("one.png", PNG, "image/png", cid="one"),
                                    attachment("two.gif", gif, "image/gif", cid="two")])
    sign_in(client, MEGAN, scopes=READ)
    graph_calls.clear()
    frame = text(client.get(f"/mail/me/m/{message}/body"))
    assert "data:image/png;base64," in frame and "data:image/gif;base64," in frame
    assert graph_calls == ["POST /$batch", "POST /$batch"]


def test_continuing_a_draft_reads_it_and_its_files_in_one_round_trip(client, sign_in, graph_app,
                                                                     graph_calls):
    draft = graph_app.http.post(f"{graph_app.graph}/users/{MEGAN}/messages", json={
        "subject": "Half written", "attachments": [attachment("notes.txt", b"notes", "text/plain")]},
        headers=graph_app.headers, timeout=10).json()["id"]
    sign_in(client, MEGAN, scopes=WRITE)
    token = csrf_of(text(client.get("/mail/me/inbox")))
    graph_calls.clear()
    response = client.post(f"/mail/me/m/{draft}/continue", data={"csrf_token": token})
    assert response.status_code == 303, text(response)[:800]
    assert graph_calls == ["POST /$batch"]
    assert "notes.txt" in text(client.get(response.location))


def test_a_reply_is_read_from_create_replys_own_answer(client, sign_in, graph_app, emu,
                                                       graph_calls):
    message = received(emu, graph_app, "Question")
    sign_in(client, MEGAN, scopes=WRITE)
    token = csrf_of(text(client.get("/mail/me/inbox")))
    graph_calls.clear()
    response = client.post(f"/mail/me/m/{message}/respond",
                           data={"csrf_token": token, "kind": "reply"})
    assert response.status_code == 303, text(response)[:800]
    # Two round trips, from four: the new draft's id cannot be named inside one batch; its
    # attachments are read, and the answered message marked read, in the second.
    assert graph_calls == ["POST /me/messages/{id}/createReply", "POST /$batch"]
    assert "RE: Question" in text(client.get(response.location))
    assert only(emu, MEGAN).is_read


def test_the_people_picker_asks_people_and_the_directory_in_one_round_trip(client, sign_in,
                                                                            graph_calls):
    sign_in(client, scopes=["People.Read", "User.ReadBasic.All"])
    graph_calls.clear()
    response = client.get("/people", query_string={"q": "meg"},
                          headers={"Accept": "application/json"})
    assert [p["address"] for p in response.get_json()["people"]] == [MEGAN]
    assert graph_calls == ["POST /$batch"]


def test_a_throttled_item_is_sent_again_on_its_own(client, sign_in, graph_app, emu, https,
                                                   graph_calls):
    message = received(emu, graph_app, "Busy", attachments=[
        attachment("busy.txt", b"busy", "text/plain")])
    sign_in(client, MEGAN, scopes=READ)
    add_fault(https, emu, path="/attachments$", method="GET", status=429, retry_after=0)
    graph_calls.clear()
    page = client.get(f"/mail/me/m/{message}")
    assert page.status_code == 200 and "busy.txt" in text(page)
    assert graph_calls == ["POST /$batch", "GET /me/messages/{id}/attachments"]


@pytest.fixture
def unbatched_client(app_config, emu):
    from app import create_app

    app = create_app({**app_config, "GRAPH_BATCH": "off"}, environ={})
    emu.state.add_redirect_uri("http://localhost/auth/callback")
    yield app
    app.extensions["mailer"]["http"].close()


def test_with_batching_off_each_call_goes_on_its_own(unbatched_client, sign_in, graph_app, emu):
    message = received(emu, graph_app, "Unbatched", attachments=[
        attachment("one.txt", b"one", "text/plain")])
    seen = []
    unbatched_client.extensions["mailer"]["http"].hooks["response"].append(
        lambda response, *args, **kwargs: seen.append(
            unquote(response.request.path_url.split("?")[0])))
    client = unbatched_client.test_client()
    sign_in(client, MEGAN, scopes=READ)
    seen.clear()
    assert "one.txt" in text(client.get(f"/mail/me/m/{message}"))
    assert [path.rsplit("/", 1)[-1] for path in seen] == [message, "attachments"]
