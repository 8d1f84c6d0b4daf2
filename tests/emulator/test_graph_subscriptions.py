"""Change notifications: /subscriptions, the validation handshake, notifications delivered to
real HTTP receivers (retries, duplicates, drops), renewal, deletion, expiry by the mail clock,
lifecycle events and permissions."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

import pytest

from emulator.graph.subscriptions import model
from helpers.webhook_receiver import Receiver

ADELE, ALEX = "adele@contoso.example", "alex@contoso.example"
INBOX = "me/mailFolders('Inbox')/messages"


@pytest.fixture
def hook():
    with Receiver("/notify") as receiver:
        yield receiver


@pytest.fixture
def life():
    with Receiver("/lifecycle") as receiver:
        yield receiver


@pytest.fixture
def alex(graph_api, graph_token):
    return graph_api.as_(graph_token(ALEX))


@pytest.fixture
def notifications(admin):
    """notifications(**settings) changes the dispatcher's settings; () reads its report."""
    def call(**settings):
        response = admin("PUT", "notifications", settings) if settings \
            else admin("GET", "notifications")
        assert response.status_code == 200, response.text
        return response.json()
    yield call
    admin("DELETE", "notifications")


def later(minutes: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)).isoformat()


def subscribe(api, hook, resource=INBOX, change_type="created", minutes=60, **extra):
    body = {"changeType": change_type, "notificationUrl": hook.url, "resource": resource,
            "expirationDateTime": later(minutes), "clientState": "secret-123", **extra}
    return api.post("/subscriptions", json=body)


def send(graph_api, subject="Hi", to=ALEX):
    body = {"message": {"subject": subject, "toRecipients": [{"emailAddress": {"address": to}}]}}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202


