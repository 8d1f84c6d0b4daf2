"""Attachments through the factory: streamed to disk, named safely, refused with the file named
when empty or over a limit (before anything reaches Graph), a 413 in words, never a 500."""
from __future__ import annotations

import io

import pytest
from helpers.compose import errors_on, mailbox, new_draft, post_form, text, upload

from app import create_app
from app_fixtures import ClosingTestClient

MEGAN = "megan@contoso.example"
MB = 1024 * 1024


@pytest.fixture
def adele(client, sign_in):
    sign_in(client)
    return client


@pytest.fixture
def small(app_config, emu, sign_in):
    """An app with small limits (1 MB per file, 2 MB per message), Adele signed in."""
    app = create_app({**app_config, "MAX_FILE_SIZE": "1MB", "MAX_MESSAGE_SIZE": "2MB"}, environ={})
    app.test_client_class = ClosingTestClient  # it posts bodies werkzeug spools to a file
    client = app.test_client()
    sign_in(client)
    yield client
    app.extensions["mailer"]["http"].close()


def stored_files(app, draft_id):
    """The ids the draft store holds files under (read from the store, as another instance)."""
    return sorted(f["id"] for f in app.extensions["mailer.mail"].drafts.record(draft_id)["files"])


def test_an_upload_is_stored_on_disk_and_listed_with_its_size(adele, app):
    draft_id, token = new_draft(adele)
    response = upload(adele, draft_id, token, "report.pdf", b"%PDF" * 5000, "application/pdf")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["file"]["name"] == "report.pdf" and body["file"]["size"] == 20000
    assert body["total"] == 20000 and body["total_human"] == "20 KB"
    [stored] = stored_files(app, draft_id)
    assert stored == body["file"]["id"]  # a generated id, never the user's name
    page = text(adele.get(f"/compose/{draft_id}"))
    assert "report.pdf" in page and "20 KB of 35 MB" in page
    assert f'value="remove:{body["file"]["id"]}"' in page


@pytest.mark.parametrize("sent_name, shown", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\adele\\Q1 résumé.pdf", "Q1 résumé.pdf"),
    ("报告 2026.xlsx", "报告 2026.xlsx"),
    ("/tmp/évidence\u0007.txt", "évidence.txt"),
], ids=["dotdot", "windows-path", "cjk", "control-char"])
def test_file_names_lose_folder_parts_and_keep_their_letters(adele, app, sent_name, shown):
    draft_id, token = new_draft(adele)
    response = upload(adele, draft_id, token, sent_name, b"content")
    assert response.status_code == 201 and response.get_json()["file"]["name"] == shown
    assert shown in text(adele.get(f"/compose/{draft_id}"))


def test_file_names_with_folder_parts_are_cleaned_without_javascript_too(adele):
    draft_id, token = new_draft(adele)
    response = post_form(adele, draft_id, token, action="save", to=MEGAN,
                         files=[(io.BytesIO(b"data"), "../../Ünïcödé ☃.txt")])
    assert response.status_code == 303
    assert "Ünïcödé ☃.txt" in text(adele.get(f"/compose/{draft_id}"))


def test_an_empty_file_is_refused_with_its_name(adele, emu):
    draft_id, token = new_draft(adele)
    response = upload(adele, draft_id, token, "empty.txt", b"")
    assert response.status_code == 400
    assert response.get_json()["error"] == "'empty.txt' is empty (0 bytes); attach a file with content."
    # the same without JavaScript: the message sits under Attachments, the rest stays
    response = post_form(adele, draft_id, token, to=MEGAN, subject="With an empty file",
                         files=[(io.BytesIO(b""), "empty.txt")])
    page = text(response)
    assert response.status_code == 400 and 'value="With an empty file"' in page
    assert errors_on(page)["attachments"] == [
        "'empty.txt' is empty (0 bytes); attach a file with content."]
    assert mailbox(emu, MEGAN) == []


def test_an_unusable_file_name_is_refused(adele):
    draft_id, token = new_draft(adele)
    response = upload(adele, draft_id, token, "../..", b"x")
    assert response.status_code == 400 and "empty once folder parts are removed" in \
        response.get_json()["error"]


def test_a_file_over_the_per_file_limit_is_refused_before_it_is_stored(small):
    draft_id, token = new_draft(small)
    response = upload(small, draft_id, token, "video.mp4", b"v" * (MB + 1))
    assert response.status_code == 413
    assert response.get_json()["error"] == ("'video.mp4' is 1,048,577 bytes; a single attachment "
                                            "can be at most 1,048,576 bytes.")
    assert "0 bytes of 2 MB" in text(small.get(f"/compose/{draft_id}"))


def test_files_over_the_message_limit_are_refused_naming_the_one_that_does_not_fit(small):
    draft_id, token = new_draft(small)
    for name in ("one.bin", "two.bin"):
        assert upload(small, draft_id, token, name, b"1" * (900 * 1024)).status_code == 201
    response = upload(small, draft_id, token, "three.bin", b"3" * (300 * 1024))
    assert response.status_code == 413
    assert response.get_json()["error"].startswith(
        "'three.bin' (300 KB) does not fit: the attachments of one message may total 2 MB")


def test_the_body_counts_toward_the_message_limit_when_sending(small, emu):
    draft_id, token = new_draft(small)
    for name in ("one.bin", "two.bin"):
        assert upload(small, draft_id, token, name, b"1" * (1000 * 1024)).status_code == 201
    response = post_form(small, draft_id, token, to=MEGAN, subject="Too big",
                         body="x" * (100 * 1024), body_type="text")
    page = text(response)
    assert response.status_code == 400 and 'value="Too big"' in page
    [message] = errors_on(page)["attachments"]
    assert "the mailbox accepts at most 2 MB per message" in message and "'one.bin'" in message
    assert "one.bin" in page and "two.bin" in page  # the files are still attached
    assert mailbox(emu, MEGAN) == []


def test_a_request_over_the_size_limit_gets_a_clear_413_page_with_the_draft(small):
    draft_id, token = new_draft(small)
    small.post(f"/compose/{draft_id}/autosave", headers={"Accept": "application/json"},
               data={"csrf_token": token, "to": MEGAN, "subject": "Saved before"})
    response = post_form(small, draft_id, token, to=MEGAN, subject="Too much",
                         files=[(io.BytesIO(b"z" * (4 * MB)), "huge.bin")])
    page = text(response)
    assert response.status_code == 413 and "Traceback" not in page
    assert "attach large files one at a time" in page and 'value="Saved before"' in page
    response = upload(small, draft_id, token, "huge.bin", b"z" * (4 * MB))
    assert response.status_code == 413 and "at most 1 MB" in response.get_json()["error"]


def test_a_file_is_removed_by_xhr_and_without_javascript(adele, app):
    draft_id, token = new_draft(adele)
    first = upload(adele, draft_id, token, "a.txt", b"aaa").get_json()["file"]["id"]
    second = upload(adele, draft_id, token, "b.txt", b"bbbb").get_json()["file"]["id"]
    response = adele.post(f"/compose/{draft_id}/files/{first}/delete",
                          headers={"Accept": "application/json"}, data={"csrf_token": token})
    assert response.status_code == 200 and [f["name"] for f in response.get_json()["files"]] == ["b.txt"]
    response = post_form(adele, draft_id, token, action=f"remove:{second}", subject="Kept")
    assert response.status_code == 303
    page = text(adele.get(f"/compose/{draft_id}"))
    assert "b.txt" not in page and 'value="Kept"' in page
    assert stored_files(app, draft_id) == []
