"""The webhooks' parts that need no peer: their settings, where a webhook may point (and the
address a connection really reached), Standard Webhooks signatures against the spec's own
example, the waits between tries, and the notification receiver's handshake answer."""
from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook

from config import ConfigError, load_config
from mailer.automation.webhooks import attempts, receiver, signing, targets
from unit.test_config import demo_dir, ms  # noqa: F401  (demo_dir is a fixture)


def test_webhook_settings(demo_dir, tmp_path):  # noqa: F811
    cfg = load_config(ms())
    assert cfg["WEBHOOK_LOCAL"] is False and cfg["NOTIFICATION_URL"] is None
    assert (cfg["WATCH_EVERY"], cfg["WEBHOOK_RETRY_FOR"]) == (300, 86400)
    demo = load_config({"EMULATOR_STATE_DIR": str(demo_dir), "APP_STATE_DIR": str(tmp_path)})
    assert demo["WEBHOOK_LOCAL"] is True
    assert load_config(ms(WEBHOOK_LOCAL="on"))["WEBHOOK_LOCAL"] is True
    with pytest.raises(ConfigError, match="NOTIFICATION_URL must use https"):
        load_config(ms(NOTIFICATION_URL="http://mail.example.org/graph/notifications"))
    with pytest.raises(ConfigError, match="WATCH_EVERY must be between"):
        load_config(ms(WATCH_EVERY="0.1"))


@pytest.mark.parametrize("address, local, refused", [
    ("169.254.169.254", True, "metadata"), ("168.63.129.16", False, "metadata"),
    ("fd00:ec2::254", False, "metadata"), ("127.0.0.1", False, "loopback"),
    ("::1", False, "loopback"), ("::ffff:127.0.0.1", False, "loopback"),
    ("169.254.1.1", False, "link-local"), ("fe80::1", True, "link-local"),
    ("224.0.0.1", False, "multicast"), ("0.0.0.0", True, "link-local, multicast"),
    ("127.0.0.1", True, None), ("10.1.2.3", False, None), ("93.184.216.34", False, None)])
def test_addresses_a_webhook_may_not_reach(address, local, refused):
    problem = targets.address_problem(address, local)
    assert (problem is None) if refused is None else (refused in problem)


def test_urls_are_checked_before_they_are_kept():
    assert targets.check_url("https://127.0.0.1/h", True, set())
    for url, local, words in [("http://127.0.0.1/h", False, "https://"),
                              ("https://127.0.0.1/h", False, "loopback"),
                              ("https://127.0.0.1:8443/h", True, "this app itself"),
                              ("https://x.invalid/", True, "does not resolve"),
                              ("https://u:p@127.0.0.1/", True, "user name"),
                              ("https://127.0.0.1/#f", True, "fragment"),
                              ("https://[::1/", True, "not a valid URL"),
                              ("https://a/" + "x" * 2000, True, "2000 characters")]:
        with pytest.raises(targets.RefusedTarget, match=words):
            targets.check_url(url, local, {("127.0.0.1", 8443)})


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self):
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_every_connection_is_checked_where_it_landed():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://localhost:{server.server_port}/"  # a name: only the connection tells
    try:
        assert targets.session(True, set()).post(url, timeout=5).status_code == 204
        with pytest.raises(targets.RefusedTarget, match="loopback"):
            targets.session(False, set()).post(url, timeout=5)
        with pytest.raises(targets.RefusedTarget, match="this app itself"):
            targets.session(True, {("127.0.0.1", server.server_port)}).post(url, timeout=5)
        answer = attempts.post(targets.session(False, set()), url, b"{}", {}, 5)
        assert answer["status"] is None and answer["error"].startswith("refused:")
    finally:
        server.shutdown()
        server.server_close()


def test_signatures_follow_standard_webhooks():
    # The example of the Standard Webhooks specification, signed by this module's headers().
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    moment = dt.datetime.fromtimestamp(1614265330, dt.timezone.utc)
    headers = signing.headers(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", b'{"test": 2432232314}',
                              moment)
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"
    fresh, now = signing.new_secret(), dt.datetime.now(dt.timezone.utc)
    body = signing.body("message.received", {"mailbox": "a@b"}, now)
    assert Webhook(fresh).verify(body, signing.headers(fresh, "msg_1", body, now))["data"] == \
        {"mailbox": "a@b"}
    assert fresh.startswith("whsec_") and fresh != signing.new_secret()


def test_the_wait_between_tries_doubles_up_to_its_cap():
    cfg = {"WEBHOOK_BACKOFF": 5, "WEBHOOK_BACKOFF_MAX": 3600}
    assert [attempts.wait_before(cfg, n) for n in (1, 2, 3, 10, 30)] == [5, 10, 20, 2560, 3600]


@pytest.mark.parametrize("token, answer", [
    ("Validation: Testing client application reachability", "Validation: Testing client "
     "application reachability"), ("", None), ("x" * 1025, None), ("a\nb", None)])
def test_the_validation_answer(token, answer):
    assert receiver.validation_answer(token) == answer
