"""A real HTTP endpoint on loopback for change notifications: it answers Graph's validation
handshake and records every notification, answering as a test scripts it.

    with Receiver() as hook:
        hook.answers = [500, 500]          # the next notification POSTs get these, then 202
        hook.hang = [1.5]                   # ... or wait this long before answering
        hook.fail_until = time.monotonic() + 60   # 500 to every POST until then
        hook.validation = "echo" | 500 | "wrong" | "json" | ("slow", 2.0)
        hook.wait_for(lambda items: len(items) >= 1)
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet test output
        pass

    def do_POST(self) -> None:
        hook: Receiver = self.server.hook
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = parse_qs(urlsplit(self.path).query)
        if "validationToken" in query:
            hook.validations.append({"token": query["validationToken"][0],
                                     "content_type": self.headers.get("Content-Type"),
                                     "path": self.path})
            self._validate(hook, query["validationToken"][0])
            return
        with hook.lock:
            status = hook.answers.pop(0) if hook.answers else 202
            if time.monotonic() < hook.fail_until:
                status = 500
            hang = hook.hang.pop(0) if hook.hang else 0
            hook.posts.append({"at": time.monotonic(), "status": status,
                               "body": json.loads(body or b"null"), "raw": body,
                               "headers": dict(self.headers.items()),
                               "content_type": self.headers.get("Content-Type")})
        if hang:
            time.sleep(hang)
        self._answer(status, b"", "text/plain")

    def _validate(self, hook, token: str) -> None:
        how = hook.validation
        if isinstance(how, tuple) and how[0] == "slow":
            time.sleep(how[1])
            how = "echo"
        if how == "echo":
            self._answer(200, token.encode(), "text/plain; charset=utf-8")
        elif how == "wrong":
            self._answer(200, b"not the token", "text/plain")
        elif how == "json":
            self._answer(200, json.dumps(token).encode(), "application/json")
        else:
            self._answer(int(how), b"no", "text/plain")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the caller gave up waiting (a timeout test)
            pass


class Receiver:
    def __init__(self, path: str = "/hook") -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.hook = self
        self.path = path
        self.lock = threading.Lock()
        self.answers: list[int] = []
        self.hang: list[float] = []
        self.fail_until = 0.0
        self.validation = "echo"
        self.validations: list[dict] = []
        self.posts: list[dict] = []
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.path}"

    def notifications(self) -> list[dict]:
        """Every item of every notification collection received, in order."""
        with self.lock:
            return [item for post in self.posts for item in (post["body"] or {}).get("value", [])]

    def wait_for(self, done, timeout: float = 15.0) -> list[dict]:
        """Poll until ``done(notifications)`` holds; the notifications then."""
        deadline = time.monotonic() + timeout
        while True:
            items = self.notifications()
            if done(items):
                return items
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver still waiting; has {items}")
            time.sleep(0.02)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "Receiver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
