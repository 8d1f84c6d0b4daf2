"""Exchange's sending limits per mailbox, and the settings of every limit, over real HTTPS.

Limits are scaled with ``/_emulator/limits`` and time moved with ``/_emulator/clock`` (the mail
clock that deferred sends read too), never slept through (fixtures in conftest.py).
"""
from __future__ import annotations

import subprocess
import sys
import time


from mailer.graph.http import build_session

ADELE, MEGAN, ALEX = "adele@contoso.example", "megan@contoso.example", "alex@contoso.example"
QUOTA = "ErrorSubmissionQuotaExceeded"


def message(recipients: int = 1, subject: str = "Hello") -> dict:
    to = [{"emailAddress": {"address": f"r{i}@example.com"}} for i in range(recipients)]
    return {"subject": subject, "body": {"contentType": "text", "content": "x"},
            "toRecipients": to}


def send(api, recipients: int = 1, subject: str = "Hello"):
    return api.post("/me/sendMail", json={"message": message(recipients, subject)})


def assert_quota_refusal(response, at_most: float, at_least: float) -> int:
    """429 ErrorSubmissionQuotaExceeded in Graph's shape; its Retry-After, checked in range."""
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == QUOTA
    assert "submission quota was exceeded" in error["message"]
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    retry_after = int(response.headers["Retry-After"])
    assert at_least <= retry_after <= at_most, retry_after
    return retry_after


def folder(api, name: str) -> list[dict]:
    response = api.get(f"/me/mailFolders/{name}/messages?$top=100")
    assert response.status_code == 200, response.text
    return response.json()["value"]


def test_defaults_are_exchange_onlines(admin):
    assert admin("GET", "limits").json()["limits"] == {
        "messages_per_minute": 30, "recipients_per_day": 10000, "recipients_per_message": 500,
        "concurrent_per_mailbox": 4, "requests_per_10_minutes": 10000,
        "over_message_rate": "delay"}


def test_31st_message_in_a_minute_is_refused_until_retry_after(graph_api, graph_token,
                                                               set_limits, move_clock):
    set_limits(over_message_rate="refuse")
    started = time.monotonic()
    for i in range(30):
        assert send(graph_api, subject=f"m{i}").status_code == 202
    refused = send(graph_api, subject="m30")
    elapsed = time.monotonic() - started
    # Truthful: the first of the 30 leaves the minute window after 60 s, less what has passed.
    wait = assert_quota_refusal(refused, at_most=60, at_least=60 - elapsed - 1)
    megan = graph_api.as_(graph_token(MEGAN))
    assert send(megan).status_code == 202  # another mailbox has its own minute
    move_clock(wait)
    assert send(graph_api, subject="m30").status_code == 202
    assert len(folder(graph_api, "sentitems")) == 31


def test_over_the_message_rate_exchange_carries_the_excess_to_the_next_minute(
        graph_api, graph_token, set_limits, move_clock):
    set_limits(messages_per_minute=3)  # over_message_rate: "delay", Exchange's way
    alex = graph_api.as_(graph_token(ALEX))

    def to_alex(subject):
        body = message(subject=subject)
        body["toRecipients"] = [{"emailAddress": {"address": ALEX}}]
        return graph_api.post("/me/sendMail", json={"message": body})
    for i in range(4):
        assert to_alex(f"m{i}").status_code == 202
    assert [m["subject"] for m in folder(graph_api, "outbox")] == ["m3"]
    assert sorted(m["subject"] for m in folder(alex, "inbox")) == ["m0", "m1", "m2"]
    move_clock(61)
    assert sorted(m["subject"] for m in folder(alex, "inbox")) == ["m0", "m1", "m2", "m3"]
    assert folder(graph_api, "outbox") == []


def test_recipients_per_rolling_day(graph_api, graph_token, set_limits, move_clock):
    set_limits(recipients_per_day=10)
    assert send(graph_api, recipients=6).status_code == 202
    started = time.monotonic()
    refused = send(graph_api, recipients=5)
    wait = assert_quota_refusal(refused, at_most=86400,
                                at_least=86400 - (time.monotonic() - started) - 2)
    assert send(graph_api, recipients=4).status_code == 202  # 6 + 4 fit exactly
    assert send(graph_api, recipients=1).status_code == 429
    assert send(graph_api.as_(graph_token(MEGAN)), recipients=10).status_code == 202
    move_clock(wait)
    assert send(graph_api, recipients=5).status_code == 202


