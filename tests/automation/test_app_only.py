"""App-only sending through the job entry point and the CLI, against the emulator over TLS."""
from __future__ import annotations

import hashlib
import shutil
import time

import pytest
from helpers.compose import mailbox

from automation.automation_support import ADELE, ALEX, PATTI, SALES, inbox_subjects
from mailer.automation import jobs
from mailer.automation.errors import NotAllowed
from mailer.cli.commands import run_here


def run_now(rt, job_id):
    return run_here(rt, job_id)["state"]


def test_app_only_send_as_another_user_lands_once(runtime):
    description = {"from": SALES, "to": [ALEX], "subject": "Quarterly figures",
                   "text": "Hello Alex"}
    job, replayed = jobs.submit(runtime, description, "key-1")
    assert run_now(runtime, job) == "sent" and replayed is False
    again, replayed = jobs.submit(runtime, description, "key-1")  # a retry: the same job
    assert again == job and replayed is True and run_now(runtime, job) == "sent"
    assert inbox_subjects(runtime, ALEX, "Quarterly") == ["Quarterly figures"]
    record = jobs.status(runtime, job)
    assert record["sender"] == SALES and record["state"] == "sent"


def test_a_sender_outside_automation_senders_is_refused_by_name(runtime):
    with pytest.raises(NotAllowed) as refused:
        jobs.submit(runtime, {"from": PATTI, "to": [ALEX], "subject": "x", "text": "y"}, "k")
    assert "patti@contoso.example" in str(refused.value)
    assert "AUTOMATION_SENDERS" in str(refused.value)


def test_cli_app_only_send_and_refusal(cli, runtime, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("From the command line")
    done = cli("send", "--app-only", "--from", ADELE, "--to", ALEX, "--subject", "CLI app-only",
               "--text", str(body))
    assert done.returncode == 0, done.stderr
    assert inbox_subjects(runtime, ALEX, "CLI app-only") == ["CLI app-only"]
    refused = cli("send", "--app-only", "--from", PATTI, "--to", ALEX, "--subject", "no",
                  "--text", "-", input="x")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: --from: automation may not send as "
                                     "patti@contoso.example"), refused.stderr
    assert "Traceback" not in refused.stderr


def test_cli_bad_usage_names_the_option(cli, tmp_path):
    body = tmp_path / "b.txt"
    body.write_text("x")
    bad = cli("send", "--app-only", "--from", SALES, "--to", "not an address", "--text", str(body))
    assert bad.returncode == 2 and bad.stderr.startswith("error: --to:"), bad.stderr
    missing = cli("send", "--app-only", "--from", SALES, "--to", ALEX, "--text", str(body),
                  "--attach", str(tmp_path / "nope.pdf"))
    assert missing.returncode == 2 and "--attach" in missing.stderr and "nope.pdf" in missing.stderr
    assert "Traceback" not in bad.stderr + missing.stderr


def test_large_attachment_goes_through_an_upload_session(runtime, tmp_path):
    big = tmp_path / "report.bin"
    big.write_bytes(bytes(range(256)) * (5 * 4096))  # 5 MB: draft + upload session
    job, _ = jobs.submit(runtime, {"from": SALES, "to": ALEX, "subject": "Big file",
                                   "text": "attached", "attachments": [str(big)]}, "big")
    assert run_now(runtime, job) == "sent"
    assert jobs.status(runtime, job)["plan"] == "draft"
    assert inbox_subjects(runtime, ALEX, "Big file") == ["Big file"]


@pytest.mark.redis
def test_a_cli_queued_send_with_files_needs_nothing_of_its_host(cli, workers, tmp_path, emu,
                                                                 redis_server):
    """`send --app-only --queue --attach`: the files go where any worker reaches them (a large
    one into a draft in the sender's mailbox), never as paths on the CLI's host; a worker on
    another "host" (its own APP_STATE_DIR, the same Redis) sends them byte-identical."""

    shared = {"REDIS_URL": redis_server.rsplit("/", 1)[0] + "/6"}
    big, small = tmp_path / "cli-host" / "film.bin", tmp_path / "cli-host" / "note.txt"
    big.parent.mkdir()
    big.write_bytes(bytes(range(256)) * (5 * 4096))  # 5 MB: a draft in the mailbox
    small.write_text("small note")
    body = tmp_path / "cli-host" / "body.txt"
    body.write_text("files attached")
    sent = cli("send", "--app-only", "--queue", "--from", SALES, "--to", ALEX, "--subject",
               "From the CLI host", "--text", str(body), "--attach", str(big), "--attach",
               str(small), extra_env={**shared, "APP_STATE_DIR": str(tmp_path / "cli-state")})
    assert sent.returncode == 0 and "Queued" in sent.stdout, sent.stderr
    [draft] = mailbox(emu, SALES, "drafts")  # visible in Drafts until a worker sends it
    shutil.rmtree(tmp_path / "cli-host")  # nothing of the CLI's host may be needed now
    shutil.rmtree(tmp_path / "cli-state", ignore_errors=True)
    workers({**shared, "APP_STATE_DIR": str(tmp_path / "worker-state")})
    deadline = time.monotonic() + 30
    while not (got := [m for m in mailbox(emu, ALEX)
                       if m.props.get("subject") == "From the CLI host"]):
        assert time.monotonic() < deadline, "never sent"
        time.sleep(0.2)
    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    assert sorted(sha(a.blob.read()) for a in got[0].attachments) == \
        sorted([sha(bytes(range(256)) * (5 * 4096)), sha(b"small note")])
    assert mailbox(emu, SALES, "drafts") == [] and draft is not None
