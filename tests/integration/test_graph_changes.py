"""MailChanges against the emulator: delta rounds, a resync when the link is refused,
subscriptions with a real receiver, and the clientState check."""
from __future__ import annotations

import datetime as dt

import pytest

from emulator.directory import DEMO_CLIENT_ID, WORK_TENANT_ID
from helpers.settings import graph_client, retry_policy
from helpers.webhook_receiver import Receiver
from mailer.graph.changes import MailChanges, client_state_matches, needs_full_sync
from mailer.graph.errors import GraphError
from mailer.graph.mailbox import Mailbox

MEGAN = "megan@contoso.example"


def _message(subject, to=MEGAN):
    return {"subject": subject, "body": {"contentType": "text", "content": subject},
            "toRecipients": [{"emailAddress": {"address": to}}]}


@pytest.fixture
def megan(graph_for):
    return graph_for(MEGAN)


def test_a_first_round_then_only_the_changes(graph, megan):
    for i in range(5):
        graph.send_mail(_message(f"hello {i}"))
    changes = MailChanges(megan)
    first = changes.delta("inbox", select=["subject", "isRead"], page_size=2)
    assert sorted(m["subject"] for m in first.changed) == [f"hello {i}" for i in range(5)]
    assert first.removed == [] and "$deltatoken=" in first.delta_link
    by_subject = {m["subject"]: m["id"] for m in first.changed}
    mailbox = Mailbox(megan)
    mailbox.set_read(by_subject["hello 1"], True)
    mailbox.delete(by_subject["hello 2"])
    graph.send_mail(_message("news"))

    second = changes.delta(delta_link=first.delta_link, page_size=2)
    assert sorted(m["subject"] for m in second.changed) == ["hello 1", "news"]
    assert {m["subject"]: m["isRead"] for m in second.changed} == {"hello 1": True, "news": False}
    assert set(second.changed[0]) <= {"@odata.type", "@odata.etag", "id", "subject", "isRead"}
    assert second.removed == [by_subject["hello 2"]]
    assert changes.delta(delta_link=second.delta_link).changed == []


def test_a_refused_link_means_a_full_sync(graph, megan, emu, https):
    graph.send_mail(_message("one"))
    changes = MailChanges(megan)
    link = changes.delta().delta_link
    assert https.post(f"{emu.api_url}/_emulator/delta/expire", timeout=10).status_code == 204
    with pytest.raises(GraphError) as info:
        changes.delta(delta_link=link)
    assert info.value.status == 410 and needs_full_sync(info.value)
    assert [m["subject"] for m in changes.delta().changed] == ["one"]  # from scratch again
    forged = link[:-3] + ("xyz" if not link.endswith("xyz") else "abc")
    with pytest.raises(GraphError) as info:
        changes.delta(delta_link=forged)
    assert needs_full_sync(info.value) and info.value.code == "SyncStateInvalid"


def test_links_are_followed_only_under_graph(megan):
    with pytest.raises(GraphError) as info:
        MailChanges(megan).delta(delta_link="https://evil.example/v1.0/me/messages/delta")
    assert info.value.code == "InvalidNextLink"


def test_subscribe_renew_and_unsubscribe_with_a_real_receiver(graph, megan):
    changes = MailChanges(megan)
    with Receiver() as hook:
        soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        sub = changes.subscribe(hook.url, soon, "s3cret", change_types=("created", "updated"))
        assert sub["resource"] == "me/mailFolders('Inbox')/messages" and len(hook.validations) == 1
        graph.send_mail(_message("ping"))
        [item] = hook.wait_for(lambda items: len(items) == 1)
        assert client_state_matches(item, "s3cret") and not client_state_matches(item, "guess")
        assert not client_state_matches({"clientState": None}, "s3cret")
        # The notification names the message; a delta round fetches it.
        assert item["resourceData"]["id"] in {m["id"] for m in changes.delta().changed}
        later = soon + dt.timedelta(days=2)
        assert changes.renew(sub["id"], later)["expirationDateTime"].startswith(
            later.strftime("%Y-%m-%dT%H:%M:%S"))
        changes.reauthorize(sub["id"])
        assert [s["id"] for s in changes.subscriptions()] == [sub["id"]]
        changes.unsubscribe(sub["id"])
        assert changes.subscriptions() == []
        with pytest.raises(GraphError) as info:
            changes.renew(sub["id"], later)
        assert info.value.status == 404


def test_a_refused_handshake_is_a_graph_error(megan):
    with Receiver() as hook:
        hook.validation = 500
        with pytest.raises(GraphError) as info:
            MailChanges(megan).subscribe(hook.url, dt.datetime.now(dt.timezone.utc)
                                         + dt.timedelta(hours=1), "x")
    assert info.value.status == 400 and info.value.code == "ValidationError"


def test_an_app_watches_a_mailbox_by_address(graph, emu, https):
    token = emu.state.tokens.access_token(DEMO_CLIENT_ID, WORK_TENANT_ID, 3600,
                                          roles=["Mail.Read"])
    app = graph_client(emu.client_config()["graph_endpoint"], lambda: token, https,
                       retry=retry_policy(max_total_wait=5))
    graph.send_mail(_message("for the app"))
    changes = MailChanges(app, MEGAN)
    assert [m["subject"] for m in changes.delta().changed] == ["for the app"]
    with Receiver() as hook:
        sub = changes.subscribe(hook.url, dt.datetime.now(dt.timezone.utc)
                                + dt.timedelta(hours=1), "app-state", folder=None)
        assert sub["resource"] == f"users/{MEGAN}/messages"
        graph.send_mail(_message("again"))
        hook.wait_for(lambda items: len(items) == 1)
