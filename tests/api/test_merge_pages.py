"""The merge pages over real HTTP, signed in through the emulator: who may use them (Mailer.Admin,
Mailer.Sender; the keys page stays an admin's), the form's refusals naming the field, the
preview naming each refused row, start once, pause, resume, cancel, results as CSV."""
from __future__ import annotations

import csv
import io
import re

import pytest

from mailer.automation import merge

from api.api_support import ADELE, ADMIN, ALEX, MEGAN, SALES, csrf_token

DRAFT = re.compile(r"/merges/drafts/([0-9a-f]{16})")
MERGE = re.compile(r"/merges/(m[0-9a-f]{16})")
ROWS = f"email,first_name\n{ALEX},Alex\nnot-an-address,Nobody\n{MEGAN},Megan\n"


@pytest.fixture
def app_worker():
    """Nothing is sent unless a test sends it: the rows stay where the pages put them."""
    return False


def form(session, url: str) -> str:
    page = session.get(f"{url}/merges/new", timeout=30)
    assert page.status_code == 200, page.text[:300]
    return csrf_token(page.text)


def post(session, url: str, token: str, csv_text: str = ROWS, files=None, **fields):
    data = {"csrf_token": token, "sender": SALES, "to_column": "email",
            "subject": "Hello {{ first_name }}", "body": "<p>Dear {{ first_name }},</p>",
            "body_type": "html", "when": "now", "csv_text": csv_text, **fields}
    return session.post(f"{url}/merges/new", data=data, files=files or {}, timeout=60,
                        allow_redirects=False)


def started(session, url: str, token: str, **fields) -> str:
    made = post(session, url, token, **fields)
    assert made.status_code == 303, made.text[:2000]
    preview = session.get(url + made.headers["Location"], timeout=30)
    begun = session.post(url + made.headers["Location"] + "/start", timeout=60,
                         data={"csrf_token": csrf_token(preview.text)}, allow_redirects=False)
    assert begun.status_code == 303, begun.text[:500]
    return MERGE.search(begun.headers["Location"]).group(1)


def test_a_sender_runs_a_merge_but_cannot_manage_keys(live_app, live_sign_in, runtime):
    megan, url = live_sign_in(MEGAN), live_app.url
    assert megan.get(f"{url}/admin/keys", timeout=30).status_code == 403
    assert megan.get(f"{url}/admin/", timeout=30).status_code == 403
    home = megan.get(f"{url}/", timeout=30).text
    assert 'href="/merges/"' in home and 'href="/admin/"' not in home
    token = form(megan, url)
    assert post(megan, url, "").status_code == 400  # no CSRF token: nothing kept
    made = post(megan, url, token)
    assert made.status_code == 303, made.text[:2000]
    preview = megan.get(url + made.headers["Location"], timeout=30).text
    assert "2</strong> messages will go from" in preview and "1</strong> row is left out" in preview
    refused = re.search(r'<li class="list-group-item small" data-row="2">([^<]*)</li>', preview)
    assert refused, preview[preview.find("Left out"):][:800]
    assert refused.group(1).startswith("Row 2 (not-an-address): To: &#39;not-an-address&#39; "
                                       "is not a valid email address"), refused.group(1)
    assert "Hello Alex" in preview and "Dear Alex" in preview  # rendered as sent
    assert "about" in preview and "at 30 a minute" in preview or "under a minute" in preview
    starts = [megan.post(url + made.headers["Location"] + "/start", allow_redirects=False,
                         data={"csrf_token": token}, timeout=30) for _ in range(2)]
    merge_id = MERGE.search(starts[0].headers["Location"]).group(1)
    assert MERGE.search(starts[1].headers["Location"]).group(1) == merge_id  # once only
    found = merge.status(runtime, merge_id)
    assert found["counts"] == {"queued": 2, "refused": 1}
    assert [r["to"] for r in found["rows"]] == [ALEX, "not-an-address", MEGAN]
    assert merge_id in megan.get(f"{url}/merges/", timeout=30).text
    admin = live_sign_in(ADMIN)
    assert merge_id in admin.get(f"{url}/merges/", timeout=30).text  # an admin sees them all
    mine = started(admin, url, form(admin, url))
    assert megan.get(f"{url}/merges/{mine}", timeout=30).status_code == 404  # not hers
    assert mine not in megan.get(f"{url}/merges/", timeout=30).text
    adele = live_sign_in(ADELE)
    refused = adele.get(f"{url}/merges/", timeout=30)
    assert refused.status_code == 403 and "Mailer.Sender" in refused.text


MB = 1024 * 1024


