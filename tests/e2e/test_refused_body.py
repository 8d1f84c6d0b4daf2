"""A request refused before its body is read leaves the keep-alive connection usable: under
gunicorn (as ./env.sh runs it) the next request on the same connection gets its own answer."""
from __future__ import annotations

import http.client
import subprocess
import time

import pytest

from app_fixtures import _free_port
from e2e.test_startup import GUNICORN, ROOT, clean_env

BODY = b"x" * 500 * 1024


@pytest.fixture(scope="module")
def gunicorn_app(emulator, tmp_path_factory):
    port = _free_port()
    # `with`: on the way out Popen closes the output pipe and waits for the process.
    with subprocess.Popen(
        [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
         "app:create_app()"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=clean_env(EMULATOR_STATE_DIR=emulator.state_dir, PORT=port,
                      APP_STATE_DIR=tmp_path_factory.mktemp("app")),
    ) as process:
        try:
            deadline = time.monotonic() + 30
            while True:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    conn.request("GET", "/")
                    conn.getresponse().read()
                    break
                except OSError:
                    assert process.poll() is None, process.stdout.read()
                    assert time.monotonic() < deadline, "gunicorn did not answer"
                    time.sleep(0.1)
                finally:
                    conn.close()
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize("path, headers", [
    ("/compose/" + "a" * 32 + "/files", {"X-File-Name": "big.bin"}),  # no CSRF token
    ("/compose/" + "a" * 32 + "/files/x/delete", {}),
    ("/compose/..%2f/files", {"X-CSRFToken": "nonsense"}),
    ("/nowhere", {}),
], ids=["upload", "remove", "odd-id", "unknown-path"])
def test_the_connection_survives_a_refused_body(gunicorn_app, path, headers):
    for _ in range(10):
        conn = http.client.HTTPConnection("127.0.0.1", gunicorn_app, timeout=10)
        try:
            conn.request("POST", path, body=BODY,
                         headers={"Content-Type": "application/octet-stream", **headers})
            refused = conn.getresponse()
            refused.read()
            assert 300 <= refused.status < 500  # refused or redirected, body unread
            if refused.getheader("Connection", "").lower() == "close":
                continue  # the server said it would close: a client opens a new connection
            conn.request("GET", "/")
            answer = conn.getresponse()
            assert answer.status == 200 and b'id="sign-in"' in answer.read()
        finally:
            conn.close()
