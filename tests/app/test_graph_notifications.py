"""``POST /graph/notifications`` through the factory: Graph's validation handshake, a
notification believed only with its subscription's clientState, one round queued however many
notifications name a mailbox, lifecycle events kept for that round, and junk refused in words
(never a 500, never a session)."""
from __future__ import annotations

import pytest

from mailer.automation.webhooks import service

SALES = "sales@contoso.example"


@pytest.fixture
def app_worker():
    return False  # the tasks stay in the queue, to be counted


@pytest.fixture
def hooks(app):
    svc = service.of(app.extensions["mailer"]["delivery"])
    svc.records.start_watch(SALES, "https://app.example/graph/notifications", since=0)
    svc.records.update_watch(SALES, state="watching", subscription={
        "id": "sub-1", "client_state": "s3cret", "expires": "2030-01-01T00:00:00Z",
        "authorized": 0})
    svc.records.map_subscription("sub-1", SALES)
    return svc


def post(client, body, **kwargs):
    return client.post("/graph/notifications", json=body, **kwargs)


def test_the_validation_handshake_is_answered_as_text(client):
    answer = client.post("/graph/notifications?validationToken=Validation%3A%20abc%20123")
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "Validation: abc 123"
    assert answer.mimetype == "text/plain" and answer.headers["X-Content-Type-Options"] == \
        "nosniff"
    assert client.post("/graph/notifications?validationToken=").status_code == 400
    assert "Set-Cookie" not in answer.headers


def test_only_a_matching_client_state_queues_a_round_and_once(client, hooks):
    huey = hooks.rt.queue.huey
    item = {"subscriptionId": "sub-1", "changeType": "created", "resource": "x"}
    assert post(client, {"value": [{**item, "clientState": "guess"}]}).status_code == 202
    assert post(client, {"value": [{**item, "subscriptionId": "other",
                                    "clientState": "s3cret"}]}).status_code == 202
    assert huey.pending_count() == 0  # forged or unknown: nothing to do
    answer = post(client, {"value": [{**item, "clientState": "s3cret"}] * 3})
    assert answer.status_code == 202 and answer.get_data() == b""
    assert post(client, {"value": [{**item, "clientState": "s3cret"}]}).status_code == 202
    assert huey.pending_count() == 1  # one round, however many notifications
    assert post(client, {"value": [{"subscriptionId": "sub-1", "clientState": "s3cret",
                                    "lifecycleEvent": "reauthorizationRequired"}]}
                ).status_code == 202
    assert hooks.records.watch(SALES)["reasons"] == ["reauthorizationRequired"]
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize("data, status", [
    (b"not json", 400), (b"[" * 100_000, 400), (b"{}", 202), (b"[1, 2]", 202),
    (b'{"value": [1, "x", null, {"subscriptionId": 5}]}', 202),
    (b" " * (4 * 1024 * 1024 + 1), 413)])
def test_junk_is_refused_in_words(client, data, status):
    answer = client.post("/graph/notifications", data=data,
                         content_type="application/json")
    assert answer.status_code == status
