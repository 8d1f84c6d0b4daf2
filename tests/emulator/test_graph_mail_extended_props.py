"""Extended properties on messages, and deferred delivery (PidTagDeferredSendTime, 0x3FEF)."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

import pytest
from msgraph.generated.models.message import Message as SdkMessage

from helpers.sdk_models import leftovers, parse

ADELE, ALEX = "adele@contoso.example", "alex@contoso.example"
DEFERRED = "SystemTime 0x3FEF"
COLOR = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Color"


@pytest.fixture
def store(emu):
    from emulator.graph.mail.store import MailStore
    return emu.state.extension("mail", MailStore)


def at(seconds: float) -> str:
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def message(**extra):
    body = {"subject": "Later", "body": {"contentType": "text", "content": "x"},
            "toRecipients": [{"emailAddress": {"address": ALEX}}]}
    body.update(extra)
    return body


def inbox(api):
    return api.get("/me/mailFolders/inbox/messages").json()["value"]


def folder(api, name):
    return api.get(f"/me/mailFolders/{name}/messages").json()["value"]


def test_send_later_waits_in_outbox_until_its_time(graph_api, graph_token, store):
    alex = graph_api.as_(graph_token(ALEX))
    due = at(3600)
    response = graph_api.post("/me/sendMail", json={"message": message(
        singleValueExtendedProperties=[{"id": DEFERRED, "value": due}])})
    assert response.status_code == 202, response.text
    assert [m["subject"] for m in folder(graph_api, "outbox")] == ["Later"]
    assert folder(graph_api, "sentitems") == [] and inbox(alex) == []
    store.clock_offset = dt.timedelta(minutes=59)
    assert inbox(alex) == []
    store.clock_offset = dt.timedelta(minutes=61)
    arrived = inbox(alex)
    assert [m["subject"] for m in arrived] == ["Later"] and arrived[0]["sentDateTime"] == due
    assert folder(graph_api, "outbox") == []
    assert [m["subject"] for m in folder(graph_api, "sentitems")] == ["Later"]


def test_a_past_time_sends_at_once(graph_api, graph_token):
    response = graph_api.post("/me/sendMail", json={"message": message(
        singleValueExtendedProperties=[{"id": "SystemTime 0x3fef", "value": at(-60)}])})
    assert response.status_code == 202
    assert [m["subject"] for m in inbox(graph_api.as_(graph_token(ALEX)))] == ["Later"]
    assert folder(graph_api, "outbox") == []


def test_real_time_passes_too(graph_api, graph_token):
    alex = graph_api.as_(graph_token(ALEX))
    graph_api.post("/me/sendMail", json={"message": message(
        singleValueExtendedProperties=[{"id": DEFERRED, "value": at(2)}])})
    assert inbox(alex) == []
    deadline = time.monotonic() + 6
    while not inbox(alex):
        assert time.monotonic() < deadline, "the deferred message never arrived"
        time.sleep(0.2)


def test_deleting_from_outbox_cancels_the_send(graph_api, graph_token, store):
    graph_api.post("/me/sendMail", json={"message": message(
        singleValueExtendedProperties=[{"id": DEFERRED, "value": at(3600)}])})
    waiting = folder(graph_api, "outbox")[0]
    assert graph_api.delete(f"/me/messages/{quote(waiting['id'], safe='')}").status_code == 204
    store.clock_offset = dt.timedelta(hours=2)
    assert inbox(graph_api.as_(graph_token(ALEX))) == []
    assert folder(graph_api, "sentitems") == []


def test_draft_with_the_property_sent_later_and_expanded(graph_api, graph_token, store):
    due = at(600)
    draft = graph_api.post("/me/messages", json=message(singleValueExtendedProperties=[
        {"id": DEFERRED, "value": due}, {"id": COLOR, "value": "Green"}])).json()
    path = f"/me/messages/{quote(draft['id'], safe='')}"
    assert "singleValueExtendedProperties" not in draft  # only with $expand, as Graph does
    expanded = graph_api.get(path, params={
        "$expand": f"singleValueExtendedProperties($filter=id eq '{COLOR}')"})
    assert expanded.json()["singleValueExtendedProperties"] == [{"id": COLOR, "value": "Green"}]
    assert leftovers(parse(expanded.content, SdkMessage)) == []
    other = graph_api.get(path, params={"$expand": "singleValueExtendedProperties($filter=id eq "
                                                   "'String {66f5a359-4659-4830-9070-00047ec6ac6e}"
                                                   " Name color')"})
    assert other.json()["singleValueExtendedProperties"] == []  # names are case-sensitive
    both = graph_api.get(path, params={"$expand": "attachments,singleValueExtendedProperties"
                                                  "($filter=id eq 'SystemTime 0x3fef')"}).json()
    assert both["attachments"] == [] and both["singleValueExtendedProperties"][0]["value"] == due
    patched = graph_api.patch(path, json={"singleValueExtendedProperties": [
        {"id": COLOR, "value": "Blue"}]})
    assert patched.status_code == 200
    again = graph_api.get(path, params={
        "$expand": f"singleValueExtendedProperties($filter=id eq '{COLOR}')"}).json()
    assert again["singleValueExtendedProperties"] == [{"id": COLOR, "value": "Blue"}]
    assert graph_api.post(f"{path}/send").status_code == 202
    assert inbox(graph_api.as_(graph_token(ALEX))) == []
    store.clock_offset = dt.timedelta(minutes=11)
    assert [m["subject"] for m in inbox(graph_api.as_(graph_token(ALEX)))] == ["Later"]


@pytest.mark.parametrize("prop, word", [
    ({"id": "SystemTime 0x3FEF", "value": "tomorrow"}, "tomorrow"),
    ({"id": "Nonsense", "value": "x"}, "Nonsense"),
    ({"id": DEFERRED, "value": at(60), "color": 1}, "color"),
    ({"id": COLOR, "value": 3}, "3")])
def test_bad_extended_properties_are_named(graph_api, prop, word):
    response = graph_api.post("/me/messages", json=message(singleValueExtendedProperties=[prop]))
    assert response.status_code == 400, response.text
    assert word in response.json()["error"]["message"]


def test_bad_expand_filter_is_refused(graph_api):
    draft = graph_api.post("/me/messages", json=message()).json()
    response = graph_api.get(f"/me/messages/{quote(draft['id'], safe='')}", params={
        "$expand": "singleValueExtendedProperties($filter=value eq 'x')"})
    assert response.status_code == 400
