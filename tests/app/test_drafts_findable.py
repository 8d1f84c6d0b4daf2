"""Every message a person typed into is findable where they look (issue 17, item 1): Compose
leaves nothing behind until something is typed; a message typed before Mail.ReadWrite was
granted is listed on the Drafts page with its last save, Continue and Discard; once the
permission is held, autosave makes the message a draft in the mailbox's Drafts, as Outlook does,
without asking for anything."""
from __future__ import annotations

import re

from helpers.compose import csrf_of, mailbox, new_draft, text

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"


def autosave(client, draft_id, token, **fields):
    data = {"csrf_token": token, "body_type": "html", "importance": "normal", **fields}
    response = client.post(f"/compose/{draft_id}/autosave", data=data,
                           headers={"Accept": "application/json"})
    assert response.status_code == 200, text(response)[:300]
    return response.get_json()


def kept_here(page: str) -> list[str]:
    return re.findall(r'<li class="list-group-item" data-draft="([0-9a-f-]{36})">', page)


def test_twenty_four_visits_to_compose_keep_no_draft(client, sign_in, app):
    sign_in(client, scopes=["Mail.ReadWrite"])
    for _ in range(24):
        new_draft(client)  # GET /compose, then the page it leads to
    drafts = app.extensions["mailer.mail"].drafts
    with client.session_transaction() as session:
        owner = session["user"]["oid"]
    assert drafts.listed(owner) == []
    assert kept_here(text(client.get("/mail/me/drafts"))) == []


def test_a_message_typed_before_the_permission_is_on_the_drafts_page(client, sign_in, emu):
    sign_in(client)  # User.Read only: the message lives in the app's own store
    draft_id, token = new_draft(client)
    assert autosave(client, draft_id, token, to=MEGAN, subject="Kept for later",
                    body="<p>Half a thought</p>") == {"saved": True, "in_mailbox": False}
    new_draft(client)  # opened, nothing typed: not listed
    first = client.get("/mail/me/drafts")
    assert first.status_code == 302  # the Drafts page asks once for the mail permissions
    sign_in(client, scopes=["Mail.ReadWrite"])
    page = text(client.get("/mail/me/drafts"))
    assert kept_here(page) == [draft_id] and "Kept for later" in page
    assert "Half a thought" in page and MEGAN in page
    row = page[page.index(f'data-draft="{draft_id}"'):]
    assert re.search(r'saved <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" data-local>', row)
    assert f'href="/compose/{draft_id}"' in row  # Continue
    assert 'data-confirm="Discard this draft?' in row  # Discard asks first
    assert 'value="Kept for later"' in text(client.get(f"/compose/{draft_id}"))
    gone = client.post(f"/compose/{draft_id}/discard",
                       data={"csrf_token": csrf_of(page), "back": "drafts"})
    assert gone.status_code == 303 and gone.location == "/mail/me/drafts"
    assert kept_here(text(client.get("/mail/me/drafts"))) == []
    assert mailbox(emu, ADELE, "drafts") == []


def test_once_mail_readwrite_is_held_autosave_writes_to_the_mailbox_drafts(client, sign_in, emu):
    sign_in(client, scopes=["Mail.ReadWrite"])
    draft_id, token = new_draft(client)
    assert autosave(client, draft_id, token) == {"saved": True, "in_mailbox": False}  # empty
    assert mailbox(emu, ADELE, "drafts") == []
    assert autosave(client, draft_id, token, to=MEGAN, subject="Straight to Drafts") == {
        "saved": True, "in_mailbox": True}
    [kept] = mailbox(emu, ADELE, "drafts")
    assert kept.props["subject"] == "Straight to Drafts"
    page = text(client.get("/mail/me/drafts"))
    assert kept_here(page) == [] and "Straight to Drafts" in page  # listed once, by Graph
    assert 'id="in-drafts">' in text(client.get(f"/compose/{draft_id}"))


def test_without_the_permission_autosave_asks_nothing(client, sign_in, emu):
    sign_in(client)
    draft_id, token = new_draft(client)
    assert autosave(client, draft_id, token, subject="Only here")["in_mailbox"] is False
    assert mailbox(emu, ADELE, "drafts") == []
