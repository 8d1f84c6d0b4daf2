"""Fixtures of the API tests: the live app (real HTTP, in this process) configured for
automation, API keys, and automation workers as real processes (``python -m mailer worker``)
sharing the app's state folder, as ./env.sh runs them."""
from __future__ import annotations

import os

import pytest
from helpers.workers import worker_processes

import config
from mailer.delivery.runtime import Runtime
from mailer.web.api import services

from api.api_support import ADELE, MEGAN, SALES

SENDERS = f"{SALES},{ADELE},{MEGAN}"


@pytest.fixture
def api_env(emu, tmp_path):
    """The environment of a worker (or gunicorn) of a test: demo mode on this emulator."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "EMULATOR_STATE_DIR": str(emu.state_dir), "APP_STATE_DIR": str(tmp_path / "app"),
            "AUTOMATION_SENDERS": SENDERS, "SEND_LEASE": "3", "SEND_CONFIRM_DELAY": "0",
            "HTTP_TIMEOUT": "30", "MAX_MESSAGE_SIZE": "150MB", "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def app_config(app_config, api_env):
    """The live app's settings, sharing the workers' state folder and senders."""
    return {**app_config, **{k: api_env[k] for k in (
        "APP_STATE_DIR", "AUTOMATION_SENDERS", "SEND_LEASE", "MAX_MESSAGE_SIZE")}}


@pytest.fixture
def runtime(api_env):
    """Automation's runtime on the same store, for looking at mailboxes and records."""
    rt = Runtime(config.load_config(api_env))
    yield rt
    rt.http.close()


@pytest.fixture
def make_key(live_app):
    """make_key(senders) -> a live API key (made as the admin page makes it)."""
    def make(senders=(SALES,), name="test"):
        with live_app.app.app_context():
            return services.api_keys().create(name, list(senders), "tests")[0]
    return make


@pytest.fixture
def http(live_app):
    session = live_app.session()
    yield session
    session.close()


@pytest.fixture
def workers(api_env, tmp_path):
    """start(extra_env=None, threads=4) -> a worker process (python -m mailer worker);
    all stopped at the end, their logs in tmp_path/worker-N.log."""
    with worker_processes(api_env, tmp_path, threads=4) as start:
        yield start
