"""The Outbox and the notices: every send a person started, and each outcome that ended while
they were away, said once on their next page. The sends themselves are the worker's (the app
fixture runs one), so these tests only look, cancel, sign out and come back."""
from __future__ import annotations

import datetime as dt
import html
import re
import time

from helpers.compose import finished_job, mailbox, new_draft, post_form, text


MEGAN, ALEX = "megan@contoso.example", "alex@contoso.example"


def soon(seconds: float) -> str:
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def rows(client) -> dict[str, str]:
    """The Outbox's rows: subject -> state."""
    page = html.unescape(text(client.get("/outbox")))
    return {subject: state for state, subject in re.findall(
        r'data-state="([a-z_]+)">.*?<strong[^>]*>([^<]+)</strong>', page, re.S)}


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.1)
    return found


def test_the_outbox_lists_a_scheduled_send_and_cancel_keeps_it_a_draft(client, sign_in, emu):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="For Monday", body="<p>Kept</p>",
              send_at=soon(3600), send_tz="UTC")
    assert rows(client) == {"For Monday": "scheduled"}
    page = text(client.get("/outbox"))
    cancel = re.search(r'action="(/outbox/[^"]+/cancel)"', page).group(1)
    done = client.post(cancel, data={"csrf_token": csrf(page)})
    assert done.status_code == 303 and "will not be sent" in html.unescape(text(client.get("/outbox")))
    assert rows(client) == {}  # cancelled: off the Outbox, back to a draft
    draft = text(client.get(f"/compose/{draft_id}"))
    assert 'value="For Monday"' in draft and "Kept" in draft
    assert mailbox(emu, ALEX) == []


def test_a_failed_send_shows_its_reason_and_open_draft(client, sign_in, emu):
    sign_in(client, "patti@contoso.example", scopes=["Mail.Send", "Mail.Send.Shared"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=MEGAN, subject="As Alex",
              from_address="alex@contoso.example")
    assert finished_job(client, draft_id)["state"] == "not_sent"
    page = html.unescape(text(client.get("/outbox")))
    assert rows(client) == {"As Alex": "failed"}
    assert "You are not allowed to send from that mailbox" in page
    assert f'href="/compose/{draft_id}"' in page and "Open draft" in page


def test_an_outcome_that_ended_while_away_is_said_once_on_the_next_page(client, sign_in, emu):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="While away", send_at=soon(2),
              send_tz="UTC")
    until(lambda: mailbox(emu, ALEX))  # nobody looks at its page: a worker sends it
    home = html.unescape(text(client.get("/")))
    assert "Sent: While away" in home
    assert "Sent: While away" not in html.unescape(text(client.get("/")))  # once


def test_a_send_seen_on_its_page_gives_no_notice_later(client, sign_in, emu):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="Watched")
    assert finished_job(client, draft_id)["state"] == "sent"  # seen on its status page
    assert "Sent: Watched" not in html.unescape(text(client.get("/")))


def test_a_send_that_failed_after_sign_out_is_shown_with_its_reason_after_signing_in(
        client, sign_in, emu):
    emu.state.tokens.access_token_lifetime = 200  # the Send's token is not enough at its time
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="After sign-out", send_at=soon(3),
              send_tz="UTC")
    client.post("/logout", data={"csrf_token": csrf(text(client.get("/")))})
    time.sleep(5)  # its time comes and goes; nobody is signed in to act for it
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    home = html.unescape(text(client.get("/")))
    assert "Not sent: After sign-out" in home and f"/compose/{draft_id}/status" in home
    outbox = html.unescape(text(client.get("/outbox")))
    assert rows(client) == {"After sign-out": "failed"}
    assert "Sign in again and send it" in outbox and f'href="/compose/{draft_id}"' in outbox
    assert mailbox(emu, ALEX) == []
    post_form(client, draft_id, csrf(text(client.get(f"/compose/{draft_id}"))), to=ALEX,
              subject="After sign-out")
    assert finished_job(client, draft_id)["state"] == "sent"
