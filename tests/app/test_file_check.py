"""POST /compose/<id>/files/check: the question the page asks before a file's bytes go (issue
17, item 2), so that no refused body larger than DRAIN_MAX ever costs the connection."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from helpers.compose import new_draft

MB = 1024 * 1024


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MAX_MESSAGE_SIZE": "151MB"}  # as an Exchange admin may allow


def check(client, draft_id, token, name, size):
    response = client.post(f"/compose/{draft_id}/files/check", headers={
        "X-CSRFToken": token, "X-File-Name": quote(name), "X-File-Size": str(size),
        "Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


@pytest.mark.parametrize("size", [20 * MB, 60 * MB, 150 * MB])
def test_a_large_file_before_the_permission_is_asked_for_at_any_size(client, sign_in, size):
    sign_in(client)
    draft_id, token = new_draft(client)
    answer = check(client, draft_id, token, "survey.mp4", size if size < 150 * MB else size - 1)
    assert answer["consent"].startswith("/login?next=/compose/consented")
    assert "permission" in answer["error"]


def test_the_answers_name_the_file_and_say_why(client, sign_in):
    sign_in(client, scopes=["Mail.ReadWrite"])
    draft_id, token = new_draft(client)
    assert check(client, draft_id, token, "notes.txt", 2000) == {"ok": True}
    assert check(client, draft_id, token, "survey.mp4", 20 * MB) == {"ok": True}  # held now
    too_big = check(client, draft_id, token, "huge.iso", 160 * MB)
    assert too_big["ok"] is False and "'huge.iso' is" in too_big["error"]
    odd = check(client, draft_id, token, "notes.txt", "lots")
    assert odd["ok"] is False and "X-File-Size" in odd["error"]
    nameless = check(client, draft_id, token, "..", 10)
    assert nameless["ok"] is False and "empty" in nameless["error"]


def test_without_its_csrf_token_the_check_is_refused(client, sign_in):
    sign_in(client)
    draft_id, _ = new_draft(client)
    response = client.post(f"/compose/{draft_id}/files/check", headers={
        "X-File-Name": "a.txt", "X-File-Size": "10", "Accept": "application/json"})
    assert response.status_code == 400
