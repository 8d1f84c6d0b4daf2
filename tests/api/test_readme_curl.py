"""The README's curl examples of the API, run as written (bash, real curl) against the live app:
submit as JSON and as multipart with files, a job's status and cancel, a mailbox's unread mail,
one message and marking it read. A README that drifts from the API fails here."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers.mailbox import GraphAsApp

from api.api_support import ALEX, SALES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_worker():
    return False  # the jobs stay queued: cancel finds them


def examples() -> list[str]:
    """The shell commands of the README's curl block, one string each, as written (a command
    starts with curl and runs on, its lines continued or inside quotes, to the next one)."""
    text = (ROOT / "README.md").read_text()
    block = text.split("The API with `curl`", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands: list[str] = []
    for line in block.splitlines():
        if line.startswith("curl "):
            commands.append(line)
        elif line.strip() and not line.startswith("#") and commands:
            commands[-1] += "\n" + line
    return commands


def test_the_readmes_curl_examples_work_as_written(live_app, make_key, emu, tmp_path):
    commands = examples()
    assert len(commands) == 7, commands
    env = {"APP": live_app.url, "KEY": make_key([SALES]), "PATH": "/usr/bin:/bin"}
    for name in ("invoice-1042.pdf", "terms.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.4 " + name.encode())
    GraphAsApp(emu).send(ALEX, SALES, "A reply to read")

    def run(command: str) -> dict:
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, timeout=60,
                              capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)
        answer = json.loads(done.stdout)
        assert answer.get("error") is None, (command, answer)
        return answer
    sent = run(commands[0])
    assert sent["state"] == "queued" and sent["sender"] == SALES
    with_files = run(commands[1])
    assert with_files["state"] == "queued" and with_files["id"] != sent["id"]
    env["JOB"] = sent["id"]
    assert run(commands[2])["id"] == sent["id"]
    assert run(commands[3])["state"] == "cancelled"
    unread = run(commands[4])
    found = [m for m in unread["messages"] if m["subject"] == "A reply to read"]
    assert found and not found[0]["is_read"]
    env["MESSAGE"] = found[0]["id"]
    assert "body" in run(commands[5])
    assert run(commands[6]) == {"id": found[0]["id"], "is_read": True}
    again = run(commands[4])
    assert not [m for m in again["messages"] if m["subject"] == "A reply to read"]
