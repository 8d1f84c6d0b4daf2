"""The app served over real loopback HTTP, with faults injected into the token endpoint and Graph.

Each test here stood for a defect seen with faults: a token endpoint answering 503 gave a 500
(and, MSAL replaying that 503 from its throttle cache, a resend within 5 s gave another); a lost
answer to the last upload chunk made the send fail with 404 though the file was complete; a
lost answer to the draft's creation left an orphan draft in the sender's Drafts.
"""
from __future__ import annotations

import re
import time

import pytest
from helpers.compose import add_fault, mailbox

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
MB = 1024 * 1024
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKEN_PATH = "/oauth2/v2.0/token$"


def new_draft(live_app, http) -> tuple[str, str]:
    response = http.get(f"{live_app.url}/compose", allow_redirects=False)
    assert response.status_code == 302, response.text[:300]
    draft_url = response.headers["Location"]
    draft_id = draft_url.rstrip("/").rsplit("/", 1)[-1]
    page = http.get(f"{live_app.url}/compose/{draft_id}")
    assert page.status_code == 200, page.text[:300]
    return draft_id, CSRF.search(page.text).group(1)


def upload(live_app, http, draft_id, token, name, data: bytes):
    response = http.post(f"{live_app.url}/compose/{draft_id}/files", data=data,
                         headers={"X-File-Name": name, "X-CSRFToken": token,
                                  "Content-Type": "application/octet-stream",
                                  "Accept": "application/json"})
    assert response.status_code == 201, response.text[:300]


def send(live_app, http, draft_id, token, **fields):
    data = {"action": "send", "save_to_sent_items": "y", "body_type": "text",
            "importance": "normal", "csrf_token": token, **fields}
    return http.post(f"{live_app.url}/compose/{draft_id}", data=data, allow_redirects=False)


