"""Hostile compose requests through the factory (issue 6, items 2-5): a text field sent as a
file, odd file and draft ids, unknown choices, fields over their limits. Each gets words that
name the field, what fits is kept, and nothing is ever a 500."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.compose import errors_on, mailbox, new_draft, post_form, text, upload
from helpers.hostile import LABELS, TEXT, multipart, stored_fields, urlencoded

MEGAN = "megan@contoso.example"
# The FORM_MEMORY setting for these tests: smaller than its default (which holds every field at
# its limit), so that a form over it costs a few MB.
FORM_MEMORY = 5 * 1024 * 1024
# The declared limit of each text field, in characters (forms.FIELD_LIMITS must agree).
FIELD_LIMITS = {"from_address": 512, "to": 200_000, "cc": 200_000, "bcc": 200_000,
                "reply_to": 2048, "subject": 998, "body": 4 * 1024 * 1024}


@pytest.fixture
def adele(app, client, sign_in):
    app.config["FORM_MEMORY"] = FORM_MEMORY
    sign_in(client)
    return client


def save(client, draft_id, token, **fields):
    return client.post(f"/compose/{draft_id}/autosave", headers={"Accept": "application/json"},
                       data={"csrf_token": token, **fields})


# -- item 2: a text field that arrives as a file part --------------------------------------------

@pytest.mark.parametrize("field", TEXT + ("body_type", "importance"))
@pytest.mark.parametrize("action", ["send", "save"])
def test_a_text_field_sent_as_a_file_is_named_and_the_rest_is_kept(adele, app, emu, field, action):
    draft_id, token = new_draft(adele)
    parts = [("csrf_token", token.encode(), None), ("action", action.encode(), None),
             ("subject" if field != "subject" else "body", b"Kept as typed", None),
             ("to" if field != "to" else "cc", MEGAN.encode(), None),
             (field, b"megan@contoso.example", f"{field}.txt")]
    body, content_type = multipart(parts)
    response = adele.post(f"/compose/{draft_id}", data=body, content_type=content_type)
    page = text(response)
    assert response.status_code == 400, page[:300]
    [message] = errors_on(page)[field]
    assert LABELS[field] in message and f"{field}.txt" in message and "file" in message
    assert "Kept as typed" in page
    kept = stored_fields(app, draft_id)
    assert "Kept as typed" in (kept["subject"], kept["body"])
    assert mailbox(emu, MEGAN) == []


def test_a_text_field_sent_as_a_file_to_autosave_is_named_and_the_rest_is_saved(adele, app):
    draft_id, token = new_draft(adele)
    body, content_type = multipart([("csrf_token", token.encode(), None),
                                    ("subject", b"Saved anyway", None),
                                    ("to", b"x", "to.txt")])
    response = adele.post(f"/compose/{draft_id}/autosave", data=body, content_type=content_type,
                          headers={"Accept": "application/json"})
    assert response.status_code == 400
    answer = response.get_json()
    assert "to.txt" in answer["errors"]["to"][0] and answer["error"].startswith("To")
    assert stored_fields(app, draft_id)["subject"] == "Saved anyway"


def test_repeated_missing_nul_and_invalid_utf8_fields_are_kept_or_named(adele, app):
    draft_id, token = new_draft(adele)
    parts = [("csrf_token", token.encode(), None), ("action", b"save", None),
             ("subject", b"first", None), ("subject", b"second", None),
             ("body", b"nul \x00 and bad \xff\xfe bytes", None), ("cc", b"\xed\xa0\x80", None)]
    body, content_type = multipart(parts)
    response = adele.post(f"/compose/{draft_id}", data=body, content_type=content_type)
    assert response.status_code == 303, text(response)[:300]
    kept = stored_fields(app, draft_id)
    assert kept["subject"] == "first" and kept["to"] == ""
    assert kept["body"].startswith("nul \x00 and bad ") and "\ufffd" in kept["body"]
    assert 200 == adele.get(f"/compose/{draft_id}").status_code


# -- item 3: odd file and draft ids ---------------------------------------------------------------

ODD_FILE_IDS = ["..", ".", "%2e%2e", "a\x00b", "x" * 300, "draft.json", "../draft.json",
                "0" * 31 + "G", "ABCDEF" + "0" * 26]


@pytest.mark.parametrize("file_id", ODD_FILE_IDS)
def test_an_odd_file_id_is_refused_in_words_and_touches_nothing(adele, app, file_id):
    draft_id, token = new_draft(adele)
    kept = upload(adele, draft_id, token, "kept.txt", b"keep me").get_json()["file"]["id"]
    drafts, uploads = app.extensions["mailer.mail"].drafts, Path(app.config["DRAFT_DIR"])
    before = (sorted(str(p) for p in uploads.rglob("*") if p.name != ".leases.lock"),
              drafts.record(draft_id)["files"])
    # by XHR (the path is percent-encoded by the test client; '/' is one the router refuses)
    if "/" not in file_id:
        response = adele.post(f"/compose/{draft_id}/files/{file_id}/delete",
                              headers={"Accept": "application/json"}, data={"csrf_token": token})
        assert response.status_code == 404, response.get_data(as_text=True)[:300]
        assert "attachment" in response.get_json()["error"]
    # and without JavaScript: the remove button's value
    response = post_form(adele, draft_id, token, action=f"remove:{file_id}", subject="Still here")
    page = text(response)
    assert response.status_code == 400, page[:300]
    assert any("ttachment" in m for m in errors_on(page)["attachments"])
    assert "Still here" in page and "kept.txt" in page
    after = (sorted(str(p) for p in uploads.rglob("*") if p.name != ".leases.lock"),
             drafts.record(draft_id)["files"])
    [file] = drafts.load(draft_id, drafts.record(draft_id)["owner"]).attachments
    assert after == before and file.file_id == kept and file.read_bytes() == b"keep me"


def test_an_empty_remove_id_is_refused_in_words(adele):
    draft_id, token = new_draft(adele)
    response = post_form(adele, draft_id, token, action="remove:", subject="x")
    assert response.status_code == 400
    assert any("ttachment" in m for m in errors_on(text(response))["attachments"])


def test_the_raw_dot_dot_path_is_refused(adele, app):
    draft_id, token = new_draft(adele)
    adele.post(f"/compose/{draft_id}/autosave", data={"csrf_token": token, "subject": "kept"})
    response = adele.post(f"/compose/{draft_id}/files/%2e%2e/delete",
                          headers={"Accept": "application/json"}, data={"csrf_token": token})
    assert response.status_code == 404 and "attachment" in response.get_json()["error"]
    assert app.extensions["mailer.mail"].drafts.record(draft_id) is not None


ODD_DRAFT_IDS = ["..", "%2e%2e", "a\x00b", "x" * 300, "0B7E7A52-8F7C-4E0E-9A57-3C1A2B9D6F10",
                 "0b7e7a528f7c4e0e9a573c1a2b9d6f10", "{0b7e7a52-8f7c-4e0e-9a57-3c1a2b9d6f10}"]


@pytest.mark.parametrize("draft_id", ODD_DRAFT_IDS)
@pytest.mark.parametrize("method, path", [
    ("GET", ""), ("POST", ""), ("POST", "/autosave"), ("POST", "/files"),
    ("POST", "/files/" + "0" * 32 + "/delete"), ("POST", "/copy"), ("GET", "/status"),
    ("GET", "/status.json")])
def test_an_odd_draft_id_is_not_found_in_words_on_every_route(adele, draft_id, method, path):
    _, token = new_draft(adele)
    response = adele.open(f"/compose/{draft_id}{path}", method=method,
                          data={"csrf_token": token, "to": MEGAN, "action": "send"},
                          headers={"Accept": "application/json", "X-CSRFToken": token,
                                   "X-File-Name": "a.txt"})
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    assert "draft" in response.get_data(as_text=True)


# -- item 4: every choice and every rejection names its field --------------------------------------

@pytest.mark.parametrize("field, value, allowed", [
    ("body_type", "markdown", ("html", "text")), ("body_type", "", ("html", "text")),
    ("importance", "urgent", ("low", "normal", "high"))])
@pytest.mark.parametrize("action", ["send", "save"])
def test_an_unknown_choice_is_marked_with_what_is_allowed(adele, app, field, value, allowed,
                                                         action):
    draft_id, token = new_draft(adele)
    response = post_form(adele, draft_id, token, **{"to": MEGAN, "subject": "Choice", field: value,
                                                    "action": action})
    page = text(response)
    assert response.status_code == 400, page[:300]
    [message] = errors_on(page)[field]
    assert LABELS[field] in message and all(a in message for a in allowed), message
    assert 'value="Choice"' in page
    assert stored_fields(app, draft_id)["subject"] == "Choice"


def test_an_unknown_action_sends_nothing_and_says_which_button(adele, emu):
    draft_id, token = new_draft(adele)
    response = post_form(adele, draft_id, token, to=MEGAN, subject="Odd button", action="sendnow")
    page = text(response)
    assert response.status_code == 400 and 'value="Odd button"' in page
    assert "sendnow" in page and "button" in page
    assert mailbox(emu, MEGAN) == []


@pytest.mark.parametrize("field", TEXT)
def test_each_text_field_over_its_limit_is_named_with_its_limit_and_the_rest_is_saved(
        adele, app, field):
    draft_id, token = new_draft(adele)
    limit = FIELD_LIMITS[field]
    filler = "é" if field == "subject" else "a"  # a body of 4 Mi "é" passes the form memory
    other = "subject" if field != "subject" else "body"
    response = post_form(adele, draft_id, token, action="save",
                         **{"to": MEGAN, field: filler * (limit + 1), other: "Other kept"})
    page = text(response)
    assert response.status_code == 400, page[:300]
    [message] = errors_on(page)[field]
    assert message.startswith(LABELS[field]) and f"{limit:,}" in message and \
        f"{limit + 1:,}" in message, message
    assert filler * 50 in page  # what was typed is shown again, to be shortened
    kept = stored_fields(app, draft_id)
    assert kept[other] == "Other kept" and kept[field] == ""


# -- item 5: the form memory limit ---------------------------------------------------------------

@pytest.mark.parametrize("encode", [multipart, urlencoded], ids=["multipart", "urlencoded"])
def test_a_field_over_the_form_memory_keeps_the_rest_and_names_the_field(adele, app, encode):
    draft_id, token = new_draft(adele)
    assert save(adele, draft_id, token, to=MEGAN, subject="Saved before",
                body="old body").status_code == 200
    huge = b"z" * (FORM_MEMORY + 10)
    body, content_type = encode([("csrf_token", token.encode(), None),
                                 ("action", b"send", None), ("to", MEGAN.encode(), None),
                                 ("subject", b"Typed now", None), ("body", huge, None),
                                 ("cc", b"alex@contoso.example", None)])
    response = adele.post(f"/compose/{draft_id}", data=body, content_type=content_type)
    page = text(response)
    assert response.status_code == 400, page[:300]
    assert "attach large files" not in page and 'value="Typed now"' in page
    assert "alex@contoso.example" in page  # a field after the huge one is kept too
    [message] = errors_on(page)["body"]
    assert message.startswith("Message") and "5 MB" in message, message
    kept = stored_fields(app, draft_id)
    assert kept["subject"] == "Typed now" and kept["cc"] == "alex@contoso.example"
    assert kept["body"] == "old body"  # the last version that fitted, not a cut-off one


def test_a_field_over_the_form_memory_in_an_autosave_is_named(adele, app):
    draft_id, token = new_draft(adele)
    body, content_type = multipart([("csrf_token", token.encode(), None),
                                    ("to", b"x" * (FORM_MEMORY + 1), None),
                                    ("subject", b"Autosaved", None)])
    response = adele.post(f"/compose/{draft_id}/autosave", data=body, content_type=content_type,
                          headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["errors"]["to"][0].startswith("To")
    assert stored_fields(app, draft_id)["subject"] == "Autosaved"



def test_the_declared_limits_are_the_forms():
    from mailer.web.forms import FIELD_LIMITS as declared
    assert declared == FIELD_LIMITS


@pytest.mark.parametrize("name", ["resume", "csrf_token", "save_to_sent_items", "unknown"])
def test_a_hidden_or_unknown_part_sent_as_a_file_is_named_at_the_top(adele, app, name):
    draft_id, token = new_draft(adele)
    body, content_type = multipart([("csrf_token", token.encode(), None),
                                    ("action", b"send", None), ("to", MEGAN.encode(), None),
                                    ("subject", b"Top", None), (name, b"", "")])
    response = adele.post(f"/compose/{draft_id}", data=body, content_type=content_type)
    page = text(response)
    assert response.status_code == 400, page[:300]
    [message] = errors_on(page)["form"]
    assert repr(name) in message and "arrived as a file" in message
    if name == "save_to_sent_items":  # a box on the page: by its label too
        assert "Save a copy in Sent Items" in message
    assert stored_fields(app, draft_id)["subject"] == "Top"
