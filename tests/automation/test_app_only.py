"""App-only sending through the job entry point and the CLI, against the emulator over TLS."""
from __future__ import annotations

import pytest

from automation.automation_support import ADELE, ALEX, PATTI, SALES, inbox_subjects
from mailer.automation import jobs, once
from mailer.automation.errors import NotAllowed


def run_now(rt, job_id):
    from mailer.cli.commands import run_inline
    return run_inline(rt, job_id)


def test_app_only_send_as_another_user_lands_once(runtime):
    description = {"from": SALES, "to": [ALEX], "subject": "Quarterly figures",
                   "text": "Hello Alex"}
    job = jobs.submit(runtime, description, "key-1", None)
    assert run_now(runtime, job) == "sent"
    again = jobs.submit(runtime, description, "key-1", None)  # a retried submit: the same job
    assert again == job and once.run(runtime, job) == "sent"
    assert inbox_subjects(runtime, ALEX, "Quarterly") == ["Quarterly figures"]
    record = jobs.status(runtime, job)
    assert record["sender"] == SALES and record["state"] == "sent"


def test_a_sender_outside_automation_senders_is_refused_by_name(runtime):
    with pytest.raises(NotAllowed) as refused:
        jobs.submit(runtime, {"from": PATTI, "to": [ALEX], "subject": "x", "text": "y"}, "k",
                    None)
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
    job = jobs.submit(runtime, {"from": SALES, "to": ALEX, "subject": "Big file",
                                "text": "attached", "attachments": [str(big)]}, "big", None)
    assert run_now(runtime, job) == "sent"
    assert jobs.status(runtime, job)["plan"] == "draft"
    assert inbox_subjects(runtime, ALEX, "Big file") == ["Big file"]
