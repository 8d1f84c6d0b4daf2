"""Webhooks for programs, through the live app, its worker, the emulator's subscriptions and a
real receiver: made with a key (its secret once), a new message arriving as a signed
Standard Webhooks event that the standardwebhooks package verifies, listed, deleted (the
Graph subscription with it), and the URLs and keys it refuses."""
from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
from helpers.mailbox import GraphAsApp
from helpers.webhook_receiver import Receiver
from standardwebhooks.webhooks import Webhook

from mailer.automation.webhooks import service

from api.api_support import ADELE, ADMIN, MEGAN, SALES, bearer, csrf_token, error_of


@pytest.fixture
def app_config(app_config):
    """Rounds, upkeep and retries at a test's pace."""
    return {**app_config, "WEBHOOK_LOCAL": "on", "WATCH_EVERY": "0.5", "WEBHOOK_BACKOFF": "0.2",
            "WEBHOOK_BACKOFF_MAX": "1", "WEBHOOK_TIMEOUT": "3"}


def wait_until(predicate, timeout: float = 20.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def make_webhook(http, live_app, key, url, mailbox=SALES, **extra):
    return http.post(f"{live_app.url}/api/v1/mailboxes/{mailbox}/webhooks", timeout=30,
                     headers=bearer(key), json={"url": url, **extra})


def watching(http, live_app, key, mailbox=SALES):
    listed = http.get(f"{live_app.url}/api/v1/mailboxes/{mailbox}/webhooks", timeout=30,
                      headers=bearer(key)).json()
    return all(w["watch"]["state"] == "watching" for w in listed["webhooks"]) and listed


def test_a_new_message_reaches_the_webhook_signed(live_app, http, make_key, emu, https):
    key = make_key([SALES])
    with Receiver() as program:
        made = make_webhook(http, live_app, key, program.url)
        assert made.status_code == 201, made.text
        hook = made.json()
        assert hook["secret"].startswith("whsec_") and hook["events"] == ["message.received"]
        assert wait_until(lambda: watching(http, live_app, key)), "no subscription was made"
        GraphAsApp(emu).send(ADELE, SALES, "Order 1234")
        wait_until(lambda: program.posts, timeout=20)
        [post] = program.posts
        body = Webhook(hook["secret"]).verify(post["raw"], post["headers"])
        assert body["type"] == "message.received"
        assert body["data"]["mailbox"] == SALES
        assert body["data"]["message"]["subject"] == "Order 1234"
        assert body["data"]["message"]["from"] == ADELE
        assert post["headers"]["webhook-id"].startswith("msg_")
        with pytest.raises(Exception):
            Webhook(hook["secret"]).verify(post["raw"].replace(b"1234", b"9999"), post["headers"])
        listed = http.get(f"{live_app.url}/api/v1/mailboxes/{SALES}/webhooks", timeout=30,
                          headers=bearer(key)).json()
        assert [w["id"] for w in listed["webhooks"]] == [hook["id"]]
        assert "secret" not in json.dumps(listed)
        subs = https.get(f"{emu.api_url}/_emulator/notifications", timeout=10).json()
        assert subs["subscriptions"] == 1
        gone = http.delete(f"{live_app.url}/api/v1/mailboxes/{SALES}/webhooks/{hook['id']}",
                           timeout=30, headers=bearer(key))
        assert gone.status_code == 204
        assert wait_until(lambda: https.get(f"{emu.api_url}/_emulator/notifications",
                                            timeout=10).json()["subscriptions"] == 0)


@pytest.mark.parametrize("url, words", [
    ("ftp://example.org/x", "https"),
    ("https://169.254.169.254/latest/meta-data", "metadata"),
    ("https://user:pw@example.org/", "user name"),
    ("https://nowhere.invalid/hook", "does not resolve"),
    ("http://[fe80::1]/hook", "link-local"),
])
def test_urls_a_webhook_may_not_have(live_app, http, make_key, url, words):
    error = error_of(make_webhook(http, live_app, make_key([SALES]), url), 400)
    assert error["field"] == "url" and words in error["message"], error


def test_the_app_itself_is_not_a_webhook(live_app, http, make_key):
    key = make_key([SALES])
    for url in (f"{live_app.url}/api/v1/messages", f"{live_app.url}/graph/notifications",
                live_app.url.replace("127.0.0.1", "localhost") + "/"):
        error = error_of(make_webhook(http, live_app, key, url), 400)
        assert "this app itself" in error["message"], (url, error)


def test_keys_and_bodies_are_checked(live_app, http, make_key):
    sales_key = make_key([SALES])
    error = error_of(make_webhook(http, live_app, sales_key, "https://example.org/h",
                                  mailbox=MEGAN), 403)
    assert error["field"] == "mailbox"
    error = error_of(make_webhook(http, live_app, sales_key, "https://example.org/h",
                                  events=["message.deleted"]), 400)
    assert error["field"].startswith("events")
    error = error_of(http.post(f"{live_app.url}/api/v1/mailboxes/{SALES}/webhooks",
                               timeout=30, headers=bearer(sales_key), data="[" * 5000), 400)
    assert "nested" in error["message"]
    error = error_of(http.get(f"{live_app.url}/api/v1/mailboxes/{SALES}/webhooks",
                              timeout=30), 401)
    missing = http.delete(f"{live_app.url}/api/v1/mailboxes/{SALES}/webhooks/wh_0000000000000000",
                          timeout=30, headers=bearer(sales_key))
    assert error_of(missing, 404)["field"] == "webhook_id"


def test_the_subscription_is_renewed_in_time_as_the_mail_clock_passes_its_expiry(
        live_app, http, make_key, emu, https, app):
    """Ten days of Graph's clock in steps of 12 hours (PUT /_emulator/clock): the workers
    renew (and reauthorize) the one subscription before it lapses, reckoning from the Date of
    Graph's answers; it is never expired nor made again, and mail still comes by notification."""
    key = make_key([SALES])
    records = service.of(app.extensions["mailer"]["delivery"]).records
    graph = f"{emu.api_url}/_emulator"
    with Receiver() as program:
        assert make_webhook(http, live_app, key, program.url).status_code == 201
        assert wait_until(lambda: watching(http, live_app, key))
        first = records.watch(SALES)["subscription"]
        first_expiry = dt.datetime.fromisoformat(first["expires"])
        renewed = set()
        for step in range(1, 21):
            moved = time.time()
            assert https.put(f"{graph}/clock", json={"offset_seconds": step * 12 * 3600},
                             timeout=10).ok
            assert wait_until(lambda: records.watch(SALES).get("checked", 0) > moved + 0.1)
            watch = records.watch(SALES)
            assert watch["subscription"]["id"] == first["id"], f"made again at step {step}"
            renewed.add(watch["subscription"]["expires"])
            graph_now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=12 * step)
            assert dt.datetime.fromisoformat(watch["subscription"]["expires"]) > graph_now
        assert graph_now > first_expiry + dt.timedelta(days=7)  # long past the first expiry
        report = https.get(f"{graph}/notifications", timeout=10).json()
        assert report["subscriptions"] == 1 and report["counts"].get("expired", 0) == 0
        assert len(renewed) >= 4  # renewed about every two days of the clock
        GraphAsApp(emu).send(ADELE, SALES, "ten days later")
        assert wait_until(lambda: program.posts)
        report = https.get(f"{graph}/notifications", timeout=10).json()
        assert report["counts"].get("paused", 0) == 0  # Graph did not hold it back
        assert any(r["event"] == "created" and r["status"] == 202 for r in report["recent"])


