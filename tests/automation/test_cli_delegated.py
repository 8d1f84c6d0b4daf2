"""The CLI as a person: device-code sign-in (the emulator's /devicelogin driven like a browser),
then a send with their own rights, and the Interlok-style consumer: inbox --json --mark-read."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

from automation.automation_support import ADELE, ALEX, ROOT, inbox_subjects
from helpers.signin import complete_device_login


def complete_device_code(message: str, username: str = ADELE) -> None:
    """What a person does with the printed message: open the page, type the code, sign in."""
    uri = re.search(r"https?://\S+/devicelogin", message).group(0)
    code = re.search(r"enter the code (\S+)", message).group(1)
    complete_device_login(uri, code, username)


def login(env, https, emu) -> None:
    https.put(f"{emu.api_url}/_emulator/identity/settings", json={"device_code_interval": 1},
              timeout=10)
    process = subprocess.Popen([sys.executable, "-m", "mailer", "login"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        complete_device_code(process.stderr.readline())
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"Signed in as {ADELE}" in out


def test_device_code_sign_in_then_a_delegated_send(env, https, emu, cli, runtime, tmp_path):
    assert cli("send", "--to", ALEX, "--text", "-", input="x").returncode == 1  # not signed in
    login(env, https, emu)
    body = tmp_path / "note.html"
    body.write_text("<p>Hello <b>Alex</b></p>")
    done = cli("send", "--to", ALEX, "--subject", "Delegated hello", "--html", str(body),
               "--importance", "high")
    assert done.returncode == 0, done.stderr
    assert inbox_subjects(runtime, ALEX, "Delegated") == ["Delegated hello"]
    sent = runtime.app_graph()._request("GET", f"/users/{ADELE}/mailFolders/sentitems/messages",
                                    params={"$select": "subject,importance"}).json()["value"]
    assert [(m["subject"], m["importance"]) for m in sent] == [("Delegated hello", "high")]


def test_inbox_json_mark_read(env, https, emu, cli, runtime):
    from mailer.automation import jobs
    from mailer.cli.commands import run_here
    for n in (1, 2):
        job, _ = jobs.submit(runtime, {"from": "sales@contoso.example", "to": ADELE,
                                       "subject": f"Order {n}", "text": f"order {n}"}, f"o{n}")
        assert run_here(runtime, job)["state"] == "sent"
    login(env, https, emu)
    first = cli("inbox", "--json", "--mark-read")
    assert first.returncode == 0, first.stderr
    listed = json.loads(first.stdout)
    assert sorted(m["subject"] for m in listed) == ["Order 1", "Order 2"]
    assert all(m["from"] == "sales@contoso.example" and "order" in m["body"] for m in listed)
    time.sleep(0.2)
    again = cli("inbox", "--json")
    assert again.returncode == 0 and json.loads(again.stdout) == []  # marked read: not listed