def finished(live_app, http, draft_id, timeout=30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(f"{live_app.url}/compose/{draft_id}/status.json").json()
        if job["finished"]:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def graph_drafts(emu, upn=ADELE) -> list:
    return mailbox(emu, upn, "drafts")


# -- item 6: the token endpoint failing -----------------------------------------------------------

@pytest.fixture
def short_tokens(emu):
    """Access tokens MSAL treats as expired at once (under its 5-minute margin): every token
    call of the app then goes to the token endpoint with the refresh token."""
    emu.state.tokens.access_token_lifetime = 200


def test_a_token_endpoint_503_during_send_is_explained_kept_and_send_works_again(
        live_app, live_sign_in, emu, https, short_tokens):
    http = live_sign_in(ADELE, scopes=["Mail.Send"])
    draft_id, token = new_draft(live_app, http)
    add_fault(https, emu, path=TOKEN_PATH, method="POST", status=503)
    fields = dict(to=MEGAN, subject="Despite the outage", body="Kept words")
    first = send(live_app, http, draft_id, token, **fields)
    assert first.status_code < 500, first.text[:500]
    assert "sign-in service" in first.text and "try again" in first.text
    assert 'value="Despite the outage"' in first.text and "Kept words" in first.text
    # MSAL now answers this very refresh from its throttle cache for a few seconds: words again.
    again = send(live_app, http, draft_id, token, **fields)
    assert again.status_code < 500 and "sign-in service" in again.text
    assert mailbox(emu, MEGAN) == []
    time.sleep(6)  # MSAL's default throttle (no Retry-After) is 5 s
    response = send(live_app, http, draft_id, token, **fields)
    assert response.status_code == 303, response.text[:500]
    assert finished(live_app, http, draft_id)["state"] == "sent"
    assert [m.props["subject"] for m in mailbox(emu, MEGAN)] == ["Despite the outage"]


@pytest.mark.parametrize("status", [503, 504, 429])
@pytest.mark.parametrize("where", ["profile", "token", "refresh"])
def test_a_failing_token_endpoint_gives_words_on_every_page(live_app, live_sign_in, emu, https,
                                                           short_tokens, where, status):
    http = live_sign_in(ADELE)
    page = http.get(f"{live_app.url}/token")
    csrf = CSRF.search(page.text).group(1)
    add_fault(https, emu, path=TOKEN_PATH, method="POST", status=status, retry_after=1)
    if where == "refresh":
        response = http.post(f"{live_app.url}/token/refresh", data={"csrf_token": csrf},
                             allow_redirects=False)
    else:
        response = http.get(f"{live_app.url}/{where}", allow_redirects=False)
    assert response.status_code == 503, response.text[:500]
    assert "sign-in service" in response.text and "try again" in response.text
    assert "Something went wrong" not in response.text
    time.sleep(2)  # Retry-After: 1, on MSAL's whole-second clock
    assert http.get(f"{live_app.url}/{'token' if where == 'refresh' else where}").status_code == 200


def test_a_failing_token_endpoint_at_the_sign_in_callback_gives_words(live_app, emu, https):
    from app_fixtures import _finish
    http = live_app.session()
    response = http.get(f"{live_app.url}/login", allow_redirects=False)
    params = _finish(response.headers["Location"], ADELE)
    add_fault(https, emu, path=TOKEN_PATH, method="POST", status=503)
    response = http.get(f"{live_app.url}/auth/callback", params=params, allow_redirects=False)
    assert response.status_code == 503, response.text[:500]
    assert "sign-in service" in response.text and "Something went wrong" not in response.text


# -- items 7 and 8: answers lost while the draft is prepared -------------------------------------

def _send_large(live_app, live_sign_in, subject, size=3 * MB):
    """A message over sendMail's budget: draft, then one upload session (one chunk: < 3.125 MB)."""
    http = live_sign_in(ADELE, scopes=["Mail.Send", "Mail.ReadWrite"])
    draft_id, token = new_draft(live_app, http)
    upload(live_app, http, draft_id, token, "report.bin", bytes(range(256)) * (size // 256))
    response = send(live_app, http, draft_id, token, to=MEGAN, subject=subject)
    assert response.status_code == 303, response.text[:500]
    return finished(live_app, http, draft_id)


def _attachment_sizes(message) -> list[tuple[str, int]]:
    return [(a.name, a.size) for a in message.attachments]


def test_a_lost_answer_to_the_last_chunk_is_confirmed_and_the_send_goes_on(
        live_app, live_sign_in, emu, https):
    # The only chunk is stored and the session completed; its answer never arrives. The
    # repeated PUT finds the session gone (404): the draft's attachments say it is all there.
    add_fault(https, emu, path="/AttachmentSessions", method="PUT", drop=True, after=True)
    job = _send_large(live_app, live_sign_in, "Last chunk lost")
    assert job["state"] == "sent", job
    [got] = mailbox(emu, MEGAN)
    assert _attachment_sizes(got) == [("report.bin", 3 * MB)]
    assert graph_drafts(emu) == []


def test_a_lost_answer_to_the_draft_creation_leaves_no_orphan_and_sends_once(
        live_app, live_sign_in, emu, https):
    add_fault(https, emu, path="/me/messages$", method="POST", drop=True, after=True)
    job = _send_large(live_app, live_sign_in, "Draft answer lost")
    assert job["state"] == "sent", job
    [got] = mailbox(emu, MEGAN)
    assert got.props["subject"] == "Draft answer lost"
    assert _attachment_sizes(got) == [("report.bin", 3 * MB)]
    assert graph_drafts(emu) == []  # the draft whose answer was lost is not left behind
    assert len(mailbox(emu, ADELE, "sentitems")) == 1


def test_a_mailbox_draft_whose_creation_answer_is_lost_is_made_once(live_app, live_sign_in,
                                                                      emu, https):
    # The mailbox draft is made when the large file is picked; each lost answer to its creation
    # is found again by the draft's x-mailer-draft-id header, never created twice.
    add_fault(https, emu, path="/me/messages$", method="POST", drop=True, after=True, count=2)
    job = _send_large(live_app, live_sign_in, "Lost twice")
    assert job["state"] == "sent", job
    [got] = mailbox(emu, MEGAN)
    assert _attachment_sizes(got) == [("report.bin", 3 * MB)]
    assert graph_drafts(emu) == [] and len(mailbox(emu, ADELE, "sentitems")) == 1
