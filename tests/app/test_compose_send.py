"""Sending through the factory against the real emulator: incremental consent back to the same
draft, one delivery however often Send is pressed, a refused send explained with the draft
intact, and a session that needs a fresh sign-in losing nothing."""
from __future__ import annotations

import hashlib
import re
import time

import pytest
from helpers.compose import (add_fault, finished_job, mailbox, new_draft, post_form, text,
                             upload)
from helpers.signin import sign_in_with_requests

from app import create_app
from emulator.directory import DEMO_PASSWORD

ADELE, MEGAN, PATTI = "adele@contoso.example", "megan@contoso.example", "patti@contoso.example"
MB = 1024 * 1024


def consent_scopes(location: str) -> set[str]:
    match = re.search(r"[?&]scopes=([^&]+)", location)
    return set(match.group(1).replace("+", " ").replace("%20", " ").split()) if match else set()


@pytest.mark.parametrize("fields, size, scopes", [
    ({}, 1000, {"Mail.Send"}),
    ({"from_address": "sales@contoso.example"}, 1000, {"Mail.Send", "Mail.Send.Shared"}),
], ids=["own", "from"])
def test_send_asks_consent_only_for_what_this_message_needs(client, sign_in, fields, size, scopes):
    sign_in(client)
    draft_id, token = new_draft(client)
    assert upload(client, draft_id, token, "file.bin", b"f" * size).status_code == 201
    response = post_form(client, draft_id, token, to=MEGAN, subject="Needs consent", **fields)
    assert response.status_code == 303
    assert response.location.startswith("/login?next=/compose/" + draft_id)
    assert "resume%3Dsend" in response.location
    assert consent_scopes(response.location) == scopes
    page = text(client.get(f"/compose/{draft_id}"))  # the fields were kept before leaving
    assert 'value="Needs consent"' in page and "file.bin" in page


def test_a_body_too_long_for_one_sendmail_asks_for_drafts_at_send(client, sign_in):
    sign_in(client)
    draft_id, token = new_draft(client)
    response = post_form(client, draft_id, token, to=MEGAN, subject="Long", body="b" * 3_800_000)
    assert response.status_code == 303 and "resume%3Dsend" in response.location
    assert consent_scopes(response.location) == {"Mail.Send", "Mail.ReadWrite"}


def test_a_large_file_asks_for_drafts_when_picked_and_nothing_is_kept_meanwhile(client, sign_in):
    """Over one sendMail, the message lives in the mailbox's Drafts from the first large file:
    the upload answers 403 with the consent to open (the page keeps the File meanwhile)."""
    sign_in(client)
    draft_id, token = new_draft(client)
    response = upload(client, draft_id, token, "big.bin", b"f" * (4 * MB))
    body = response.get_json()
    assert response.status_code == 200 and body["file"] is None and "Drafts folder" in body["error"]
    assert body["consent"].startswith("/login?next=/compose/consented")
    assert consent_scopes(body["consent"]) == {"Mail.ReadWrite"}
    assert client.get(f"/compose/{draft_id}/status.json").status_code in (200, 404)
    assert "big.bin" not in text(client.get(f"/compose/{draft_id}"))


def test_after_consent_the_same_draft_comes_back_and_sends(client, sign_in, emu):
    sign_in(client)
    draft_id, token = new_draft(client)
    response = post_form(client, draft_id, token, to=MEGAN, subject="After consent")
    login = client.get(response.location)
    params = sign_in_with_requests(login.location, ADELE, DEMO_PASSWORD).params
    back = client.get("/auth/callback", query_string=params)
    assert back.location == f"/compose/{draft_id}?resume=send"
    page = text(client.get(back.location))
    assert 'data-resume="send"' in page and "Permissions granted" in page
    response = post_form(client, draft_id, token, to=MEGAN, subject="After consent", resume="1")
    assert response.status_code == 303 and response.location == f"/compose/{draft_id}/status"
    assert finished_job(client, draft_id)["state"] == "sent"
    assert [m.props["subject"] for m in mailbox(emu, MEGAN)] == ["After consent"]


