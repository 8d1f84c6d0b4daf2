"""Send later: a time picked in the person's zone is kept in UTC and handed to Exchange as the
deferred send time (SystemTime 0x3FEF); the message waits in the Outbox and arrives at its time
(the emulator's mail clock is moved instead of waiting); a past time, one over 30 days ahead,
or one that is no time at all is refused naming the field."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from helpers.compose import errors_on, finished_job, mailbox, new_draft, post_form, text
from helpers.mailbox import GraphAsApp

from emulator.graph.mail.store import MailStore
from mailer.sending import send_later

MEGAN, ALEX = "megan@contoso.example", "alex@contoso.example"
PARIS = "Europe/Paris"


def move(https, emu, delta: dt.timedelta) -> None:
    """Move the emulator's mail clock (/_emulator/clock); its next Graph request releases what
    is due, as Exchange would have sent it at its time."""
    moved = https.put(f"{emu.api_url}/_emulator/clock",
                      json={"offset_seconds": delta.total_seconds()}, timeout=10)
    assert moved.status_code == 200, moved.text
    graph = GraphAsApp(emu)
    try:
        assert graph.http.get(f"{graph.graph}/users/{ALEX}/mailFolders/inbox/messages",
                              headers=graph.headers, timeout=10).status_code == 200
    finally:
        graph.http.close()


def local(delta: dt.timedelta, zone: str = PARIS) -> str:
    moment = dt.datetime.now(dt.timezone.utc) + delta
    return moment.astimezone(send_later.zone_of(zone)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def clock(emu):
    store = emu.state.extension("mail", MailStore)
    yield store
    store.clock_offset = dt.timedelta()


def test_a_message_sent_later_waits_in_the_outbox_and_arrives_at_its_time(
        client, sign_in, emu, clock, https):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    picked = local(dt.timedelta(hours=2))
    response = post_form(client, draft_id, token, to=ALEX, subject="Later", body="<p>Hi</p>",
                         send_at=picked, send_tz=PARIS)
    assert response.status_code == 303, text(response)[:2000]
    job = finished_job(client, draft_id)
    assert job["state"] == "sent" and job["title"] == f"Scheduled for {picked.replace('T', ' ')} " \
        f"({PARIS})", job
    page = text(client.get(f"/compose/{draft_id}/status"))
    assert f"Scheduled for {picked.replace('T', ' ')}" in html.unescape(page)
    assert "Sent<" not in page
    assert [m.props["subject"] for m in mailbox(emu, MEGAN, "outbox")] == ["Later"]
    assert mailbox(emu, ALEX) == []
    move(https, emu, dt.timedelta(hours=1, minutes=58))
    assert mailbox(emu, ALEX) == []
    move(https, emu, dt.timedelta(hours=2, minutes=1))
    [arrived] = mailbox(emu, ALEX)
    expected = send_later.to_utc(picked, PARIS)
    assert arrived.props["subject"] == "Later" and arrived.sent.strftime(
        "%Y-%m-%dT%H:%M:%SZ") == expected
    assert mailbox(emu, MEGAN, "outbox") == []


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


def test_a_continued_outlook_draft_is_sent_later_through_its_patch(client, sign_in, emu, clock,
                                                                  https):
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
    picked = local(dt.timedelta(minutes=30), "+05:30")
    response = post_form(client, draft_id, token, to=ALEX, subject="Drafted", body="<p>x</p>",
                         send_at=picked, send_tz="+05:30")
    assert response.status_code == 303, text(response)[:1500]
    assert finished_job(client, draft_id)["title"].startswith("Scheduled for")
    assert mailbox(emu, ALEX) == [] and len(mailbox(emu, MEGAN, "outbox")) == 1
    move(https, emu, dt.timedelta(minutes=31))
    assert [m.props["subject"] for m in mailbox(emu, ALEX)] == ["Drafted"]


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
