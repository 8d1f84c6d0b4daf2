"""Sending through the API over real HTTP: app-only as another mailbox, by a real huey worker;
an idempotent retry; cancel; reading a mailbox (unread, mark read)."""
from __future__ import annotations

from automation.automation_support import inbox_subjects, wait_until
from mailer.automation import jobs
from mailer.cli.commands import run_here

from api.api_support import ADELE, ALEX, SALES, bearer, error_of, wait_for_state


def test_app_only_send_as_another_mailbox_through_the_api(live_app, http, make_key, workers,
                                                          runtime):
    key = make_key([SALES])
    workers()
    message = {"from": SALES, "to": [ALEX], "cc": [ADELE], "subject": "API: quarterly figures",
               "html": "<p>Hello <b>Alex</b></p>", "importance": "high",
               "reply_to": ["replies@contoso.example"]}
    answer = http.post(f"{live_app.url}/api/v1/messages", json=message, headers=bearer(key),
                       timeout=30)
    assert answer.status_code == 202, answer.text
    assert "Set-Cookie" not in answer.headers  # the API never opens a browser session
    job = answer.json()
    assert job["sender"] == SALES and job["state"] == "queued"
    location = live_app.url + answer.headers["Location"]
    done = wait_for_state(http, location, key, ("sent", "failed"))
    assert done["state"] == "sent", done
    assert inbox_subjects(runtime, ALEX, "API:") == ["API: quarterly figures"]
    assert inbox_subjects(runtime, ADELE, "API:") == ["API: quarterly figures"]


def test_a_retried_submit_is_the_same_job_and_sends_once(live_app, http, make_key, workers,
                                                         runtime):
    key = make_key([SALES])
    message = {"from": SALES, "to": [ALEX], "subject": "API: once only", "text": "just once"}
    headers = {**bearer(key), "Idempotency-Key": "order-4711"}
    first = http.post(f"{live_app.url}/api/v1/messages", json=message, headers=headers, timeout=30)
    again = http.post(f"{live_app.url}/api/v1/messages", json=message, headers=headers, timeout=30)
    assert first.status_code == again.status_code == 202, (first.text, again.text)
    assert first.json()["id"] == again.json()["id"]
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    other = http.post(f"{live_app.url}/api/v1/messages", headers=headers, timeout=30,
                      json={**message, "text": "a different message"})
    error = error_of(other, 422)
    assert error["code"] == "idempotency_key_reused" and error["field"] == "Idempotency-Key"
    assert "different message" in error["message"]
    workers()
    done = wait_for_state(http, live_app.url + first.headers["Location"], key, ("sent", "failed"))
    assert done["state"] == "sent", done
    assert wait_until(lambda: inbox_subjects(runtime, ALEX, "API: once"), 10)
    assert inbox_subjects(runtime, ALEX, "API: once") == ["API: once only"]


def test_a_queued_job_is_cancelled_and_never_sent(live_app, http, make_key, runtime):
    key = make_key([SALES])
    runtime.lanes.pause(SALES, 30)  # the app's worker must not send it before it is cancelled
    answer = http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key), timeout=30,
                       json={"from": SALES, "to": [ALEX], "subject": "API: never", "text": "x"})
    job_id = answer.json()["id"]
    cancelled = http.post(f"{live_app.url}/api/v1/jobs/{job_id}/cancel", headers=bearer(key),
                          timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert runtime.lanes.view(SALES)["waiting"] == 0  # out of its lane: no worker will take it
    error = error_of(http.post(f"{live_app.url}/api/v1/jobs/{job_id}/cancel",
                               headers=bearer(key), timeout=30), 409)
    assert "already cancelled" in error["message"]
    assert inbox_subjects(runtime, ALEX, "API: never") == []


def test_read_a_mailbox_unread_only_then_mark_read(live_app, http, make_key, runtime):
    key = make_key([ADELE])
    job, _ = jobs.submit(runtime, {"from": SALES, "to": [ADELE], "subject": "For the consumer",
                                   "text": "poll me"}, "consumer-1")
    assert run_here(runtime, job)["state"] == "sent"
    url = f"{live_app.url}/api/v1/mailboxes/{ADELE}/messages"
    unread = http.get(url, params={"unread": "true"}, headers=bearer(key), timeout=30)
    assert unread.status_code == 200, unread.text
    found = [m for m in unread.json()["messages"] if m["subject"] == "For the consumer"]
    assert len(found) == 1 and found[0]["from"] == SALES and found[0]["is_read"] is False
    one = http.get(f"{url}/{found[0]['id']}", headers=bearer(key), timeout=30).json()
    assert "poll me" in one["body"]
    marked = http.post(f"{url}/{found[0]['id']}/read", headers=bearer(key), timeout=30)
    assert marked.status_code == 200 and marked.json()["is_read"] is True, marked.text
    after = http.get(url, params={"unread": "true"}, headers=bearer(key), timeout=30).json()
    assert all(m["id"] != found[0]["id"] for m in after["messages"])
    malformed = error_of(http.get(f"{url}/not-an-id", headers=bearer(key), timeout=30), 400)
    assert malformed["graph_code"] == "ErrorInvalidIdMalformed"  # Graph's own, passed through
    assert malformed["field"] == "message_id"
    folder = error_of(http.get(url, params={"folder": "nosuchfolder"}, headers=bearer(key),
                               timeout=30), 400)
    assert folder["field"] == "folder" and folder["graph_code"] == "ErrorInvalidIdMalformed"
