"""Server-side sessions (Flask-Session 0.8) and, beside each session, its token vault and lock.

The cookie holds only a random session id (HttpOnly, SameSite=Lax, Secure over https); the
sign-in flow and the user's name live in the store: cachelib files in SESSION_DIR, or Redis
when REDIS_URL is set, so every worker and instance sees the same sessions. The encrypted MSAL
cache is a separate record of the same store (``tokens:<session id>``), written the moment it
changes, and refreshed under a lock per session: flock on a lock file (threads and worker
processes of one host) or a Redis lock (every instance).

A store that fails (Redis down) raises SessionStoreUnavailable: a 503 page with words. A cookie
naming no stored session (garbage, expired) simply starts a new, empty session, on a GET only:
a POST, PUT or DELETE without a live session stores nothing and sets no cookie.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import time
from contextlib import contextmanager
from pathlib import Path

import redis
from cachelib import RedisCache
from flask import current_app, request, session
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

from mailer.web.session_files import SessionFiles

logger = logging.getLogger(__name__)

STORE_ERRORS = (redis.exceptions.RedisError, OSError)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# When the session was last written: an unchanged one is written back (its expiry slid forward)
# at most every SESSION_TOUCH_EVERY seconds, not on every request (a file write per request was
# most of a small request's time).
TOUCHED = "_touched"


class SessionStoreUnavailable(Exception):
    """The session store could not be read or written (Redis down, disk full, lock stuck)."""


class _Guarded:
    """Turns store failures into SessionStoreUnavailable; Secure cookie whenever over https;
    never a session started by a request that changes things (see ``save_session``)."""

    def open_session(self, app, request):
        try:
            opened = super().open_session(app, request)
        except STORE_ERRORS as exc:
            logger.error("session store unavailable: %s", type(exc).__name__)
            broken = self.session_class(sid=self._generate_sid(self.sid_length))
            broken.unavailable = True  # the before_request hook answers 503
            return broken
        # Flask-Session gives a new id when the cookie named no stored session.
        opened.stored = request.cookies.get(app.config["SESSION_COOKIE_NAME"]) == opened.sid
        return opened

    def should_set_storage(self, app, session) -> bool:
        now = int(time.time())
        if session.modified or now - session.get(TOUCHED, 0) >= app.config["SESSION_TOUCH_EVERY"]:
            session[TOUCHED] = now  # dict write: no-op for `modified` once we're saving
            return True
        return False

    def save_session(self, app, session, response):
        if getattr(session, "unavailable", False):
            return
        if request.method not in SAFE_METHODS and not getattr(session, "stored", True):
            # A POST without a live session (what SameSite=Lax makes of a cross-site form) starts
            # none and sets or deletes no cookie: its answer would replace the cookie of a
            # person signed in, signing them out. Sessions start on GETs (sign-in's included).
            return
        try:
            super().save_session(app, session, response)
        except STORE_ERRORS as exc:
            session.unavailable = True  # so the error page's own save is skipped
            logger.error("session store unavailable on save: %s", type(exc).__name__)
            raise SessionStoreUnavailable() from exc

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


class FileSessionInterface(_Guarded, CacheLibSessionInterface):
    pass


class RedisSessions(_Guarded, RedisSessionInterface):
    pass


class FileLocks:
    """Exclusive flock on one of ``stripes`` lock files (a bounded set, never cleaned up)."""

    def __init__(self, folder: str | Path, timeout: float, stripes: int = 64):
        self.folder, self.timeout, self.stripes = Path(folder), timeout, stripes
        self.folder.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def hold(self, name: str):
        stripe = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % self.stripes
        # Each hold opens its own file description, so flock excludes other threads too.
        with open(self.folder / f"{stripe:02d}.lock", "a") as handle:
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SessionStoreUnavailable("token lock timed out") from None
                    time.sleep(0.01)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class RedisLocks:
    """A Redis lock per session: refreshes are serialised across every instance."""

    def __init__(self, client: redis.Redis, timeout: float):
        self.client, self.timeout = client, timeout

    @contextmanager
    def hold(self, name: str):
        lock = self.client.lock(f"lock:tokens:{name}", timeout=self.timeout,
                                blocking_timeout=self.timeout)
        if not lock.acquire():
            raise SessionStoreUnavailable("token lock timed out")
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:  # expired meanwhile: nothing left to release
                pass


class StoreVault:
    """One session's encrypted token cache, as a record of the session store."""

    def __init__(self, cache, locks, sid: str, ttl: int):
        self.cache, self.locks, self.key, self.sid, self.ttl = cache, locks, f"tokens:{sid}", sid, ttl

    def load(self) -> str | None:
        return self.cache.get(self.key)

    def save(self, blob: str) -> None:
        if not self.cache.set(self.key, blob, timeout=self.ttl):
            raise SessionStoreUnavailable("token cache not saved")

    def delete(self) -> None:
        self.cache.delete(self.key)

    def lock(self):
        return self.locks.hold(self.sid)


def init_app(app, client: redis.Redis | None) -> None:
    """Install the session interface: in Redis through ``client`` (the app's one Redis client,
    see sending/store.py) or, without one, in files under SESSION_DIR. The vault store and the
    locks go to app.extensions."""
    cfg = app.config
    cfg.update(SESSION_COOKIE_NAME="mailer_session", SESSION_COOKIE_HTTPONLY=True,
               SESSION_COOKIE_SAMESITE="Lax")
    if client is not None:
        app.session_interface = RedisSessions(app, client=client, key_prefix="session:")
        store = {"cache": RedisCache(host=client, key_prefix="mailer:", default_timeout=0),
                 "locks": RedisLocks(client, cfg["TOKEN_LOCK_TIMEOUT"])}
    else:
        Path(cfg["SESSION_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        cache = SessionFiles(cfg["SESSION_DIR"], max_age=int(cfg["SESSION_LIFETIME"]),
                             limit=20000, sweep_every=60)
        app.session_interface = FileSessionInterface(app, client=cache, key_prefix="session:")
        store = {"cache": cache,
                 "locks": FileLocks(Path(cfg["SESSION_DIR"]) / "locks", cfg["TOKEN_LOCK_TIMEOUT"])}
    app.extensions["mailer.sessions"] = store
    app.before_request(_refuse_when_store_is_down)


def _refuse_when_store_is_down():
    if getattr(session, "unavailable", False) and request.endpoint not in ("static",
                                                                          "bootstrap.static"):
        raise SessionStoreUnavailable()


def vault(sid: str | None = None) -> StoreVault:
    """The token vault of the current session (or of session id ``sid``)."""
    store = current_app.extensions["mailer.sessions"]
    ttl = int(current_app.permanent_session_lifetime.total_seconds())
    return StoreVault(store["cache"], store["locks"], sid or session.sid, ttl)


def rotate() -> StoreVault:
    """A new session id at sign-in (no session fixation); the old id's tokens are deleted."""
    vault(session.sid).delete()
    session["rotated_at"] = int(time.time())  # regenerate() skips an empty session
    current_app.session_interface.regenerate(session)
    return vault(session.sid)
