"""Start-up: demo mode against the running emulator, gunicorn's entry point, and a
misconfiguration stopping start-up with one clear line (no traceback)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app import create_app
from app_fixtures import SAM, LiveApp, _finish, _free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def clean_env(**settings) -> dict:
    """A process environment with none of the app's settings but these."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, **{k: str(v) for k, v in settings.items()}}


def test_demo_mode_finds_the_emulator_from_its_state_folder(emu, tmp_path):
    app = create_app({}, environ={"EMULATOR_STATE_DIR": str(emu.state_dir),
                                  "APP_STATE_DIR": str(tmp_path)})
    assert app.config["DEMO_MODE"] is True
    assert (tmp_path / "secret-key").exists()
    live = LiveApp(app)
    emu.state.add_redirect_uri(f"{live.url}/auth/callback")
    live.thread.start()
    try:
        http = live.session()
        landing = http.get(live.url + "/").text
        assert 'id="demo-note"' in landing and ">Demo</span>" in landing
        start = http.get(live.url + "/login", allow_redirects=False)
        params = _finish(start.headers["Location"], SAM)
        http.get(live.url + "/auth/callback", params=params)
        assert 'data-field="displayName">Sam Taylor<' in http.get(live.url + "/profile").text
    finally:
        live.stop()


@pytest.mark.parametrize("command", [
    [str(GUNICORN), "--bind", "127.0.0.1:0", "--workers", "1", "app:create_app()"],
    [sys.executable, "app.py"],
], ids=["gunicorn", "python app.py"])
def test_a_misconfiguration_stops_start_up_with_one_line(command, tmp_path):
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=clean_env(CLIENT_ID="x", APP_STATE_DIR=tmp_path))
    assert result.returncode != 0
    assert ("Configuration error: CLIENT_ID is set but CLIENT_SECRET is not" in result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_gunicorn_serves_the_app_in_demo_mode(emu, tmp_path):
    port = _free_port()
    # `with`: on the way out Popen closes the output pipe and waits for the process.
    with subprocess.Popen(
        [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:create_app()"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=clean_env(EMULATOR_STATE_DIR=emu.state_dir, APP_STATE_DIR=tmp_path, PORT=port),
    ) as process:
        try:
            _serves_the_landing_page(process, port)
            login = requests.get(f"http://127.0.0.1:{port}/login", allow_redirects=False, timeout=5)
            assert login.status_code == 302 and login.headers["Location"].startswith(emu.pages_url)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _serves_the_landing_page(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            response = requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            break
        # A timeout too: the master accepts connections before a worker has loaded the app.
        except (requests.ConnectionError, requests.Timeout):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.1)
    assert response.status_code == 200 and 'id="sign-in"' in response.text
