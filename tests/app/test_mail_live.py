"""``GET /mail/live``: the Inbox's delta state for static/mail-live.js, through the factory
against the emulator: nothing asked before Mail.Read was granted, a change when mail arrives
(and only then), the unread count, a resync when Graph forgot the link, JSON when signed out."""
from __future__ import annotations

import pytest
from helpers.mailbox import GraphAsApp

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
JSON = {"Accept": "application/json"}


@pytest.fixture
def graph_app(emu):
    graph = GraphAsApp(emu)
    yield graph
    graph.http.close()


def live(client) -> dict:
    response = client.get("/mail/live", headers=JSON)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_the_inbox_state_changes_when_mail_arrives(client, sign_in, graph_app, emu, https):
    signed_out = client.get("/mail/live", headers=JSON)
    assert signed_out.status_code == 401 and "sign_in" in signed_out.get_json()
    sign_in(client, MEGAN)
    assert live(client)["stop"] is True  # the Inbox was never opened: nothing to watch
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    graph_app.send(ADELE, MEGAN, "one")
    assert client.get("/mail/me/inbox").status_code == 200
    first = live(client)
    assert first == {"changed": False, "unread": 1, "every": 20}
    assert live(client)["changed"] is False
    graph_app.send(ADELE, MEGAN, "two")
    assert live(client) == {"changed": True, "unread": 2, "every": 20}
    assert live(client)["changed"] is False
    assert https.post(f"{emu.api_url}/_emulator/delta/expire", timeout=10).status_code == 204
    assert live(client) == {"changed": True, "unread": 2, "every": 20}  # resynced
    assert live(client)["changed"] is False
