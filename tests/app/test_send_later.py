"""Send later: a time picked in the person's zone is kept in UTC; the send engine holds the
message (still a draft, untouched) until then and a worker sends it at its time, whether or not
the person is there; Cancel before then keeps it a draft. The deferred send time (SystemTime
0x3FEF) goes with it, so Exchange would not send it early either. A past time, one over 30
days ahead, or one that is no time at all is refused naming the field."""
from __future__ import annotations

import datetime as dt
import html
import re
import time

import pytest
from helpers.compose import errors_on, finished_job, mailbox, new_draft, post_form, text
from helpers.mailbox import GraphAsApp

from mailer.sending import send_later

MEGAN, ALEX = "megan@contoso.example", "alex@contoso.example"
PARIS = "Europe/Paris"


def local(delta: dt.timedelta, zone: str = PARIS, seconds: bool = False) -> str:
    moment = dt.datetime.now(dt.timezone.utc) + delta
    return moment.astimezone(send_later.zone_of(zone)).strftime(
        "%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%dT%H:%M")


def sent_job(client, draft_id: str, timeout: float = 20.0) -> dict:
    """The status JSON once the scheduled send went out."""
    deadline = time.monotonic() + timeout
    while (job := client.get(f"/compose/{draft_id}/status.json").get_json())["state"] != "sent":
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    return job


def test_a_message_sent_later_is_held_as_a_draft_and_sent_at_its_time(client, sign_in, emu):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    picked = local(dt.timedelta(seconds=4), seconds=True)
    response = post_form(client, draft_id, token, to=ALEX, subject="Later", body="<p>Hi</p>",
                         send_at=picked, send_tz=PARIS)
    assert response.status_code == 303, text(response)[:2000]
    job = finished_job(client, draft_id)  # the page stops polling: it is scheduled
    assert job["state"] == "scheduled" and job["cancellable"], job
    assert job["title"] == f"Scheduled for {picked[:16].replace('T', ' ')} ({PARIS})", job
    page = html.unescape(text(client.get(f"/compose/{draft_id}/status")))
    assert f"Scheduled for {picked[:16].replace('T', ' ')}" in page and 'id="cancel-send"' in page
    assert mailbox(emu, ALEX) == [] and mailbox(emu, MEGAN, "outbox") == []
    sent_job(client, draft_id)  # nobody looks meanwhile: a worker sends it at its time
    [arrived] = mailbox(emu, ALEX)
    assert arrived.props["subject"] == "Later"
    assert arrived.sent >= dt.datetime.fromisoformat(
        send_later.to_utc(picked, PARIS).replace("Z", "+00:00")) - dt.timedelta(seconds=1)


def test_a_scheduled_send_cancelled_stays_a_draft_as_it_was(client, sign_in, emu):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="Not after all", body="<p>Kept</p>",
              send_at=local(dt.timedelta(hours=1)), send_tz=PARIS)
    assert finished_job(client, draft_id)["state"] == "scheduled"
    cancelled = client.post(f"/compose/{draft_id}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303 and cancelled.location == f"/compose/{draft_id}"
    page = text(client.get(cancelled.location))
    assert 'value="Not after all"' in page and "Kept" in page and "Cancelled" in page
    again = client.post(f"/compose/{draft_id}/cancel", data={"csrf_token": token})
    assert again.location.endswith("/status")  # nothing left to cancel
    assert mailbox(emu, ALEX) == [] and mailbox(emu, MEGAN, "outbox") == []
    post_form(client, draft_id, token, to=ALEX, subject="Now then", body="<p>Kept</p>")
    assert finished_job(client, draft_id)["state"] == "sent"  # sent now, as a new attempt
    assert [m.props["subject"] for m in mailbox(emu, ALEX)] == ["Now then"]


@pytest.mark.parametrize("send_at, send_tz, expected", [
    (local(-dt.timedelta(minutes=5)), PARIS, "has already passed"),
    (local(dt.timedelta(days=31)), PARIS, "more than 30 days ahead"),
    ("tomorrow", PARIS, "is not a date and time"),
    ("2026-02-30T10:00", PARIS, "is not a date that exists"),
    (local(dt.timedelta(hours=1)), "Mars/Olympus_Mons", "time zone"),
    (local(dt.timedelta(hours=1)), "+25:00", "time zone offset"),
])
def test_a_time_that_cannot_be_used_is_refused_naming_the_field(client, sign_in, emu, send_at,
                                                                send_tz, expected):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    response = post_form(client, draft_id, token, to=ALEX, subject="Kept", body="<p>Typed</p>",
                         send_at=send_at, send_tz=send_tz)
    assert response.status_code == 400, text(response)[:1500]
    [problem] = errors_on(text(response))["send_at"]
    assert problem.startswith("Send later:") and expected in problem
    assert 'value="Kept"' in text(response)  # what was typed is still there
    assert mailbox(emu, ALEX) == [] and mailbox(emu, MEGAN, "outbox") == []


def test_the_time_is_kept_with_the_draft_in_its_zone(client, sign_in):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    picked = local(dt.timedelta(days=2), "America/New_York")
    post_form(client, draft_id, token, action="save", to=ALEX, send_at=picked,
              send_tz="America/New_York")
    page = text(client.get(f"/compose/{draft_id}"))
    assert re.search(rf'name="send_at"[^>]*value="{picked}"|value="{picked}"[^>]*name="send_at"',
                     page)
    assert "America/New_York" in page


def test_a_continued_outlook_draft_is_sent_later_through_its_patch(client, sign_in, emu):
    graph = GraphAsApp(emu)
    try:
        made = graph.http.post(f"{graph.graph}/users/{MEGAN}/messages", headers=graph.headers,
                               json={"subject": "Drafted", "toRecipients": [
                                   {"emailAddress": {"address": ALEX}}]}, timeout=10)
    finally:
        graph.http.close()
    assert made.status_code == 201
    sign_in(client, MEGAN, scopes=["Mail.Read", "Mail.ReadWrite", "Mail.Send"])
    page = text(client.get("/mail/me/drafts"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    opened = client.post(f"/mail/me/m/{made.json()['id']}/continue", data={"csrf_token": token})
    draft_id = opened.location.rsplit("/", 1)[1]
    picked = local(dt.timedelta(seconds=4), "+05:30", seconds=True)
    response = post_form(client, draft_id, token, to=ALEX, subject="Drafted", body="<p>x</p>",
                         send_at=picked, send_tz="+05:30")
    assert response.status_code == 303, text(response)[:1500]
    assert finished_job(client, draft_id)["title"].startswith("Scheduled for")
    assert mailbox(emu, ALEX) == [] and [m.props["subject"] for m in mailbox(emu, MEGAN, "drafts")] == ["Drafted"]
    sent_job(client, draft_id)
    assert [m.props["subject"] for m in mailbox(emu, ALEX)] == ["Drafted"]
    assert mailbox(emu, MEGAN, "drafts") == []


@pytest.mark.parametrize("typed, zone, utc", [
    ("2026-07-01T09:30", PARIS, "2026-07-01T07:30:00Z"),  # summer time, +2
    ("2026-12-01T09:30", PARIS, "2026-12-01T08:30:00Z"),  # winter time, +1
    ("2026-12-01T09:30", "+05:30", "2026-12-01T04:00:00Z"),
    ("2026-12-01T09:30", "", "2026-12-01T09:30:00Z"),  # no JavaScript: UTC
    ("", PARIS, ""),
])
def test_local_times_become_utc(typed, zone, utc):
    assert send_later.to_utc(typed, zone) == utc
    assert send_later.local_of(utc, zone) == typed
