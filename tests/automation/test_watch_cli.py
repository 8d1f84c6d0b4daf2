"""``python -m mailer watch MAILBOX``: new mail printed once as it arrives, resumable from the
saved delta link, through a resync after Graph forgot the link, from the start on request,
and as a running process stopped by Ctrl-C."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from helpers.mailbox import GraphAsApp

from automation.automation_support import ADELE, PATTI, ROOT, SALES, wait_until


def lines(result) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_each_new_message_is_printed_once_and_a_watch_resumes(cli, emu, https, tmp_path):
    graph = GraphAsApp(emu)
    graph.send(ADELE, SALES, "before the watch")
    state = str(tmp_path / "sales.json")
    watch = ("watch", SALES, "--app-only", "--once", "--json", "--state", state)
    first = lines(cli(*watch))
    assert [m["subject"] for m in first] == ["before the watch"]  # within the first minute
    assert lines(cli(*watch)) == []
    for i in range(3):
        graph.send(ADELE, SALES, f"new {i}")
    found = lines(cli(*watch))
    assert [m["subject"] for m in found] == ["new 0", "new 1", "new 2"]
    assert found[0]["mailbox"] == SALES and found[0]["from"] == ADELE and found[0]["id"]
    assert lines(cli(*watch)) == []
    graph.send(ADELE, SALES, "after the link was lost")
    assert https.post(f"{emu.api_url}/_emulator/delta/expire", timeout=10).status_code == 204
    again = lines(cli(*watch))  # a full resync: the ones printed before are not printed again
    assert [m["subject"] for m in again] == ["after the link was lost"]
    everything = lines(cli(*watch, "--from-start"))
    assert len(everything) == 5
    text = cli("watch", SALES, "--app-only", "--once", "--state", state)
    assert text.returncode == 0 and text.stdout == ""


def test_a_running_watch_prints_mail_as_it_comes_and_stops_on_ctrl_c(env, emu, tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", "watch", SALES, "--app-only", "--every", "0.5",
         "--state", str(tmp_path / "w.json")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        graph = GraphAsApp(emu)
        graph.send(ADELE, SALES, "live one")
        graph.send(ADELE, SALES, "live two")
        assert wait_until(lambda: (tmp_path / "w.json").exists() and len(json.loads(
            (tmp_path / "w.json").read_text())["printed"]) == 2, timeout=20)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert [line.split("  ")[-1] for line in out.splitlines()] == ["live one", "live two"]
    assert "Traceback" not in err


def test_a_mailbox_the_app_may_not_watch_is_named(cli):
    refused = cli("watch", PATTI, "--app-only", "--once")
    assert refused.returncode == 2 and "MAILBOX" in refused.stderr
    assert "AUTOMATION_SENDERS" in refused.stderr and "Traceback" not in refused.stderr
