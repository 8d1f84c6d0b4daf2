"""The compose page through the factory: drafts, bad input (a clear message, the form back as
typed, never a 500), CSRF on every change. Nothing here reaches Graph."""
from __future__ import annotations

import pytest
from helpers.compose import (csrf_of, errors_on, mailbox, new_draft, post_form, text,
                                  upload)

MEGAN = "megan@contoso.example"


@pytest.fixture
def adele(client, sign_in):
    sign_in(client)
    return client


def test_compose_needs_sign_in_and_comes_back_to_the_same_draft(client):
    assert client.get("/compose").location == "/login?next=/compose"
    draft = "/compose/0b7e7a52-8f7c-4e0e-9a57-3c1a2b9d6f10"
    response = client.get(draft)
    assert response.status_code == 302 and response.location == f"/login?next={draft}"


def test_one_guard_signed_out_json_gets_a_401_in_words_and_pages_go_to_sign_in(client):
    draft = "/compose/0b7e7a52-8f7c-4e0e-9a57-3c1a2b9d6f10"
    for path in (f"{draft}/status.json", f"{draft}/status"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 401, path
        assert response.get_json() == {"error": "You are signed out. Sign in again; your draft "
                                                "is kept.", "sign_in": f"/login?next={draft}"}
    response = client.get(f"{draft}/status")
    assert response.status_code == 302 and response.location == f"/login?next={draft}"


def test_a_new_message_gets_a_draft_whose_page_survives_a_refresh(adele):
    draft_id, _ = new_draft(adele)
    again = adele.get(f"/compose/{draft_id}")
    page = text(again)
    assert again.status_code == 200 and f'data-draft-id="{draft_id}"' in page
    assert 'id="send"' in page and 'for="to"' in page and 'for="attachments"' in page
    assert '<input checked class="form-check-input" id="save_to_sent_items"' in page  # on by default
    assert "35 MB per message" in page and "150 MB per file" in page


def test_the_page_is_labelled_and_links_its_scripts(adele):
    draft_id, _ = new_draft(adele)
    page = text(adele.get(f"/compose/{draft_id}"))
    for field in ("from_address", "to", "cc", "bcc", "reply_to", "subject", "importance"):
        assert f'<label class="form-label" for="{field}"' in page, field
    assert "/static/compose.js" in page and "/static/compose.css" in page
    assert "<script>" not in page  # the CSP allows no inline script


@pytest.mark.parametrize("fields, field, message", [
    ({"to": "megan at contoso"}, "to", "'megan at contoso' is not a valid email address"),
    ({"to": f"Megan <{MEGAN}>, bob@"}, "to", "'bob@' is not a valid email address"),
    ({"to": MEGAN, "cc": "a@b..example"}, "cc", "Cc: 'a@b..example' is not a valid email address"),
    ({"to": MEGAN, "bcc": "x@y"}, "bcc", "Bcc: 'x@y' is not a valid email address"),
    ({"to": MEGAN, "reply_to": "nobody"}, "reply_to", "Reply-To: 'nobody' is not a valid"),
    ({"to": MEGAN, "from_address": "sales at contoso"}, "from_address", "From: 'sales at contoso'"),
    ({"to": MEGAN, "subject": "Hi\r\nBcc: evil@example.com"}, "subject",
     "The subject must be on one line"),
    ({"to": MEGAN, "subject": "Hi\nthere"}, "subject", "must be on one line"),
    ({"to": f'"Evil\r\nBcc: x@example.com" <{MEGAN}>'}, "to", "contains a line break"),
    ({"to": MEGAN, "from_address": "Alex\r\nX: y <alex@contoso.example>"}, "from_address",
     "contains a line break"),
    ({"to": "", "cc": " ; ", "bcc": ""}, "to", "Add at least one recipient"),
    ({"to": MEGAN, "importance": "urgent"}, "importance", "Importance must be one of"),
], ids=["malformed", "one-of-two", "cc", "bcc", "reply-to", "from", "crlf-subject", "lf-subject",
        "crlf-name", "crlf-from-name", "no-recipient", "importance"])
def test_bad_input_is_explained_beside_the_field_and_the_form_comes_back_filled(
        adele, emu, fields, field, message):
    draft_id, token = new_draft(adele)
    typed = {"subject": "Quarterly numbers", "body": "<p>Dear all</p>", "cc": "", **fields}
    response = post_form(adele, draft_id, token, **typed)
    page = text(response)
    assert response.status_code == 400, page[:500]
    assert "Traceback" not in page and 'id="compose-errors"' in page
    shown = errors_on(page) if field != "importance" else {"importance": [page]}
    assert any(message in m for m in shown.get(field, [])), shown
    assert "Dear all" in page  # what was typed comes back
    assert mailbox(emu, MEGAN) == []
    # ...and is kept in the draft: a refresh shows it too
    assert "Dear all" in text(adele.get(f"/compose/{draft_id}"))


def test_more_than_500_recipients_are_refused_and_duplicates_do_not_count(adele):
    draft_id, token = new_draft(adele)
    many = [f"user{i}@example.com" for i in range(501)]
    response = post_form(adele, draft_id, token, to=";".join(many[:300]), cc="\n".join(many[300:]))
    assert response.status_code == 400
    assert any("501 recipients in To, Cc and Bcc together; at most 500 are allowed" in m
               for m in errors_on(text(response))["to"])
    assert "user500@example.com" in text(response)  # the list comes back as typed
    # 500 distinct addresses, one of them twice (in To and Bcc): accepted, on to consent
    response = post_form(adele, draft_id, token, to=",".join(many[:500]), bcc=many[0].upper())
    assert response.status_code == 303 and response.location.startswith("/login?")


def test_a_post_without_csrf_token_is_refused_and_shows_the_text_again(adele, emu):
    draft_id, _ = new_draft(adele)
    response = post_form(adele, draft_id, None, to=MEGAN, subject="No token", body="Kept text")
    page = text(response)
    assert response.status_code == 400 and "open too long" in page
    assert "Kept text" in page and 'value="No token"' in page  # shown again, with a fresh token
    assert csrf_of(page)
    assert mailbox(emu, MEGAN) == []


@pytest.mark.parametrize("path", ["files", "autosave", "files/abc/delete", "copy"])
def test_every_xhr_that_changes_state_needs_the_csrf_token(adele, path):
    draft_id, _ = new_draft(adele)
    response = adele.post(f"/compose/{draft_id}/{path}", data=b"x",
                          headers={"Accept": "application/json", "X-File-Name": "a.txt"},
                          content_type="application/octet-stream")
    assert response.status_code == 400
    assert "expired" in response.get_json()["error"]


def test_autosave_keeps_what_was_typed(adele):
    draft_id, token = new_draft(adele)
    response = adele.post(f"/compose/{draft_id}/autosave", headers={"Accept": "application/json"},
                          data={"csrf_token": token, "to": MEGAN, "subject": "Half-written",
                                "body_type": "text", "importance": "high"})
    assert response.status_code == 200 and response.get_json()["saved"] is True
    page = text(adele.get(f"/compose/{draft_id}"))
    assert 'value="Half-written"' in page and MEGAN in page
    assert '<option selected value="high">' in page
    assert '<input checked class="form-check-input" id="body_type-1"' in page  # plain text


def test_another_users_draft_is_not_found(client, sign_in):
    sign_in(client)
    draft_id, token = new_draft(client)
    upload(client, draft_id, token, "secret.txt", b"secret")
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "patti@contoso.example")
    response = client.get(f"/compose/{draft_id}")
    assert response.status_code == 302 and response.location == "/compose"
    assert client.get(f"/compose/{draft_id}/status.json").status_code == 404
