"""The people picker's JSON route through the app factory against the real emulator: suggestions
from /me/people then the directory, permissions asked only on first use (and only People.Read for
a personal account), a bad ``q`` named, and every Graph failure in words, never a 500."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from helpers.compose import add_fault
from helpers.mailbox import GraphAsApp

from app_fixtures import ADELE, SAM

MEGAN, ALEX = "megan@contoso.example", "alex@contoso.example"
WORK = ["People.Read", "User.ReadBasic.All"]
JSON = {"Accept": "application/json"}


def ask(client, q):
    return client.get("/people", query_string={"q": q}, headers=JSON)


def addresses(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [p["address"] for p in response.get_json()["people"]]


def scopes_asked(location: str) -> set[str]:
    return set(parse_qs(urlsplit(location).query)["scopes"][0].split())


def test_permissions_are_asked_only_when_the_picker_is_first_used(client, sign_in):
    sign_in(client)
    assert client.get("/compose").status_code == 302  # the compose page asks nothing more
    first = ask(client, "meg")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    body = first.get_json()
    assert body["consent"] == "/people/consent" and "permission" in body["error"]
    hop = client.get(body["consent"])  # what the popup opens
    assert hop.status_code == 302 and hop.location == "/people/consent/work"
    login = client.get(hop.location)
    assert login.status_code == 302 and login.location.startswith("/login?")
    assert scopes_asked(login.location) == set(WORK)
    assert client.get(login.location).status_code == 302  # /login accepts them: to Microsoft
    sign_in(client, scopes=WORK)
    assert addresses(ask(client, "meg")) == [MEGAN]
    done = client.get("/people/consent/work")
    assert done.status_code == 200 and b"data-consent-granted" in done.data and b"Suggestions are on." in done.data


def test_a_personal_account_is_asked_people_read_only_and_never_the_directory(client, sign_in,
                                                                              emu, https):
    sign_in(client, SAM)
    assert ask(client, "a").get_json()["consent"] == "/people/consent"
    hop = client.get("/people/consent")
    assert hop.location == "/people/consent/personal"
    assert scopes_asked(client.get(hop.location).location) == {"People.Read"}
    sign_in(client, SAM, scopes=["People.Read"])
    add_fault(https, emu, path="^/v1.0/users$", status=503)  # would fail it, if it were asked
    assert ask(client, "zz-nobody").get_json() == {"people": []}
    assert len(https.get(f"{emu.api_url}/_emulator/faults", timeout=10).json()) == 1


def test_people_come_first_then_the_directory_one_per_address(client, sign_in, emu, https):
    graph = GraphAsApp(emu)
    try:  # Adele writes to someone outside the directory: her people know him, /users does not
        graph.send(ADELE, "zed@fabrikam.example", "Hi", toRecipients=[
            {"emailAddress": {"name": "Zed Outsider", "address": "zed@fabrikam.example"}}])
        graph.send(ADELE, ALEX, "Hi Alex")
    finally:
        graph.http.close()
    sign_in(client, scopes=WORK)
    people = ask(client, "zed").get_json()["people"]
    assert people == [{"name": "Zed Outsider", "address": "zed@fabrikam.example",
                       "source": "people", "group": False}]
    assert addresses(ask(client, "bow")) == [MEGAN]  # a later word of the name
    assert addresses(ask(client, "ALEX@CONTOSO")) == [ALEX]  # the address, any case
    everyone = ask(client, "a").get_json()["people"]
    found = [p["address"] for p in everyone]
    assert len(found) == len({a.lower() for a in found}) <= 8  # Alex is in both: once
    assert found[0] == ALEX  # written to: the most relevant
    sources = [p["source"] for p in everyone]
    assert sources == sorted(sources, reverse=True)  # people, then the directory
    # Her own people leave her out; the directory has her (sending to oneself is fine).
    assert everyone[-1] == {"name": "Adele Vance", "address": ADELE, "source": "directory",
                            "group": False}
    staff = [p for p in ask(client, "all staff").get_json()["people"]]
    assert staff and staff[0]["group"] is True  # a distribution list is a recipient too
    # The directory is asked too while the people leave room: a failure there shows.
    add_fault(https, emu, path="^/v1.0/users$", status=503)
    assert ask(client, "meg").status_code == 503


@pytest.mark.parametrize("q, words", [
    (None, "Search (q): type at least 1 character."),
    ("", "Search (q): type at least 1 character."),
    ("   ", "Search (q): type at least 1 character."),
    ("x" * 101, "Search (q): at most 100 characters; 101 were sent."),
    ("meg\nan", "Search (q): line breaks and control characters are not allowed."),
])
def test_a_bad_q_is_named(client, sign_in, q, words):
    sign_in(client, scopes=WORK)
    response = client.get("/people", query_string={} if q is None else {"q": q}, headers=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": words, "field": "q"}


def test_quotes_and_backslashes_typed_are_only_text(client, sign_in):
    sign_in(client, scopes=WORK)
    assert addresses(ask(client, '"meg\\')) == [MEGAN]
    assert addresses(ask(client, '" OR "mail:a')) == []  # no way out of the quoted $search


@pytest.mark.parametrize("rule, status, words", [
    ({"path": "/me/people$", "status": 503}, 503, "Microsoft Graph is unavailable"),
    ({"path": "/me/people$", "status": 429, "retry_after": 30}, 503,
     "Microsoft Graph is busy (throttling)"),
    ({"path": "^/v1.0/users$", "status": 504}, 503, "Microsoft Graph is unavailable"),
    ({"path": "/me/people$", "drop": True}, 503, "Microsoft Graph is out of reach"),
])
def test_graph_failures_come_back_in_words(client, sign_in, emu, https, rule, status, words):
    sign_in(client, scopes=WORK)
    add_fault(https, emu, **rule)
    response = ask(client, "meg")
    assert response.status_code == status
    assert words in response.get_json()["error"] and "Type the address in full" in \
        response.get_json()["error"]
    assert addresses(ask(client, "meg")) == [MEGAN]  # the next keystroke works again


def test_signed_out_gets_json_not_a_page(client):
    response = ask(client, "meg")
    assert response.status_code == 401 and "sign in" in response.get_json()["error"].lower()
