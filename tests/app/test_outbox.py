"""The Outbox and the notices: every send a person started, and each outcome that ended while
they were away, said once on their next page. The sends themselves are the worker's (the app
fixture runs one), so these tests only look, cancel, sign out and come back."""
from __future__ import annotations

import datetime as dt
import html
import re
import time

from helpers.compose import finished_job, mailbox, new_draft, post_form, text

from emulator.identity import grants
from mailer.identity.service import SESSION_USER


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
    assert 'data-waiting="0"' in text(client.get("/outbox"))  # an hour away: not followed
    page = text(client.get("/outbox"))
    cancel = re.search(r'action="(/outbox/[^"]+/cancel)"', page).group(1)
    done = client.post(cancel, data={"csrf_token": csrf(page)})
    assert done.status_code == 303 and "will not be sent" in html.unescape(text(client.get("/outbox")))
    assert rows(client) == {"For Monday": "cancelled"}  # listed a day, with Open draft
    outbox = text(client.get("/outbox"))
    assert f'href="/compose/{draft_id}"' in outbox and "Cancel</button>" not in outbox
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
    follow = {"X-Mailer-Follow": "1"}  # static/follow.js fetching the rows again
    listed = text(client.get("/outbox", headers=follow))
    assert 'id="outbox-rows" data-follow data-waiting="1"' in listed  # due in minutes: followed
    until(lambda: mailbox(emu, ALEX))  # nobody looks at its page: a worker sends it
    until(lambda: 'data-waiting="0"' in text(client.get("/outbox", headers=follow)))
    home = html.unescape(text(client.get("/")))  # the script's rounds said no notice
    assert "Sent: While away" in home
    assert "Sent: While away" not in html.unescape(text(client.get("/")))  # once


def test_a_send_seen_on_its_page_gives_no_notice_later(client, sign_in, emu):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="Watched")
    assert finished_job(client, draft_id)["state"] == "sent"  # seen on its status page
    assert "Sent: Watched" not in html.unescape(text(client.get("/")))


def test_a_scheduled_send_goes_after_the_person_signed_out(client, sign_in, emu):
    emu.state.tokens.access_token_lifetime = 200  # the Send's token is not enough at its time
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="After sign-out", send_at=soon(3),
              send_tz="UTC")
    signed_out = client.post("/logout", data={"csrf_token": csrf(text(client.get("/")))})
    assert signed_out.status_code == 303
    landing = html.unescape(text(client.get("/")))
    assert "You are signed out" in landing and "1 message you sent is still on its way" in landing
    assert "mailer_signed_out" not in str(client.get("/").headers)  # said once
    until(lambda: mailbox(emu, ALEX))  # its time comes: the sends vault acts for Megan
    [arrived] = mailbox(emu, ALEX)
    assert arrived.props["subject"] == "After sign-out"
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    assert rows(client) == {"After sign-out": "sent"}


def test_a_send_after_sign_out_whose_grant_was_revoked_says_sign_in_again(client, sign_in, emu):
    emu.state.tokens.access_token_lifetime = 200
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="Revoked", send_at=soon(3),
              send_tz="UTC")
    client.post("/logout", data={"csrf_token": csrf(text(client.get("/")))})
    grants.revoke_user(emu.state, emu.state.directory.user(MEGAN).id)  # "sign out everywhere"
    time.sleep(5)  # its time comes and goes; nobody may act for it any more
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    home = html.unescape(text(client.get("/")))
    assert "Not sent: Revoked" in home and f"/compose/{draft_id}/status" in home
    outbox = html.unescape(text(client.get("/outbox")))
    assert rows(client) == {"Revoked": "failed"}
    assert "Sign in again and send it" in outbox and f'href="/compose/{draft_id}"' in outbox
    assert mailbox(emu, ALEX) == []
    post_form(client, draft_id, csrf(text(client.get(f"/compose/{draft_id}"))), to=ALEX,
              subject="Revoked")
    assert finished_job(client, draft_id)["state"] == "sent"


def test_signing_out_with_nothing_left_to_go_drops_the_sends_vault(client, sign_in, emu, app):
    sign_in(client, MEGAN, scopes=["Mail.Send"])
    with client.session_transaction() as kept:
        account = kept[SESSION_USER]["account_id"]
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, to=ALEX, subject="Soon", send_at=soon(2), send_tz="UTC")
    vaults = app.extensions["mailer.sessions"]
    assert vaults.of_person(account, "no-such-session")  # kept for the scheduled send
    until(lambda: mailbox(emu, ALEX))
    until(lambda: rows(client) == {"Soon": "sent"})
    client.post("/logout", data={"csrf_token": csrf(text(client.get("/")))})
    assert "still on" not in html.unescape(text(client.get("/")))
    assert vaults.of_person(account, "no-such-session") is None  # no token left behind