@pytest.mark.parametrize("change, field, words", [
    ({"sender": ALEX}, "sender", "Send as: 'alex@contoso.example' is not one of the mailboxes"),
    ({"to_column": "mail"}, "to_column", "Column of the addresses: the CSV has no column 'mail'"),
    ({"csv_text": ""}, "csv_file", "CSV file: upload the CSV of recipients, or paste it"),
    ({"csv_text": "email\n"}, "csv_file", "CSV: the CSV has a header but no rows"),
    ({"csv_text": "email\n" + "a@contoso.example\n" * 10_001}, "csv_file",
     "CSV: the CSV has more than 10,000 rows"),
    ({"body": "{% if %}"}, "body", "Template: the template does not parse"),
    ({"file_column": "files"}, "file_column", "the CSV has no column 'files'"),
    ({"when": "later", "send_at": "2026-13-40T10:00"}, "send_at", "Send at: "),
    ({"when": "later", "send_at": "2099-01-01T10:00"}, "send_at", "Send at: at most 6 days"),
    ({"subject": "x" * 999}, "subject", "Subject: 999 characters; at most 998"),
    ({"files": {"attachments": ("big.pdf", b"x" * (3 * MB))}}, "attachments",
     "Files for every row: big.pdf is 3 MB; each file of a merge must be smaller than 3 MB"),
    ({"files": {"csv_file": ("r.csv", b"\xff\xfe")}}, "csv_file", "CSV file: it is not UTF-8"),
    ({"files": {"row_files": ("a.txt", b"a")}}, "file_column", "name the column that says"),
])
def test_the_form_names_the_field_at_fault(live_app, live_sign_in, change, field, words):
    admin = live_sign_in(ADMIN)
    files = change.pop("files", None)
    answer = post(admin, live_app.url, form(admin, live_app.url), files=files, **change)
    assert answer.status_code == 400, answer.text[:500]
    found = re.search(rf'data-error-for="{field}">([^<]*)<', answer.text)
    assert found and words.replace("'", "&#39;") in found.group(1), (field, answer.text[-3000:])


def test_a_body_larger_than_a_merge_takes_is_refused_unread(live_app, live_sign_in):
    admin = live_sign_in(ADMIN)
    token = form(admin, live_app.url)
    huge = admin.post(f"{live_app.url}/merges/new", timeout=60, data={"csrf_token": token},
                      files={"attachments": ("a.bin", b"x" * (60 * MB))})
    assert huge.status_code == 413 and "larger than a merge takes" in huge.text


def test_pause_resume_cancel_and_the_results_in_csv(live_app, live_sign_in, runtime):
    admin, url = live_sign_in(ADMIN), live_app.url
    merge_id = started(admin, url, form(admin, url))
    page = admin.get(f"{url}/merges/{merge_id}", timeout=30)
    assert 'id="pause"' in page.text and "Running" in page.text
    paused = admin.post(f"{url}/merges/{merge_id}/pause", data={"csrf_token": csrf_token(
        page.text)}, timeout=30)
    assert "Paused: 2 row(s) held" in paused.text and 'id="resume"' in paused.text
    assert runtime.lanes.states(merge.batch(runtime, merge_id)["jobs"]) == ["held", "held"]
    status = admin.get(f"{url}/merges/{merge_id}/status.json", timeout=30).json()
    assert status["state"] == "paused" and status["counts"] == {"held": 2, "refused": 1}
    assert [r["state_words"] for r in status["rows"]][0] == "Paused with its merge"
    resumed = admin.post(f"{url}/merges/{merge_id}/resume", timeout=30,
                         data={"csrf_token": csrf_token(paused.text)})
    assert "Resumed: 2 row(s) back" in resumed.text
    assert runtime.lanes.states(merge.batch(runtime, merge_id)["jobs"]) == ["queued", "queued"]
    step = runtime.lanes.take(SALES, "this-test")  # one row sent, as a worker would
    runtime.queue.engine.run(step, "this-test")
    runtime.lanes.leave(SALES, "this-test")
    cancelled = admin.post(f"{url}/merges/{merge_id}/cancel", timeout=30,
                           data={"csrf_token": csrf_token(resumed.text)})
    assert "1 message(s) cancelled" in cancelled.text and "Finished" in cancelled.text
    exported = admin.get(f"{url}/merges/{merge_id}.csv", timeout=30)
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["row"], r["state"]) for r in table] == [("1", "sent"), ("2", "refused"),
                                                       ("3", "cancelled")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", table[0]["sent_at_utc"])
    assert "is not a valid email address" in table[1]["error"]
    old = admin.get(f"{url}/admin/merges/{merge_id}", timeout=30, allow_redirects=False)
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/merges/{merge_id}")
