"""The two servers of the emulator, run in threads of one process.

- API (HTTPS): discovery, token, JWKS, Graph and upload sessions, plus ``/_emulator`` admin.
- Pages (plain HTTP, its own port): authorize (sign-in, consent), logout, the mailbox viewer,
  so a browser reaches them with no certificate warning while tokens stay on TLS.

``Emulator`` is used the same way by ``python -m emulator`` and by the tests (port 0 picks free
ports). It writes ``demo-app.json`` to its state folder: what a client needs to reach it. With
``persist=True`` (``python -m emulator serve``) it also keeps its mail, subscriptions and
sign-ins there across restarts (persistence/); the tests' emulators keep nothing.
"""
from __future__ import annotations

import atexit
import json
import io
import logging
import re
import socket
import ssl
import threading
import time
from pathlib import Path

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wsgi import LimitedStream

from . import admin, faults, graph, viewer
from .identity import admin_consent, api as identity_api, device_login_page, instance_discovery, \
    signin_pages
from .graph.mail.store import MailStore
from .graph.subscriptions.admin import notifications_bp
from .persistence.keeper import STORE_DIR, Keeper
from .state import DEMO_APP_FILE, State, Urls, load_or_create_secret
from .tls import ensure_certificates

logger = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"


# What werkzeug's own after-response drain looks at instead of the client (KeepAliveHandler):
# always readable (one byte, never consumed), so its select() returns at once, and the read
# that follows goes to an empty buffer.
_IDLE, _IDLE_PEER = socket.socketpair()
_IDLE_PEER.send(b"\0")
atexit.register(_IDLE_PEER.close)
atexit.register(_IDLE.close)


# A body the app left unread is skipped (read and dropped) so the connection can serve the next
# request. Beyond this much the answer says "Connection: close": the rest is still read (a client
# sending its whole body before reading the answer would otherwise see a reset, not the answer),
# then the connection ends rather than carry on after a long useless read.
DRAIN_LIMIT = 4 * 1024 * 1024

_SECRET_PARAMS = re.compile(r"(?i)([?&](?:authtoken|code|access_token|id_token|client_secret)=)"
                            r"[^&\s]*")


