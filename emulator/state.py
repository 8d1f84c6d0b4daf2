"""All the emulator's mutable state in one object, shared by its HTTPS and HTTP servers.

Identity keeps its codes, refresh tokens, consents and sign-in sessions here; Graph keeps the
mailboxes and upload sessions; faults keep the injected failures. ``reset()`` restores the demo
directory and empties everything, for tests. One lock guards it all: the emulator serves a few
requests at a time and correctness matters more than contention here.
"""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from .directory import DEMO_CLIENT_ID, Directory, demo_directory
from .identity.tokens import SigningKey, TokenService

DEMO_APP_FILE = "demo-app.json"


@dataclass
class Urls:
    api: str  # https origin of discovery, token, keys and Graph, e.g. https://127.0.0.1:5001
    pages: str  # http origin of the sign-in pages and the mailbox viewer
    upload: str  # https origin of upload sessions: the same server under its other host name

    @classmethod
    def for_ports(cls, host: str, api_port: int, pages_port: int) -> "Urls":
        other = "localhost" if host in ("127.0.0.1", "::1") else "127.0.0.1"
        return cls(api=f"https://{host}:{api_port}", pages=f"http://{host}:{pages_port}",
                   upload=f"https://{other}:{api_port}")


@dataclass
class State:
    state_dir: Path
    urls: Urls
    client_secret: str
    redirect_uris: list[str]
    access_token_lifetime: int | None = None
    max_message_size: int | None = None  # every mailbox's limit; None: Exchange's 35 MB default
    # Start-up overrides of the sending and throttling limits (graph/sending_limits.py); the run-time
    # settings and every counter go back to these on reset().
    send_limits: dict | None = None
    # Change notifications may go to http://127.0.0.1-style URLs (the demo's and the tests'
    # receivers); off, only https is accepted, as Graph does (graph/subscriptions).
    http_loopback_webhooks: bool = True
    lock: threading.RLock = field(default_factory=threading.RLock)
    # How an extension is built when it is first used, when it needs more than its class
    # (e.g. the mail store's spool folder when mail is kept across restarts: persistence/).
    factories: dict = field(default_factory=dict)

    def __post_init__(self):
        self.signing_key = SigningKey.load_or_create(self.state_dir)
        self.tokens = TokenService(self.signing_key, self.urls.api, self.access_token_lifetime)
        self.reset()

    def reset(self) -> None:
        """Back to the demo directory with no codes, tokens, consents, mail or faults."""
        with self.lock:
            for extension in getattr(self, "extensions", {}).values():
                close = getattr(extension, "close", None)
                if callable(close):  # e.g. the mail store's spool folder
                    close()
            self.directory: Directory = demo_directory(self.client_secret, self.redirect_uris)
            if self.max_message_size is not None:
                for user in self.directory.users.values():
                    user.max_message_size = self.max_message_size
            self.tokens.access_token_lifetime = self.access_token_lifetime
            self.codes: dict[str, dict] = {}  # authorization codes
            self.refresh_tokens: dict[str, dict] = {}
            self.consents: dict[tuple[str, str], set[str]] = {}  # (user id, client id) -> scopes
            self.signin_sessions: dict[str, dict] = {}  # the sign-in pages' own cookie sessions
            self.extensions: dict[str, object] = {}  # per-feature state (mailboxes, faults, ...)

    def stop(self) -> None:
        """Stop the extensions' background work (``stop()``, if they have one), keeping state."""
        for extension in list(self.extensions.values()):
            stop = getattr(extension, "stop", None)
            if callable(stop):
                stop()

    def extension(self, name: str, factory):
        """Per-feature state created on first use and dropped by reset() (which first calls its
        ``close()``, if it has one)."""
        with self.lock:
            if name not in self.extensions:
                self.extensions[name] = self.factories.get(name, factory)()
            return self.extensions[name]

    def add_redirect_uri(self, uri: str) -> None:
        """Register one more redirect URI on the demo app (kept across reset())."""
        with self.lock:
            if uri not in self.redirect_uris:
                self.redirect_uris.append(uri)
            app = self.directory.apps[DEMO_CLIENT_ID]
            if uri not in app.redirect_uris:
                app.redirect_uris.append(uri)

    def demo_app(self) -> dict:
        return {"client_id": DEMO_CLIENT_ID, "client_secret": self.client_secret,
                "redirect_uris": list(self.redirect_uris)}


def load_or_create_secret(state_dir: Path) -> str:
    """The demo app's client secret: random on first start, then kept in the state folder."""
    path = state_dir / "demo-client-secret"
    if path.exists():
        return path.read_text().strip()
    state_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(30)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def get_state() -> State:
    """The State of the emulator serving the current request."""
    return current_app.extensions["emulator_state"]
