"""docs/examples/ (a CSV and a template) through the command line in demo mode as ./env.sh
leaves it (AUTOMATION_SENDERS not set: config.py's demo default): the dry run checks and shows
every row or counts those it leaves out; the real merge sends each row once, and running it
again sends nothing twice."""
from __future__ import annotations

import subprocess
import sys

from automation.automation_support import ADELE, ALEX, MEGAN, PATTI, ROOT, SALES, \
    inbox_subjects, wait_until

EXAMPLE = [str(ROOT / "docs/examples/recipients.csv"), str(ROOT / "docs/examples/invitation.html")]
PEOPLE = {ALEX: "Alex", MEGAN: "Megan", PATTI: "Patti", ADELE: "Adele"}


def demo_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    """``python -m mailer`` with nothing about automation in its environment."""
    plain = {k: v for k, v in env.items() if k != "AUTOMATION_SENDERS"}
    return subprocess.run([sys.executable, "-m", "mailer", *args], cwd=ROOT, env=plain,
                          capture_output=True, text=True, timeout=120)


def test_the_example_dry_run_works_in_demo_mode_out_of_the_box(env):
    done = demo_cli(env, "merge", *EXAMPLE, "--from", SALES, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "5 messages from sales@contoso.example (dry run: nothing sent)" in done.stdout
    assert "Subject: Alex, you are invited to the Marketing day" in done.stdout
    assert "Your seat: <strong>A12</strong>" in done.stdout
    assert done.stdout.count("--- row ") == 3
    assert "... and 2 more rows not shown, all checked (--show all" in done.stdout
    every = demo_cli(env, "merge", *EXAMPLE, "--from", SALES, "--dry-run", "--show", "all")
    assert every.stdout.count("--- row ") == 5 and "not shown" not in every.stdout
    assert "Please open the day with a few words." in every.stdout  # Patti's row only
    refused = demo_cli(env, "merge", *EXAMPLE, "--from", "adele@contoso.example", "--dry-run")
    assert refused.returncode == 2
    assert "allowed: sales@contoso.example, admin@contoso.example" in refused.stderr
    bad = demo_cli(env, "merge", *EXAMPLE, "--from", SALES, "--dry-run", "--show", "some")
    assert bad.returncode == 2 and "--show: 'some': a number of rows, or all" in bad.stderr


def test_the_example_merge_sends_each_row_once_and_again_nothing(env, workers, runtime):
    workers()
    first = demo_cli(env, "merge", *EXAMPLE, "--from", SALES)
    assert first.returncode == 0 and "5 messages queued" in first.stdout, first.stderr
    merge_id = first.stdout.split()[1].rstrip(":")

    def arrived() -> dict:
        return {upn: inbox_subjects(runtime, upn, "") for upn in PEOPLE}
    expected = {upn: sorted([f"{name}, you are invited to the "
                             f"{'Leadership' if upn == PATTI else 'Retail' if upn == ADELE else 'Marketing'} day",
                             "everyone, you are invited to the All Staff day"])
                for upn, name in PEOPLE.items()}
    assert wait_until(lambda: {u: sorted(s) for u, s in arrived().items()} == expected, 60), \
        arrived()
    again = demo_cli(env, "merge", *EXAMPLE, "--from", SALES)
    assert again.returncode == 0 and merge_id in again.stdout
    status = demo_cli(env, "status", merge_id)
    assert status.returncode == 0 and "5 sent" in status.stdout, status.stdout
    assert {u: sorted(s) for u, s in arrived().items()} == expected  # nothing twice
