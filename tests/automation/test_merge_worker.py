"""A merge of 500 rows (the issue's size) on the real task queue, paced under the emulator's
scaled limit, with the worker killed (SIGKILL) mid-run and restarted: every row lands exactly
once."""
from __future__ import annotations

import bisect
import csv
import json
import signal
import time

from automation.automation_support import ADELE, ALEX, MEGAN, PATTI, SALES, inbox_subjects, \
    wait_until
from mailer.automation import merge

ROWS = 500
RATE = 1500  # messages a minute, the emulator's and the app's (Exchange's 30, scaled): 25 a second
PER_SECOND = RATE // 60  # the app's even window at this rate: 25 per 1 s (pacing.even_window)
RECIPIENTS = [ALEX, MEGAN, PATTI, ADELE]


def write_merge(tmp_path, rows: int, tag: str):
    data = tmp_path / f"{tag}.csv"
    with data.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["email", "name", "n"])
        for n in range(1, rows + 1):
            out.writerow([RECIPIENTS[n % 4], f"Person {n}", n])
    template = tmp_path / f"{tag}.txt"
    template.write_text(f"Subject: {tag} {{{{ n }}}} for {{{{ name }}}}\n\nDear {{{{ name }}}},\n"
                        "your number is {{ n }}.\n")
    return data, template


def delivered(runtime, tag: str) -> list[str]:
    return [s for upn in RECIPIENTS for s in inbox_subjects(runtime, upn, f"{tag} ")]


def test_dry_run_previews_and_sends_nothing(cli, tmp_path, runtime):
    data, template = write_merge(tmp_path, 5, "Preview")
    done = cli("merge", str(data), str(template), "--from", SALES, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "5 messages" in done.stdout and "Subject: Preview 1 for Person 1" in done.stdout
    assert delivered(runtime, "Preview") == []


def test_a_missing_variable_names_the_row(cli, tmp_path):
    data, template = write_merge(tmp_path, 3, "Bad")
    template.write_text("Subject: Hi {{ surname }}\n\nx\n")
    done = cli("merge", str(data), str(template), "--from", SALES, "--dry-run")
    assert done.returncode == 2 and "row 1" in done.stderr and "surname" in done.stderr


def most_in_any_span(times: list[float], seconds: float) -> int:
    """The most of ``times`` (sorted) inside any half-open span of ``seconds``."""
    return max(bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times))


def test_merge_of_500_with_the_worker_killed_mid_run(cli, workers, tmp_path, runtime, admin):
    admin("PUT", "limits", {"messages_per_minute": RATE, "over_message_rate": "refuse"})
    pace = {"MESSAGES_PER_MINUTE": str(RATE)}
    data, template = write_merge(tmp_path, ROWS, "Merge")
    queued = cli("merge", str(data), str(template), "--from", SALES)
    assert queued.returncode == 0, queued.stderr
    merge_id = queued.stdout.split()[1].rstrip(":")
    worker = workers(pace)
    assert wait_until(lambda: len(delivered(runtime, "Merge")) >= ROWS * 3 // 10, 60)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    sent_before = len(delivered(runtime, "Merge"))
    assert sent_before < ROWS, "the worker was killed too late to test anything"
    workers(pace)  # the restarted worker finds the killed one's rows by the sweep
    status = wait_until(lambda: (s := merge.status(runtime, merge_id))["counts"] == {"sent": ROWS}
                        and s, 90)
    assert status, merge.status(runtime, merge_id)["counts"]
    subjects = delivered(runtime, "Merge")
    expected = {f"Merge {n} for Person {n}" for n in range(1, ROWS + 1)}
    assert len(subjects) == ROWS and set(subjects) == expected  # 0 duplicates, 0 missing
    # Pacing held. The whole run is shorter than a minute, so the per-minute limit alone would
    # prove nothing: the app spreads it evenly (PER_SECOND a second), so check spans of 10 s,
    # allowing one second's worth for the time between admission and the recorded sent_at.
    times = sorted(r["sent_at"] for r in status["rows"])
    assert most_in_any_span(times, 60) <= RATE
    assert most_in_any_span(times, 10) <= PER_SECOND * 11, most_in_any_span(times, 10)
    assert sum(r["throttled"] for r in status["rows"]) == 0  # and Exchange refused none
    done = cli("status", merge_id, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["counts"] == {"sent": ROWS}


def test_a_429_pauses_only_that_mailboxs_lane(cli, workers, tmp_path, runtime, admin):
    data_a, template_a = write_merge(tmp_path, 20, "Lane-A")
    data_b, template_b = write_merge(tmp_path, 20, "Lane-B")
    admin("POST", "faults", {"path": "/users/sales(%40|@)contoso.example/sendMail$",
                             "method": "POST", "status": 429, "retry_after": 6, "count": 1})
    workers({"MESSAGES_PER_MINUTE": "600"})
    started = time.time()
    for data, template, sender in ((data_a, template_a, SALES), (data_b, template_b, ADELE)):
        done = cli("merge", str(data), str(template), "--from", sender)
        assert done.returncode == 0, done.stderr
    ids = {s: merge.merge_id(s, d, t, "email") for s, d, t in
           ((SALES, data_a, template_a), (ADELE, data_b, template_b))}
    assert wait_until(lambda: merge.status(runtime, ids[ADELE])["counts"] == {"sent": 20}, 30)
    b_done = max(r["sent_at"] for r in merge.status(runtime, ids[ADELE])["rows"])
    assert wait_until(lambda: merge.status(runtime, ids[SALES])["counts"] == {"sent": 20}, 60)
    rows_a = merge.status(runtime, ids[SALES])["rows"]
    assert sum(r["throttled"] for r in rows_a) == 1
    # Adele's lane went on while Sales' waited its Retry-After.
    assert b_done - started < 6 < min(r["sent_at"] for r in rows_a if r["throttled"]) - started
    assert sorted(delivered(runtime, "Lane-A")) == sorted(f"Lane-A {n} for Person {n}"
                                                          for n in range(1, 21))
