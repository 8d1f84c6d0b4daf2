"""Automation workers as real processes (``python -m mailer worker``) for the tests that need
one: started with an environment, logged to files, stopped (SIGINT, then SIGKILL) at the end."""
from __future__ import annotations

import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def worker_processes(env: dict, folder: Path, threads: int):
    """Yields start(extra_env=None, threads=N) -> a worker process; logs in folder/worker-N.log."""
    started: list[subprocess.Popen] = []
    logs = []

    def start(extra_env: dict | None = None, threads: int = threads) -> subprocess.Popen:
        logs.append(open(folder / f"worker-{len(logs)}.log", "w"))
        process = subprocess.Popen(
            [sys.executable, "-m", "mailer", "worker", "--threads", str(threads)], cwd=ROOT,
            env={**env, **(extra_env or {})}, stdout=logs[-1], stderr=subprocess.STDOUT)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