def wait_until(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_create_validates_the_endpoint_then_notifies_new_mail(graph_api, alex, hook, emu):
    response = subscribe(alex, hook)
    assert response.status_code == 201, response.text
    sub = response.json()
    assert sub["@odata.context"].endswith("/$metadata#subscriptions/$entity")
    assert sub["resource"] == INBOX and sub["changeType"] == "created"
    assert sub["clientState"] == "secret-123" and sub["notificationUrl"] == hook.url
    assert sub["expirationDateTime"].endswith("Z") and sub["latestSupportedTlsVersion"] == "v1_2"
    assert sub["creatorId"] == emu.state.directory.user(ALEX).id and sub["applicationId"]
    [validation] = hook.validations
    assert validation["token"].startswith("Validation: ")  # decoded by the receiver
    assert validation["content_type"].startswith("text/plain")

    send(graph_api, "Lunch?")
    [item] = hook.wait_for(lambda items: len(items) == 1)
    alex_id = emu.state.directory.user(ALEX).id
    message_id = item["resourceData"]["id"]
    assert item["subscriptionId"] == sub["id"] and item["clientState"] == "secret-123"
    assert item["changeType"] == "created" and item["tenantId"]
    assert item["subscriptionExpirationDateTime"] == sub["expirationDateTime"]
    assert item["resource"] == f"Users/{alex_id}/Messages/{message_id}"
    assert item["resourceData"]["@odata.type"] == "#Microsoft.Graph.Message"
    assert item["resourceData"]["@odata.id"] == item["resource"]
    message = alex.get(f"/me/messages/{quote(message_id, safe='')}").json()
    assert message["subject"] == "Lunch?"
    assert item["resourceData"]["@odata.etag"] == message["@odata.etag"]
    assert hook.posts[0]["content_type"].startswith("application/json")


def test_updated_and_deleted_on_the_whole_mailbox(graph_api, alex, hook):
    send(graph_api, "to read")
    message_id = alex.get("/me/messages").json()["value"][0]["id"]
    assert subscribe(alex, hook, "/me/messages", "updated,deleted").status_code == 201
    path = f"/me/messages/{quote(message_id, safe='')}"
    assert alex.patch(path, json={"isRead": True}).status_code == 200
    hook.wait_for(lambda items: len(items) == 1)
    assert alex.delete(path).status_code == 204  # moved to Deleted Items: a new id
    items = hook.wait_for(lambda items: len(items) == 2)
    assert [(i["changeType"], i["resourceData"]["id"]) for i in items] == \
        [("updated", message_id), ("deleted", message_id)]


def test_a_folder_subscription_hears_only_its_folder(graph_api, alex, hook, notifications):
    assert subscribe(alex, hook).status_code == 201
    send(alex, "from alex to adele", to=ADELE)  # a Sent Items copy in Alex's mailbox
    send(graph_api, "to alex")
    items = hook.wait_for(lambda items: len(items) >= 1)
    wait_until(lambda: notifications()["pending"] == 0)
    assert len(hook.notifications()) == 1 and items[0]["changeType"] == "created"


@pytest.mark.parametrize("validation, code, words", [
    (500, "ValidationError", "must respond with 200 OK"),
    ("wrong", "ValidationError", "exactly match validationToken"),
    ("json", "ValidationError", "text/plain"),
    (("slow", 2.0), "InvalidRequest", "timed out")])
def test_a_failed_handshake_refuses_the_subscription(alex, hook, notifications, validation,
                                                     code, words):
    notifications(validation_timeout_seconds=0.5)
    hook.validation = validation
    response = subscribe(alex, hook)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"]
    assert alex.get("/subscriptions").json()["value"] == []


def test_an_unreachable_endpoint_or_lifecycle_url_refuses(alex, hook, life):
    life.validation = 500
    response = subscribe(alex, hook, lifecycleNotificationUrl=life.url)
    assert response.status_code == 400 and response.json()["error"]["code"] == "ValidationError"
    assert len(life.validations) == 1
    response = alex.post("/subscriptions", json={
        "changeType": "created", "notificationUrl": "http://127.0.0.1:9/nobody",
        "resource": INBOX, "expirationDateTime": later(60)})
    assert response.status_code == 400 and response.json()["error"]["code"] == "ValidationError"


def test_retries_with_backoff_until_the_receiver_answers(graph_api, alex, hook, notifications):
    notifications(retry_base_seconds=0.1)
    hook.answers = [500, 503]
    assert subscribe(alex, hook).status_code == 201
    send(graph_api)
    hook.wait_for(lambda items: len(items) == 3)
    wait_until(lambda: notifications()["pending"] == 0)
    report = notifications()
    assert [(r["attempt"], r["status"]) for r in report["recent"]] == \
        [(1, 500), (2, 503), (3, 202)]
    assert report["counts"]["delivered"] == 1 and report["counts"]["failed_attempts"] == 2
    first, second, third = (p["at"] for p in hook.posts)
    assert third - second >= second - first  # the wait doubles


def test_a_receiver_slower_than_three_seconds_gets_it_again(graph_api, alex, hook,
                                                            notifications):
    notifications(retry_base_seconds=0.1, notification_timeout_seconds=0.3)
    hook.hang = [1.0]  # answers, but too late
    assert subscribe(alex, hook).status_code == 201
    send(graph_api)
    items = hook.wait_for(lambda items: len(items) == 2)
    assert items[0]["id"] == items[1]["id"]  # the same notification, so receivers can dedupe
    wait_until(lambda: notifications()["pending"] == 0)
    assert [r["status"] for r in notifications()["recent"]] == [None, 202]


def test_retries_give_up_after_four_hours_with_a_missed_event(graph_api, alex, hook, life,
                                                              notifications, move_clock):
    notifications(retry_base_seconds=0.1, retry_max_seconds=0.2)
    hook.answers = [500] * 1000
    assert subscribe(alex, hook, lifecycleNotificationUrl=life.url, minutes=600).status_code \
        == 201
    send(graph_api)
    hook.wait_for(lambda items: len(items) >= 2)
    move_clock(4 * 3600 + 60)
    [event] = life.wait_for(lambda items: len(items) == 1)
    assert event["lifecycleEvent"] == "missed" and event["clientState"] == "secret-123"
    wait_until(lambda: notifications()["pending"] == 0)
    assert notifications()["counts"]["discarded"] == 1


def test_dropped_notifications_send_missed_and_duplicates_repeat(graph_api, alex, hook, life,
                                                                 notifications):
    notifications(drop_one_in=2, duplicate_one_in=3)
    assert subscribe(alex, hook, lifecycleNotificationUrl=life.url).status_code == 201
    for i in range(3):
        send(graph_api, f"m{i}")
    missed = life.wait_for(lambda items: len(items) == 1)
    assert missed[0]["lifecycleEvent"] == "missed" and "resource" not in missed[0]
    hook.wait_for(lambda items: len(items) == 3)  # 1st, (2nd dropped), 3rd twice
    wait_until(lambda: notifications()["pending"] == 0)
    ids = [item["id"] for item in hook.notifications()]
    assert len(ids) == 3 and len(set(ids)) == 2  # one of them came twice
    counts = notifications()["counts"]
    assert counts["dropped"] == 1 and counts["duplicated"] == 1 and counts["produced"] == 3


def test_renew_get_list_and_delete(graph_api, alex, hook, notifications):
    sub = subscribe(alex, hook).json()
    path = f"/subscriptions/{sub['id']}"
    renewed = alex.patch(path, json={"expirationDateTime": later(3 * 24 * 60)})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["expirationDateTime"] > sub["expirationDateTime"]
    got = alex.get(path).json()
    assert got["expirationDateTime"] == renewed.json()["expirationDateTime"]
    listed = alex.get("/subscriptions").json()
    assert listed["@odata.context"].endswith("/$metadata#subscriptions")
    assert [s["id"] for s in listed["value"]] == [sub["id"]]
    assert listed["value"][0]["clientState"] is None  # "not returned for security purposes"
    assert graph_api.get(path).status_code == 404  # Adele does not see Alex's subscription
    too_far = alex.patch(path, json={"expirationDateTime": later(model.MAX_MINUTES + 5)})
    assert too_far.status_code == 400 and too_far.json()["error"]["code"] == "ExtensionError"
    assert alex.patch(path, json={"resource": "me/messages"}).status_code == 400
    assert alex.delete(path).status_code == 204
    assert alex.get(path).status_code == 404
    send(graph_api)
    time.sleep(0.3)  # nothing may arrive: the subscription is gone
    assert hook.notifications() == [] and notifications()["counts"].get("produced", 0) == 0


def test_a_subscription_expires_by_the_mail_clock(graph_api, alex, hook, move_clock,
                                                  notifications):
    sub = subscribe(alex, hook, minutes=60).json()
    move_clock(2 * 3600)
    wait_until(lambda: alex.get(f"/subscriptions/{sub['id']}").status_code == 404)
    send(graph_api)
    time.sleep(0.3)
    assert hook.notifications() == [] and notifications()["counts"]["expired"] == 1


@pytest.mark.parametrize("expiry, code", [(model.MAX_MINUTES + 5, "ExtensionError"),
                                          (-5, "InvalidRequest")])
def test_expiration_beyond_graphs_maximum_or_past_is_refused(alex, hook, expiry, code):
    response = subscribe(alex, hook, minutes=expiry)
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    if code == "ExtensionError":
        assert response.json()["error"]["message"] == \
            "Subscription expiration can only be 10080 minutes in the future."
    assert subscribe(alex, hook, minutes=model.MAX_MINUTES - 1).status_code == 201


def test_reauthorization_required_then_paused_until_renewed(graph_api, graph_token, hook, life,
                                                            move_clock, notifications):
    short = graph_api.as_(graph_token(ALEX, lifetime=600))  # expires within the notice window
    sub = subscribe(short, hook, lifecycleNotificationUrl=life.url, minutes=24 * 60).json()
    [event] = life.wait_for(lambda items: len(items) == 1)
    assert event["lifecycleEvent"] == "reauthorizationRequired"
    assert event["subscriptionId"] == sub["id"]
    move_clock(3600)  # the token expired half an hour ago and more: delivery pauses
    send(graph_api, "lost while paused")
    wait_until(lambda: notifications()["counts"].get("paused") == 1)
    fresh = graph_api.as_(graph_token(ALEX, lifetime=4 * 3600))
    assert fresh.post(f"/subscriptions/{sub['id']}/reauthorize").status_code == 204
    send(graph_api, "after reauthorizing")
    [item] = hook.wait_for(lambda items: len(items) == 1)
    assert item["changeType"] == "created"


def test_subscription_removed_is_told_to_the_lifecycle_url(alex, hook, life, admin):
    sub = subscribe(alex, hook, lifecycleNotificationUrl=life.url).json()
    assert admin("POST", f"notifications/subscriptions/{sub['id']}/remove").status_code == 204
    [event] = life.wait_for(lambda items: len(items) == 1)
    assert event["lifecycleEvent"] == "subscriptionRemoved"
    assert alex.get(f"/subscriptions/{sub['id']}").status_code == 404


def test_permissions(graph_api, graph_token, hook):
    basic = graph_api.as_(graph_token(ALEX, ["Mail.ReadBasic"]))
    delegated = subscribe(basic, hook)
    assert delegated.status_code == 201
    assert subscribe(graph_api.as_(graph_token(ALEX, ["User.Read"])), hook).status_code == 403
    # Delegated: only one's own mailbox, even with Full Access.
    assert subscribe(graph_api, hook, "users/sales@contoso.example/messages").status_code == 403
    app = graph_api.as_(graph_token(roles=["Mail.Read"]))
    response = subscribe(app, hook, f"users('{ALEX}')/mailFolders('inbox')/messages")
    assert response.status_code == 201, response.text
    assert subscribe(app, hook, "me/messages").status_code == 400
    assert subscribe(graph_api.as_(graph_token(roles=["Mail.Send"])), hook,
                     f"users/{ALEX}/messages").status_code == 403
    # The app sees what it created for itself and for any user of its tenant (subscription-list).
    assert {s["id"] for s in app.get("/subscriptions").json()["value"]} == \
        {response.json()["id"], delegated.json()["id"]}
    assert [s["id"] for s in basic.get("/subscriptions").json()["value"]] == \
        [delegated.json()["id"]]


def test_http_urls_only_in_demo_mode(alex, hook, notifications):
    assert subscribe(alex, hook).status_code == 201  # demo mode: http loopback allowed
    for url in ("http://example.com/hook", "ftp://127.0.0.1/x"):
        response = alex.post("/subscriptions", json={
            "changeType": "created", "notificationUrl": url, "resource": INBOX,
            "expirationDateTime": later(60)})
        assert response.status_code == 400 and "is not supported" in \
            response.json()["error"]["message"]
    notifications(http_loopback=False)
    response = subscribe(alex, hook)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == \
        ("InvalidRequest", "NotificationUrl scheme='http' is not supported.")


@pytest.mark.parametrize("change, field", [
    ({"changeType": "moved"}, "changeType"), ({"changeType": None}, "changeType"),
    ({"clientState": "x" * 129}, "clientState"), ({"expirationDateTime": "soon"}, "expirationDateTime"),
    ({"notificationUrl": "nowhere"}, "notification url"), ({"resource": None}, "resource")])
def test_bad_requests_name_the_field(alex, hook, change, field):
    body = {"changeType": "created", "notificationUrl": hook.url, "resource": INBOX,
            "expirationDateTime": later(60), **change}
    response = alex.post("/subscriptions", json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]["message"]


@pytest.mark.parametrize("resource", ["me/events", "me/contacts", "me/messages?$filter=isRead eq false"])
def test_other_resources_are_not_emulated(alex, hook, resource):
    assert subscribe(alex, hook, resource).status_code == 501


def test_at_most_a_thousand_per_mailbox(alex, hook, monkeypatch):
    monkeypatch.setattr(model, "MAILBOX_LIMIT", 2)
    assert subscribe(alex, hook).status_code == 201
    assert subscribe(alex, hook).status_code == 201
    response = subscribe(alex, hook)
    assert response.status_code == 403 and response.json()["error"]["code"] == "ExtensionError"