def test_the_admin_page_shows_each_attempt_and_sends_a_test_event(live_app, http, make_key,
                                                                 live_sign_in, emu):
    key = make_key([SALES])
    with Receiver() as program:
        program.answers = [500]
        hook = make_webhook(http, live_app, key, program.url).json()
        assert wait_until(lambda: watching(http, live_app, key))
        GraphAsApp(emu).send(ADELE, SALES, "Invoice 77")
        assert wait_until(lambda: len(program.posts) == 2)  # a 500, then again after a wait
        admin = live_sign_in(ADMIN)
        listed = admin.get(f"{live_app.url}/admin/webhooks", timeout=30)
        assert listed.status_code == 200 and program.url in listed.text
        assert "Watching" in listed.text
        page = admin.get(f"{live_app.url}/admin/webhooks/{hook['id']}", timeout=30)
        assert page.status_code == 200
        statuses = re.findall(r'<tr data-status="(\d*)"', page.text)
        assert statuses == ["202", "500"]  # newest first
        assert program.posts[0]["headers"]["webhook-id"] in page.text
        assert "ms</td>" in page.text and hook["secret"] not in page.text
        url = f"{live_app.url}/admin/webhooks/{hook['id']}/test"
        assert admin.post(url, timeout=30).status_code == 400  # no CSRF token
        sent = admin.post(url, data={"csrf_token": csrf_token(page.text)}, timeout=30)
        assert sent.status_code == 200 and "A test event" in sent.text
        assert wait_until(lambda: len(program.posts) == 3)
        body = Webhook(hook["secret"]).verify(program.posts[2]["raw"],
                                              program.posts[2]["headers"])
        assert body["type"] == "webhook.test" and body["data"]["mailbox"] == SALES
        adele = live_sign_in(ADELE)
        assert adele.get(f"{live_app.url}/admin/webhooks", timeout=30).status_code == 403
        assert adele.post(url, data={"csrf_token": csrf_token(page.text)},
                          timeout=30).status_code in (400, 403)


def test_a_lost_delta_link_and_a_removed_subscription_lose_nothing_and_repeat_nothing(
        live_app, http, make_key, emu, https, app):
    key = make_key([SALES])
    records = service.of(app.extensions["mailer"]["delivery"]).records
    graph, admin = GraphAsApp(emu), f"{emu.api_url}/_emulator"
    with Receiver() as program:
        assert make_webhook(http, live_app, key, program.url).status_code == 201
        assert wait_until(lambda: watching(http, live_app, key))
        graph.send(ADELE, SALES, "before")
        assert wait_until(lambda: len(program.posts) == 1)
        assert https.post(f"{admin}/delta/expire", timeout=10).status_code == 204
        graph.send(ADELE, SALES, "after the link was lost")  # its round resyncs (410)
        assert wait_until(lambda: len(program.posts) == 2)
        assert wait_until(lambda: records.watch(SALES).get("resyncs") == 1)
        first = records.watch(SALES)["subscription"]["id"]
        removed = https.post(f"{admin}/notifications/subscriptions/{first}/remove", timeout=10)
        assert removed.status_code == 204  # Graph says subscriptionRemoved
        assert wait_until(lambda: (records.watch(SALES)["subscription"] or {}).get("id")
                          not in (None, first))
        graph.send(ADELE, SALES, "after the subscription was made again")
        assert wait_until(lambda: len(program.posts) == 3)
        time.sleep(1.5)  # rounds keep running (WATCH_EVERY): nothing comes twice
    subjects = [p["body"]["data"]["message"]["subject"] for p in program.posts]
    assert subjects == ["before", "after the link was lost",
                        "after the subscription was made again"]
    report = https.get(f"{admin}/notifications", timeout=10).json()
    assert report["counts"]["lifecycle_subscriptionRemoved"] == 1