def test_a_send_is_delivered_once_however_often_it_is_posted(client, sign_in, emu):
    sign_in(client, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    content = bytes(range(256)) * 40
    upload(client, draft_id, token, "data.bin", content)
    fields = dict(to=f"Megan <{MEGAN}>", cc="alex@contoso.example", bcc=PATTI,
                  subject="Only once", body="<p>Hello<script>alert(1)</script></p>",
                  importance="high", reply_to="sales@contoso.example")
    first = post_form(client, draft_id, token, **fields)
    second = post_form(client, draft_id, token, **fields)  # a double click
    assert first.status_code == second.status_code == 303
    job = finished_job(client, draft_id)
    assert job["state"] == "sent" and job["message"] == "Sent." and job["plan"] == "sendmail"
    assert "owner" not in job
    third = post_form(client, draft_id, token, **fields)  # a refresh that re-posts
    assert third.location == f"/compose/{draft_id}/status"
    [got] = mailbox(emu, MEGAN)
    props = got.props
    assert props["importance"] == "high" and props["bccRecipients"] == []
    assert "script" not in props["body"]["content"]
    assert props["replyTo"][0]["emailAddress"]["address"] == "sales@contoso.example"
    [attachment] = got.attachments
    assert hashlib.sha256(attachment.blob.read()).digest() == hashlib.sha256(content).digest()
    assert len(mailbox(emu, "alex@contoso.example")) == len(mailbox(emu, PATTI)) == 1
    [sent] = mailbox(emu, ADELE, "sentitems")
    assert sent.props["bccRecipients"][0]["emailAddress"]["address"] == PATTI
    # The draft now says "already sent", and nothing can be added to it.
    response = client.get(f"/compose/{draft_id}")
    assert response.location == f"/compose/{draft_id}/status"
    page = text(client.get(response.location))
    assert "already been sent" in page and "will not send it twice" in page
    assert upload(client, draft_id, token, "late.txt", b"late").status_code == 400


def test_a_refused_send_is_explained_and_the_draft_is_intact(client, sign_in, emu):
    sign_in(client, PATTI, scopes=["Mail.Send", "Mail.Send.Shared"])
    draft_id, token = new_draft(client)
    upload(client, draft_id, token, "plan.txt", b"the plan")
    fields = dict(from_address="alex@contoso.example", to=MEGAN, subject="Not mine to send",
                  body="Kept body")
    post_form(client, draft_id, token, **fields)
    job = finished_job(client, draft_id)
    assert job["state"] == "not_sent" and job["error_code"] == "ErrorSendAsDenied"
    assert "You are not allowed to send from that mailbox" in job["message"]
    status = text(client.get(f"/compose/{draft_id}/status"))
    assert "Send As" in status and 'id="back-to-draft"' in status
    page = text(client.get(f"/compose/{draft_id}"))
    assert "Your message was not sent" in page and "Send on Behalf" in page
    assert 'value="alex@contoso.example"' in page and "Kept body" in page and "plan.txt" in page
    assert mailbox(emu, MEGAN) == []
    # Fixed (own address): the same draft sends, since a refusal released it.
    post_form(client, draft_id, token, **{**fields, "from_address": ""})
    assert finished_job(client, draft_id)["state"] == "sent"
    [got] = mailbox(emu, MEGAN)
    assert got.attachments[0].blob.read() == b"the plan"


def test_lost_tokens_mid_way_lead_to_sign_in_and_back_to_the_kept_draft(client, sign_in, app):
    sign_in(client, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    sid = client.get_cookie("mailer_session").value
    app.extensions["mailer.sessions"].cache.delete(f"tokens:{sid}")  # e.g. refresh token gone
    response = post_form(client, draft_id, token, to=MEGAN, subject="Typed before", body="Body")
    assert response.status_code == 303
    assert response.location.startswith(f"/login?next=/compose/{draft_id}")
    page = text(client.get(f"/compose/{draft_id}"))
    assert 'value="Typed before"' in page and "Body" in page


def test_a_post_after_the_session_expired_keeps_nothing_and_sets_no_cookie(client, sign_in):
    sign_in(client)
    draft_id, token = new_draft(client)
    client.delete_cookie("mailer_session")  # the session is gone (expired, store wiped)
    response = post_form(client, draft_id, token, to=MEGAN, subject="Written while away",
                         body="Long text")
    assert response.status_code == 303 and response.location == f"/login?next=/compose/{draft_id}"
    assert "Set-Cookie" not in response.headers and client.get_cookie("mailer_session") is None
    sign_in(client)
    page = text(client.get(f"/compose/{draft_id}"))  # the browser's own copy is offered there
    assert "Written while away" not in page and "Long text" not in page


def test_an_unconfirmed_send_is_never_repeated_and_can_be_copied(client, sign_in, emu, https):
    sign_in(client, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    upload(client, draft_id, token, "keep.txt", b"keep me")
    add_fault(https, emu, path="/sendMail$", method="POST", drop=True)  # lost, outcome unknown
    post_form(client, draft_id, token, to=MEGAN, subject="Unknown fate")
    job = finished_job(client, draft_id)
    assert job["state"] == "unknown" and "check your Sent Items" in job["message"]
    page = text(client.get(f"/compose/{draft_id}"))
    assert "could not be confirmed" in page and 'id="send"' in page
    assert re.search(r'<button[^>]*id="send"[^>]*disabled', page, re.S)
    assert post_form(client, draft_id, token, to=MEGAN).location.endswith("/status")
    copied = client.post(f"/compose/{draft_id}/copy", data={"csrf_token": token})
    assert copied.status_code == 303 and copied.location != f"/compose/{draft_id}"
    page = text(client.get(copied.location))
    assert 'value="Unknown fate"' in page and "keep.txt" in page
    assert mailbox(emu, MEGAN) == []


def test_a_sign_in_lost_while_confirming_a_dropped_send_never_frees_it_for_a_second_send(
        client, sign_in, emu, https, app):
    # Tokens this short-lived are never reused from the request: the job asks MSAL each time.
    emu.state.tokens.access_token_lifetime = 200
    sign_in(client, scopes=["Mail.Send", "Mail.ReadWrite"])
    app.config["QUICK_SEND_WAIT"] = 0  # answer at once, so the test can act while it sends
    draft_id, token = new_draft(client)
    add_fault(https, emu, path="/sendMail$", method="POST", latency_ms=1000, drop=True, after=True)
    post_form(client, draft_id, token, to=MEGAN, subject="Lost twice")
    store, deadline = app.extensions["mailer"]["delivery"].store, time.monotonic() + 10
    while not store.lease_holder(f"lease:job:{draft_id}"):  # a worker took the job
        assert time.monotonic() < deadline, "the send never started"
        time.sleep(0.01)
    time.sleep(0.3)  # the request is out (its token fetched); Graph takes a second to answer
    sid = client.get_cookie("mailer_session").value  # ...and meanwhile the sign-in goes
    app.extensions["mailer.sessions"].cache.delete(f"tokens:{sid}")
    job = finished_job(client, draft_id)
    assert job["state"] == "unknown" and job["needs_sign_in"], job
    assert post_form(client, draft_id, token, to=MEGAN).location.endswith("/status")
    assert len(mailbox(emu, MEGAN)) == 1


def test_a_send_behind_another_in_its_lane_answers_at_once_and_goes_at_its_slot(
        app_config, emu, sign_in):
    """Send waits for its outcome only when the message goes at once: the second of two sends
    from one mailbox paced at 6 a minute (a slot every 10 s) is answered with its status page
    straight away, not after holding the request until its slot, and still goes then."""
    # A small send that goes at once may hold its request up to 6 s; this one's slot is 10 s
    # away (it waits only for a slot within half that).
    app = create_app({**app_config, "MESSAGES_PER_MINUTE": 6, "QUICK_SEND_WAIT": 6},
                     environ={})
    emu.state.add_redirect_uri("http://localhost/auth/callback")
    stop = app.extensions["mailer"]["delivery"].queue.start_worker(2)
    try:
        client = app.test_client()
        sign_in(client, scopes=["Mail.Send"])
        first, token = new_draft(client)
        assert post_form(client, first, token, to=MEGAN, subject="Slot one").status_code == 303
        answered = client.get(f"/compose/{first}/status.json").get_json()
        assert answered["state"] == "sent"  # next in its lane: the answer came once it went
        second, token = new_draft(client)
        started = time.monotonic()
        response = post_form(client, second, token, to=MEGAN, subject="Slot two")
        took = time.monotonic() - started
        assert response.status_code == 303 and response.location == f"/compose/{second}/status"
        answered = client.get(f"/compose/{second}/status.json").get_json()
        assert not answered["finished"] and took < 5, (answered, took)  # not held for 6 s
        assert finished_job(client, second, timeout=30)["state"] == "sent"
        assert sorted(m.props["subject"] for m in mailbox(emu, MEGAN)) == ["Slot one", "Slot two"]
    finally:
        stop()
        app.extensions["mailer"]["http"].close()
