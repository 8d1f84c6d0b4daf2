"""What gunicorn itself decides, with the app under gunicorn as ./env.sh starts it
(``--config gunicorn.conf.py``): whose X-Forwarded-Proto is believed, and who answers a request
line too long or a method a path does not take (the API's JSON under /api/)."""
from __future__ import annotations

import http.client
import subprocess
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest

from app_fixtures import _free_port
from e2e.test_startup import GUNICORN, ROOT, clean_env


@contextmanager
def gunicorn(emulator, app_dir, **settings):
    """The app under gunicorn with env.sh's config file, one worker; yields its port."""
    port = _free_port()
    with subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "app:create_app()"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=clean_env(EMULATOR_STATE_DIR=emulator.state_dir, PORT=port, APP_STATE_DIR=app_dir,
                      **settings),
    ) as process:
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    request(port, "GET", "/")
                    break
                except OSError:
                    assert process.poll() is None, process.stdout.read()
                    assert time.monotonic() < deadline, "gunicorn did not answer"
                    time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def request(port: int, method: str, path: str, headers: dict | None = None):
    """(status, headers as a dict of lists, body) of one request on a connection of its own."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        answer = conn.getresponse()
        found: dict[str, list[str]] = {}
        for name, value in answer.getheaders():
            found.setdefault(name.lower(), []).append(value)
        return answer.status, found, answer.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served(emulator, tmp_path_factory):
    with gunicorn(emulator, tmp_path_factory.mktemp("app")) as port:
        yield port


def _redirect_uri(headers) -> str:
    location = headers["location"][0]
    return parse_qs(urlsplit(location).query)["redirect_uri"][0]


def test_x_forwarded_proto_from_loopback_changes_nothing_by_default(served):
    status, headers, _ = request(served, "GET", "/login", {"X-Forwarded-Proto": "https"})
    assert status == 302
    assert _redirect_uri(headers) == f"http://127.0.0.1:{served}/auth/callback"
    cookie = headers["set-cookie"][0]
    assert cookie.startswith("mailer_session=") and "secure" not in cookie.lower()
    assert "strict-transport-security" not in headers


def test_forwarded_allow_ips_names_the_proxy_whose_header_is_believed(emulator, tmp_path):
    with gunicorn(emulator, tmp_path, FORWARDED_ALLOW_IPS="127.0.0.1") as port:
        status, headers, _ = request(port, "GET", "/login", {"X-Forwarded-Proto": "https"})
    assert status == 302
    assert _redirect_uri(headers) == f"https://127.0.0.1:{port}/auth/callback"
    assert "secure" in headers["set-cookie"][0].lower()


@pytest.mark.parametrize("method, path, allow", [
    ("TRACE", "/api/v1/messages", "OPTIONS, POST"),
    ("PUT", "/api/v1/messages", "OPTIONS, POST"),
    ("GET", "/api/v1/messages", "OPTIONS, POST"),
    ("PUT", f"/api/v1/jobs/j{'0' * 24}", "GET, HEAD, OPTIONS"),
    ("DELETE", f"/api/v1/jobs/j{'0' * 24}/cancel", "OPTIONS, POST"),
    ("TRACE", "/api/v1/mailboxes/sales@contoso.example/messages", "GET, HEAD, OPTIONS"),
    ("PATCH", "/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
])
def test_a_method_a_path_does_not_take_is_405_in_json_with_allow(served, method, path, allow):
    status, headers, body = request(served, method, path)
    assert status == 405, body[:300]
    assert headers["content-type"][0].startswith("application/json")
    assert headers["allow"] == [allow]
    assert '"code":"method_not_allowed"' in body.replace(" ", "") and method in body


def test_a_path_the_api_lacks_is_404_in_json_whatever_the_method(served):
    for method in ("GET", "PUT", "TRACE"):
        status, headers, body = request(served, method, "/api/v1/nowhere")
        assert status == 404 and headers["content-type"][0].startswith("application/json")
        assert "/api/v1/nowhere" in body


def test_a_request_line_over_the_limit_is_414_in_json_under_the_api(served):
    query = "folder=" + "a" * 5000  # over 4,094 (the app's), under 8,190 (gunicorn's)
    status, headers, body = request(
        served, "GET", f"/api/v1/mailboxes/sales@contoso.example/messages?{query}")
    assert status == 414, body[:300]
    assert headers["content-type"][0].startswith("application/json")
    assert '"code":"uri_too_long"' in body.replace(" ", "") and "4,094" in body
    status, headers, body = request(served, "GET", f"/?{query}")
    assert status == 414 and headers["content-type"][0].startswith("text/html")
    assert "Address too long" in body and "4,094 bytes" in body
