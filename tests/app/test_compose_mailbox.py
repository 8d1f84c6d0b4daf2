"""Drafts in the mailbox (sending/mailbox_drafts.py) through the app and the emulator: Save draft
puts even a small message into Drafts (once, updated in place), the no-JavaScript form streams a
large file into it, removing a file deletes it there, Discard deletes the draft, and a message
whose small files outgrow one sendMail moves into the mailbox with them."""
from __future__ import annotations

import dataclasses
import hashlib
import io

from helpers.compose import (add_fault, finished_job, mailbox, new_draft, post_form, text,
                             upload)

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
MB = 1024 * 1024
SCOPES = ["Mail.Send", "Mail.ReadWrite"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_save_draft_puts_a_small_message_in_drafts_once_and_updates_it(client, sign_in, emu):
    sign_in(client, scopes=SCOPES)
    draft_id, token = new_draft(client)
    response = post_form(client, draft_id, token, action="save", to=MEGAN, subject="First words")
    assert response.status_code == 303
    page = text(client.get(f"/compose/{draft_id}"))
    assert "Draft saved to your Drafts folder." in page and 'id="in-drafts">' in page
    post_form(client, draft_id, token, action="save", to=MEGAN, subject="Second words",
              body="<p>More</p>")
    [kept] = mailbox(emu, ADELE, "drafts")  # one draft, updated in place
    assert kept.props["subject"] == "Second words" and "More" in kept.props["body"]["content"]
    assert post_form(client, draft_id, token, to=MEGAN, subject="Second words").status_code == 303
    job = finished_job(client, draft_id)
    assert job["state"] == "sent" and job["plan"] == "mailbox", job
    assert [m.props["subject"] for m in mailbox(emu, MEGAN)] == ["Second words"]
    assert mailbox(emu, ADELE, "drafts") == []


def test_save_draft_without_the_permission_asks_for_it_and_comes_back(client, sign_in, emu):
    sign_in(client)
    draft_id, token = new_draft(client)
    response = post_form(client, draft_id, token, action="save", to=MEGAN, subject="Kept")
    assert response.status_code == 303 and response.location.startswith("/login?")
    assert "Mail.ReadWrite" in response.location and mailbox(emu, ADELE, "drafts") == []
    assert 'value="Kept"' in text(client.get(f"/compose/{draft_id}"))  # typed: kept meanwhile


def test_a_large_file_posted_without_javascript_streams_into_the_draft(client, sign_in, emu):
    sign_in(client, scopes=SCOPES)
    draft_id, token = new_draft(client)
    big = bytes(range(256)) * (5 * MB // 256)
    response = post_form(client, draft_id, token, action="save", to=MEGAN, subject="No JS",
                         files=[(io.BytesIO(big), "film.bin")])
    assert response.status_code == 303, text(response)[:500]
    [kept] = mailbox(emu, ADELE, "drafts")
    assert [(a.name, a.size) for a in kept.attachments] == [("film.bin", len(big))]
    post_form(client, draft_id, token, to=MEGAN, subject="No JS")
    assert finished_job(client, draft_id)["state"] == "sent"
    [got] = mailbox(emu, MEGAN)
    assert [_sha(a.blob.read()) for a in got.attachments] == [_sha(big)]


def test_small_files_that_outgrow_one_sendmail_move_into_the_mailbox(client, sign_in, emu):
    sign_in(client, scopes=SCOPES)
    draft_id, token = new_draft(client)
    files = [bytes([n]) * (1500 * 1024) for n in range(3)]  # 4.4 MB of base64 together
    ids = [upload(client, draft_id, token, f"part{n}.bin", f).get_json()["file"]["id"]
           for n, f in enumerate(files)]
    [kept] = mailbox(emu, ADELE, "drafts")  # the third made it a mailbox draft, with all three
    assert sorted(a.name for a in kept.attachments) == ["part0.bin", "part1.bin", "part2.bin"]
    response = client.post(f"/compose/{draft_id}/files/{ids[1]}/delete",
                           headers={"Accept": "application/json"}, data={"csrf_token": token})
    assert response.status_code == 200
    [kept] = mailbox(emu, ADELE, "drafts")
    assert sorted(a.name for a in kept.attachments) == ["part0.bin", "part2.bin"]
    post_form(client, draft_id, token, to=MEGAN, subject="Three, then two")
    assert finished_job(client, draft_id)["state"] == "sent"
    [got] = mailbox(emu, MEGAN)
    assert sorted(_sha(a.blob.read()) for a in got.attachments) == \
        sorted(_sha(f) for f in (files[0], files[2]))


def test_an_attachment_the_record_does_not_list_never_goes_out(client, sign_in, emu, https):
    """A file whose upload answer was lost after Graph kept it, then picked again: the draft
    holds two copies, the record one; the send deletes the stray copy first."""
    sign_in(client, scopes=SCOPES)
    draft_id, token = new_draft(client)
    assert upload(client, draft_id, token, "a.bin", b"a" * (4 * MB)).status_code == 201
    [kept] = mailbox(emu, ADELE, "drafts")
    stray = dataclasses.replace(kept.attachments[0], id="AAMkADstray" + "0" * 34)
    kept.attachments.append(stray)  # as an unrecorded upload would leave it
    post_form(client, draft_id, token, to=MEGAN, subject="One copy")
    assert finished_job(client, draft_id)["state"] == "sent"
    [got] = mailbox(emu, MEGAN)
    assert [a.name for a in got.attachments] == ["a.bin"]


def test_discard_deletes_the_draft_in_the_mailbox_too(client, sign_in, emu, app):
    sign_in(client, scopes=SCOPES)
    draft_id, token = new_draft(client)
    upload(client, draft_id, token, "big.bin", b"b" * (4 * MB))
    assert len(mailbox(emu, ADELE, "drafts")) == 1
    response = client.post(f"/compose/{draft_id}/discard", data={"csrf_token": token})
    assert response.status_code == 303 and response.location == "/compose"
    assert mailbox(emu, ADELE, "drafts") == []
    assert app.extensions["mailer.mail"].drafts.record(draft_id) is None  # gone here too
    page = client.get(f"/compose/{draft_id}")  # its address is a new, empty message now
    assert page.status_code == 200 and "big.bin" not in text(page)


def test_a_graph_failure_while_creating_the_draft_is_said_in_words(client, sign_in, emu, https):
    sign_in(client, scopes=SCOPES)
    draft_id, token = new_draft(client)
    add_fault(https, emu, path="/me/messages$", method="POST", status=503, count=20)
    response = upload(client, draft_id, token, "big.bin", b"b" * (4 * MB))
    assert response.status_code == 503
    assert "Could not put 'big.bin' into your draft" in response.get_json()["error"]
    assert "lost" in response.get_json()["error"]


def test_autosave_writes_through_to_the_mailbox_draft_at_most_every_half_minute(
        client, sign_in, emu):
    sign_in(client, scopes=SCOPES)
    draft_id, token = new_draft(client)
    upload(client, draft_id, token, "big.bin", b"b" * (4 * MB))  # now a draft in the mailbox

    def autosave(subject):
        response = client.post(f"/compose/{draft_id}/autosave", headers={
            "Accept": "application/json"}, data={"csrf_token": token, "to": MEGAN,
                                                  "subject": subject, "body_type": "text",
                                                  "importance": "normal"})
        assert response.status_code == 200 and response.get_json() == {"saved": True, "in_mailbox": True}
    autosave("Typed a first time")
    [kept] = mailbox(emu, ADELE, "drafts")
    assert kept.props["subject"] == "Typed a first time"  # Outlook shows what was typed
    autosave("Typed a second time")  # within the half minute: kept here, not yet there
    [kept] = mailbox(emu, ADELE, "drafts")
    assert kept.props["subject"] == "Typed a first time"
    assert 'value="Typed a second time"' in text(client.get(f"/compose/{draft_id}"))
