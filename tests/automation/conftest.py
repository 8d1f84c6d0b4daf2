"""Fixtures for automation and the CLI: the real emulator (in this process, over TLS) and the
app's side as real processes (``python -m mailer ...``) configured only by their environment,
as ./env.sh runs them."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers.workers import worker_processes

import config
from mailer.delivery.runtime import Runtime

from automation.automation_support import ADELE, MEGAN, ROOT, SALES


@pytest.fixture
def env(emu, tmp_path):
    """The environment of every mailer process of a test: demo mode on this emulator."""
    home = tmp_path / "home"
    home.mkdir()
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "EMULATOR_STATE_DIR": str(emu.state_dir), "APP_STATE_DIR": str(tmp_path / "app"),
            "AUTOMATION_SENDERS": f"{SALES},{ADELE},{MEGAN}", "SEND_LEASE": "3",
            "SEND_CONFIRM_DELAY": "0", "HTTP_TIMEOUT": "10", "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def cfg(env):
    return config.load_config(env)


@pytest.fixture
def runtime(cfg):
    rt = Runtime(cfg)
    yield rt
    rt.http.close()


@pytest.fixture
def admin(emu, https):
    """admin(method, path, json) -> the emulator's admin endpoint's answer."""
    def call(method: str, path: str, json=None):
        response = https.request(method, f"{emu.api_url}/_emulator/{path}", json=json, timeout=10)
        assert response.status_code in (200, 201), response.text
        return response.json() if response.content else {}
    return call


@pytest.fixture
def cli(env):
    """cli(*args, input=None, extra_env=None) -> CompletedProcess of ``python -m mailer``."""
    def run(*args, input: str | None = None, extra_env: dict | None = None, timeout=120):
        return subprocess.run([sys.executable, "-m", "mailer", *args], cwd=ROOT, input=input,
                              env={**env, **(extra_env or {})}, capture_output=True, text=True,
                              timeout=timeout)
    return run


@pytest.fixture
def workers(env, tmp_path):
    """start(extra_env=None, threads=8) -> a worker process (python -m mailer worker);
    all stopped at the end, their logs in tmp_path/worker-N.log."""
    with worker_processes(env, tmp_path, threads=8) as start:
        yield start
