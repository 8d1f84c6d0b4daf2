"""The admin pages over real HTTP, signed in through the emulator: only Mailer.Admin holders;
an API key shown once and stored hashed; revoke; a job's and a merge's page, CSV, cancel."""
from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import pytest

from mailer.automation import jobs, merge
from mailer.cli.commands import run_here
from mailer.delivery.held import file_key

from api.api_support import ADELE, ADMIN, ALEX, MEGAN, SALES, bearer, csrf_token, error_of

KEY = re.compile(r'id="new-key-value" value="(mk_[^"]+)"')


@pytest.fixture
def app_worker():
    """These tests run each job themselves, when they choose (no worker takes it before)."""
    return False


def send_next(runtime, mailbox: str) -> dict:
    """One job of the mailbox's lane, sent here (as a worker's runner would take it)."""
    step = runtime.lanes.take(mailbox, "this-test")
    runtime.queue.engine.run(step, "this-test")
    runtime.lanes.leave(mailbox, "this-test")
    return runtime.lanes.get(step.job_id)


def test_admin_pages_refuse_a_signed_in_non_admin_in_words(live_app, live_sign_in):
    adele = live_sign_in(ADELE)
    token = csrf_token(adele.get(f"{live_app.url}/", timeout=30).text)
    for path in ("/admin/", "/admin/keys", f"/admin/jobs/j{'0' * 24}"):
        page = adele.get(live_app.url + path, timeout=30)
        assert page.status_code == 403, (path, page.status_code)
        assert "Mailer.Admin" in page.text and "administrators" in page.text
    made = adele.post(f"{live_app.url}/admin/keys", timeout=30, allow_redirects=False,
                      data={"csrf_token": token, "name": "mine", "senders": SALES})
    assert made.status_code == 403 and "mk_" not in made.text
    signed_out = live_app.session().get(f"{live_app.url}/admin/keys", allow_redirects=False,
                                        timeout=30)
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]


def test_a_key_is_shown_once_stored_hashed_works_and_is_revoked(live_app, live_sign_in, http,
                                                                 app_config):
    admin = live_sign_in(ADMIN)
    page = admin.get(f"{live_app.url}/admin/keys", timeout=30)
    assert page.status_code == 200 and SALES in page.text
    no_csrf = admin.post(f"{live_app.url}/admin/keys", data={"name": "x", "senders": SALES},
                         timeout=30)
    assert no_csrf.status_code == 400 and "mk_" not in no_csrf.text
    token = csrf_token(page.text)
    empty = admin.post(f"{live_app.url}/admin/keys", data={"csrf_token": token, "name": "x"},
                       timeout=30)
    assert empty.status_code == 400 and "Mailboxes: tick at least one" in empty.text
    made = admin.post(f"{live_app.url}/admin/keys", timeout=30,
                      data={"csrf_token": token, "name": "Interlok producer", "senders": SALES})
    assert made.status_code == 201, made.text[:300]
    key = KEY.search(made.text).group(1)
    listing = admin.get(f"{live_app.url}/admin/keys", timeout=30).text
    assert "Interlok producer" in listing and key not in listing  # shown once only
    stored = b"".join(p.read_bytes() for p in (Path(app_config["APP_STATE_DIR"]) / "api-keys")
                      .rglob("*") if p.is_file())
    assert key.encode() not in stored and key.split("_")[2].encode() not in stored
    assert hashlib.sha256(key.encode()).hexdigest().encode() in stored
    sent = http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key), timeout=30,
                     json={"from": SALES, "to": [ALEX], "subject": "k", "text": "k"})
    assert sent.status_code == 202, sent.text
    assert "never" not in admin.get(f"{live_app.url}/admin/keys", timeout=30).text  # last used
    key_id = key.split("_")[1]
    revoked = admin.post(f"{live_app.url}/admin/keys/{key_id}/revoke", timeout=30,
                         data={"csrf_token": token})
    assert revoked.status_code == 200 and "revoked" in revoked.text
    error_of(http.get(f"{live_app.url}{sent.headers['Location']}", headers=bearer(key),
                      timeout=30), 401)


def test_a_job_page_shows_a_failure_in_words_and_cancels_with_csrf(live_app, live_sign_in,
                                                                   http, make_key, runtime):
    key = make_key([SALES])
    admin = live_sign_in(ADMIN)
    failing = http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key), timeout=30,
                        data={"message": '{"from": "%s", "to": ["%s"], "subject": "gone", '
                                         '"text": "t"}' % (SALES, ALEX)},
                        files={"attachments": ("notes.txt", b"some notes")}).json()
    assert runtime.store.get_bytes(file_key(failing["id"], 0)) == b"some notes"
    runtime.store.delete_bytes(file_key(failing["id"], 0))  # gone before a worker took the job
    assert run_here(runtime, failing["id"])["state"] == "failed"
    page = admin.get(f"{live_app.url}/admin/jobs/{failing['id']}", timeout=30)
    assert page.status_code == 200 and "Not sent" in page.text
    assert "notes.txt is no longer held" in page.text and ALEX in page.text
    queued = http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key), timeout=30,
                       json={"from": SALES, "to": [MEGAN], "subject": "later", "text": "t"}).json()
    page = admin.get(f"{live_app.url}/admin/jobs/{queued['id']}", timeout=30)
    assert "Queued" in page.text and 'id="cancel"' in page.text
    refused = admin.post(f"{live_app.url}/admin/jobs/{queued['id']}/cancel", timeout=30)
    assert refused.status_code == 400 and jobs.status(runtime, queued["id"])["state"] == "queued"
    done = admin.post(f"{live_app.url}/admin/jobs/{queued['id']}/cancel", timeout=30,
                      data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 200 and "was cancelled" in done.text
    assert jobs.status(runtime, queued["id"])["state"] == "cancelled"


def test_a_merge_page_shows_progress_per_recipient_csv_and_cancels(live_app, live_sign_in,
                                                                   runtime, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text(f"email,name\n{ALEX},Alex\n{MEGAN},Megan\n=cmd@contoso.example,Evil\n")
    template = tmp_path / "t.txt"
    template.write_text("Subject: Hello {{ name }}\n\nDear {{ name }}")
    prepared = merge.prepare(runtime, rows, template, SALES)
    ids = merge.start(runtime, prepared)
    assert send_next(runtime, SALES) == {**runtime.lanes.get(ids[0]), "state": "sent"}
    admin = live_sign_in(ADMIN)
    page = admin.get(f"{live_app.url}/admin/merges/{prepared.id}", timeout=30)
    assert page.status_code == 200 and "1 of 3 finished" in page.text
    assert ALEX in page.text and MEGAN in page.text
    assert f"Merge {prepared.id}" in admin.get(f"{live_app.url}/admin/", timeout=30).text
    assert admin.get(f"{live_app.url}/admin/?id={prepared.id}", timeout=30,
                     allow_redirects=False).status_code == 302
    cancelled = admin.post(f"{live_app.url}/merges/{prepared.id}/cancel", timeout=30,
                           data={"csrf_token": csrf_token(page.text)})
    assert cancelled.status_code == 200 and "2 message(s) cancelled" in cancelled.text
    assert "3 of 3 finished" in cancelled.text
    exported = admin.get(f"{live_app.url}/admin/merges/{prepared.id}.csv", timeout=30)
    assert exported.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["to"], r["state"]) for r in table] == [
        (ALEX, "sent"), (MEGAN, "cancelled"), ("'=cmd@contoso.example", "cancelled")]