def test_recipients_per_message(graph_api, set_limits):
    too_many = send(graph_api, recipients=501)
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "ErrorTooManyRecipients"
    assert "maximum is 500" in too_many.json()["error"]["message"]
    assert send(graph_api, recipients=500).status_code == 202
    set_limits(recipients_per_message=3)
    assert send(graph_api, recipients=4).status_code == 400
    assert send(graph_api, recipients=3).status_code == 202


def test_drafts_and_replies_count_and_a_refused_draft_stays(graph_api, graph_token,
                                                            set_limits, mailbox):
    set_limits(messages_per_minute=3, over_message_rate="refuse")
    alex = graph_api.as_(graph_token(ALEX))
    assert send(alex).status_code == 202  # Alex's minute is his own
    assert send(graph_api).status_code == 202
    draft = graph_api.post("/me/messages", json=message(subject="Draft")).json()
    assert graph_api.post(f"/me/messages/{draft['id']}/send").status_code == 202
    sent_id = folder(graph_api, "sentitems")[0]["id"]
    assert graph_api.post(f"/me/messages/{sent_id}/forward", json={
        "toRecipients": [{"emailAddress": {"address": "x@example.com"}}]}).status_code == 202
    second = graph_api.post("/me/messages", json=message(subject="Waits")).json()
    refused = graph_api.post(f"/me/messages/{second['id']}/send")
    assert_quota_refusal(refused, at_most=60, at_least=1)
    assert [m["subject"] for m in folder(graph_api, "drafts")] == ["Waits"]
    assert graph_api.post(f"/me/messages/{sent_id}/replyAll", json={}).status_code == 429


def test_send_as_counts_against_the_submitting_mailbox(graph_api, graph_token, set_limits):
    set_limits(messages_per_minute=1, over_message_rate="refuse")
    body = message()
    body["from"] = {"emailAddress": {"address": "sales@contoso.example"}}  # Adele: Send As
    assert graph_api.post("/me/sendMail", json={"message": body}).status_code == 202
    assert send(graph_api).status_code == 429  # charged to Adele, who submitted it
    assert send(graph_api.as_(graph_token(MEGAN))).status_code == 202


def test_limits_admin_names_bad_fields_and_reset_restores(emu, admin, set_limits, graph_api):
    for body, field in [({"messages_per_minute": 0}, "messages_per_minute"),
                        ({"recipients_per_day": "10"}, "recipients_per_day"),
                        ({"over_message_rate": "drop"}, "over_message_rate"),
                        ({"per_hour": 3}, "per_hour"), ([], "JSON object")]:
        response = admin("PUT", "limits", body)
        assert response.status_code == 400 and field in response.json()["error"], body
    assert admin("PUT", "clock", {"offset_seconds": "soon"}).status_code == 400
    set_limits(messages_per_minute=None, over_message_rate="refuse")
    for _ in range(35):  # null: no limit
        assert send(graph_api).status_code == 202
    usage = admin("GET", "limits").json()["usage"]
    adele = emu.state.directory.user(ADELE).id
    assert usage[adele] == {"messages_last_minute": 35, "recipients_last_day": 35}
    assert admin("POST", "reset").status_code == 204
    after = admin("GET", "limits").json()
    assert after["limits"]["messages_per_minute"] == 30 and after["usage"] == {}


def test_serve_takes_limits_from_flags_and_environment(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "emulator", "--state-dir", str(tmp_path),
                          "serve", "--limit", "messages_per_minute=many"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "messages_per_minute must be a whole number" in bad.stderr
    env_bad = subprocess.run([sys.executable, "-m", "emulator", "--state-dir", str(tmp_path),
                              "serve"], capture_output=True, text=True, timeout=60,
                             env={"EMULATOR_LIMITS": '{"recipients_per_day": -1}',
                                  "PATH": "/usr/bin:/bin"})
    assert env_bad.returncode == 2 and "recipients_per_day" in env_bad.stderr


def test_serve_applies_flags_over_environment(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "EMULATOR_LIMITS": '{"recipients_per_day": 7, '
                                                       '"messages_per_minute": 9}'}
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--state-dir", str(tmp_path), "serve", "--api-port",
         "0", "--pages-port", "0", "--limit", "messages_per_minute=2",
         "--limit", "concurrent_per_mailbox=null"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = process.stdout.readline()
        api = line.split("Emulator API (HTTPS): ")[1].split()[0]
        session = build_session(str(tmp_path / "ca.pem"))
        limits = session.get(f"{api}/_emulator/limits", timeout=10).json()["limits"]
        session.close()
        assert (limits["messages_per_minute"], limits["recipients_per_day"],
                limits["concurrent_per_mailbox"], limits["recipients_per_message"]) == (2, 7, None,
                                                                                       500)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