class RedactingHandler(WSGIRequestHandler):
    """Request logs without secrets: upload URLs carry an ``authtoken``, redirects a ``code``."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", None)
        if path:
            self.path = _SECRET_PARAMS.sub(r"\1***", path)
        try:
            super().log_request(code, size)
        finally:
            if path:
                self.path = path


class KeepAliveHandler(RedactingHandler):
    """Werkzeug's handler, but connections stay open between requests, as Microsoft's do.

    Werkzeug's development server closes every connection, and after each response it reads
    whatever the socket still holds, which with keep-alive would swallow the client's next
    request. This handler instead bounds each body to its Content-Length, skips what the app
    left unread itself, and points werkzeug's drain at an empty buffer. Clients
    then pay one TLS handshake per connection, not per request, as against the real service.
    ``werkzeug.socket`` in the environ stays the real connection (fault injection drops it).
    """

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm holds
        # the body back for the client's delayed ACK (about 40 ms) on every kept-alive request.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        # Date on the mail clock: Graph's Date is Graph's own time, and tests move this one
        # (PUT /_emulator/clock), so a client reckoning expiry times from Date sees it move.
        state = getattr(getattr(self.server, "app", None), "extensions", {}).get("emulator_state")
        store = state.extensions.get("mail") if state is not None else None  # never made here
        if timestamp is None and isinstance(store, MailStore):
            timestamp = time.time() + store.clock_offset.total_seconds()
        return super().date_time_string(timestamp)

    def handle_expect_100(self) -> bool:
        # werkzeug answers "100 Continue" itself when the app starts; answering here too sent
        # two of them.
        return True

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" \
                and not self._must_close():
            return
        super().send_header(keyword, value)

    def _must_close(self) -> bool:
        return self.headers.get("Connection", "").lower() == "close" \
            or self.request_version != "HTTP/1.1" or self._unread() > DRAIN_LIMIT

    def _unread(self) -> int:
        """Bytes of the request body the app has not read (0 for chunked bodies: unknown)."""
        stream = getattr(self, "_input", None)
        if not isinstance(stream, LimitedStream):
            return 0
        return max(stream.limit - stream._pos, 0)

    def make_environ(self):
        environ = super().make_environ()
        if not environ.get("wsgi.input_terminated"):  # chunked bodies are already bounded
            length = environ.get("CONTENT_LENGTH") or ""
            environ["wsgi.input"] = LimitedStream(self.rfile, int(length) if length.isdigit()
                                                  else 0)
            environ["wsgi.input_terminated"] = True
        self._input = environ["wsgi.input"]  # holds the real rfile
        self._real = (self.connection, self.rfile)
        self.connection, self.rfile = _IDLE, io.BytesIO()
        return environ

    def run_wsgi(self) -> None:
        self._input, self._real = None, None
        try:
            super().run_wsgi()
        finally:
            if self._real is not None:
                self.connection, self.rfile = self._real
        over_limit = self._unread() > DRAIN_LIMIT  # "Connection: close" was sent (_must_close)
        try:
            while self._input is not None and (over_limit or not self.close_connection) \
                    and self._input.read(64 * 1024):
                pass
        except (OSError, ValueError):
            self.close_connection = True
        if over_limit:
            self.close_connection = True


def _flask(name: str, state: State) -> Flask:
    app = Flask(name, template_folder=str(TEMPLATES))
    app.extensions["emulator_state"] = state
    app.config["MAX_CONTENT_LENGTH"] = None  # Graph's own limits are enforced by the views
    return app


def create_api_app(state: State) -> Flask:
    app = _flask("emulator.api", state)
    faults.install(app)
    app.register_blueprint(identity_api.api_bp)
    app.register_blueprint(instance_discovery.instance_bp)
    app.register_blueprint(graph.graph_bp)
    app.register_blueprint(admin.admin_bp)
    app.register_blueprint(notifications_bp)
    return app


def create_pages_app(state: State) -> Flask:
    app = _flask("emulator.pages", state)
    app.secret_key = state.client_secret + ":pages"
    # Cookies ignore ports: a plain "session" cookie on 127.0.0.1 would clobber the app's own.
    app.config["SESSION_COOKIE_NAME"] = "emulator_pages"
    app.register_blueprint(signin_pages.pages_bp)
    app.register_blueprint(device_login_page.device_bp)
    app.register_blueprint(admin_consent.adminconsent_bp)
    app.register_blueprint(viewer.viewer_bp)
    return app


class Emulator:
    """Both servers, started in background threads; ``stop()`` shuts them down."""

    def __init__(self, state_dir: str | Path, host: str = "127.0.0.1", api_port: int = 5001,
                 pages_port: int = 5002, redirect_uris: list[str] | None = None,
                 access_token_lifetime: int | None = None, max_message_size: int | None = None,
                 persist: bool = False, http_loopback_webhooks: bool = True):
        self.state_dir = Path(state_dir)
        self.host = host
        self.ca_file, cert, key = ensure_certificates(self.state_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        # Bind first (port 0 = any free port), then build the apps with the real URLs.
        self._api_server: BaseWSGIServer = make_server(
            host, api_port, _placeholder, threaded=True, ssl_context=context,
            request_handler=KeepAliveHandler)
        try:
            self._pages_server: BaseWSGIServer = make_server(
                host, pages_port, _placeholder, threaded=True, request_handler=RedactingHandler)
        except BaseException:  # e.g. the port is taken: free the other one
            self._api_server.server_close()
            raise
        self.urls = Urls.for_ports(host, self._api_server.port, self._pages_server.port)
        try:
            self.state = State(
                state_dir=self.state_dir, urls=self.urls,
                client_secret=load_or_create_secret(self.state_dir),
                redirect_uris=list(redirect_uris or []),
                access_token_lifetime=access_token_lifetime, max_message_size=max_message_size,
                http_loopback_webhooks=http_loopback_webhooks,
            )
            self.keeper = Keeper(self.state, self.state_dir / STORE_DIR) if persist else None
            if self.keeper is not None:
                self.keeper.load()
            self._api_server.app = create_api_app(self.state)
            self._pages_server.app = create_pages_app(self.state)
        except BaseException:  # e.g. SystemExit on a bad EMULATOR_FAULTS: free the ports
            self._api_server.server_close()
            self._pages_server.server_close()
            raise
        self._threads: list[threading.Thread] = []

    @property
    def api_url(self) -> str:
        return self.urls.api

    @property
    def pages_url(self) -> str:
        return self.urls.pages

    def client_config(self) -> dict:
        """What a client of the demo app needs: written to demo-app.json for the app's config."""
        return {
            **self.state.demo_app(),
            "authority": f"{self.urls.api}/common",
            "graph_endpoint": f"{self.urls.api}/v1.0",
            "ca_file": str(self.ca_file.resolve()),
            "pages_url": self.urls.pages,
            "api_url": self.urls.api,
        }

    def start(self) -> "Emulator":
        path = self.state_dir / DEMO_APP_FILE
        path.write_text(json.dumps(self.client_config(), indent=2))
        path.chmod(0o600)
        for server in (self._api_server, self._pages_server):
            thread = threading.Thread(target=server.serve_forever, daemon=True,
                                      name=f"emulator-{server.port}")
            thread.start()
            self._threads.append(thread)
        if self.keeper is not None:
            self.keeper.start()
        logger.info("emulator API on %s, sign-in pages on %s", self.urls.api, self.urls.pages)
        return self

    def stop(self) -> None:
        for server in (self._api_server, self._pages_server):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.state.stop()  # background work (notification delivery) ends with the servers
        if self.keeper is not None:
            self.keeper.close()  # the last changes, written before the process ends

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _placeholder(environ, start_response):  # replaced before serving starts
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]
