"""Redis itself restarted mid-merge (killed with SIGKILL, started again on the same append-only
file), with a worker killed at the same moment: every row lands exactly once. What was written
before the crash is in the AOF (appendfsync always); what was in flight is settled from the
mailbox by the sweep, as after any worker's death."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time

import pytest

import config
from automation.automation_support import SALES, wait_until
from automation.test_merge_worker import RECIPIENTS, delivered, write_merge
from mailer.automation import merge
from mailer.delivery.runtime import Runtime

ROWS = 60


class AofRedis:
    """A redis-server of this test's own, persisting every write before answering it."""

    def __init__(self, folder):
        self.folder, self.binary = folder, shutil.which("redis-server")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def crash(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def aof(tmp_path):
    server = AofRedis(tmp_path)
    yield server
    server.stop()


@pytest.mark.redis
def test_a_merge_survives_redis_and_a_worker_killed_at_once(cli, workers, tmp_path, aof, admin,
                                                             env):
    rate = {"MESSAGES_PER_MINUTE": "600", "REDIS_URL": aof.url}
    admin("PUT", "limits", {"messages_per_minute": 600, "over_message_rate": "refuse"})
    data, template = write_merge(tmp_path, ROWS, "Aof")
    queued = cli("merge", str(data), str(template), "--from", SALES, extra_env=rate)
    assert queued.returncode == 0, queued.stderr
    merge_id = queued.stdout.split()[1].rstrip(":")
    first = workers(rate)
    workers(rate)
    rt = Runtime(config.load_config({**env, **rate}))
    try:
        assert wait_until(lambda: len(delivered(rt, "Aof")) >= ROWS // 4, 60)
        first.send_signal(signal.SIGKILL)
        aof.crash()
        time.sleep(1)
        aof.start()  # the same port and append-only file
        status = wait_until(lambda: (s := merge.status(rt, merge_id))["counts"] == {"sent": ROWS}
                            and s, 120)
        assert status, merge.status(rt, merge_id)["counts"]
        subjects = delivered(rt, "Aof")
        assert sorted(subjects) == sorted(f"Aof {n} for Person {n}" for n in range(1, ROWS + 1))
        assert {r["to"] for r in status["rows"]} <= set(RECIPIENTS)
    finally:
        rt.http.close()
