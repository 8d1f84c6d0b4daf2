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

import logging
import time

import redis
from flask import current_app, request, session
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

from mailer.identity.vaults import SessionStoreUnavailable, StoreVault, vaults

logger = logging.getLogger(__name__)

STORE_ERRORS = (redis.exceptions.RedisError, OSError)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# When the session was last written: an unchanged one is written back (its expiry slid forward)
# at most every SESSION_TOUCH_EVERY seconds, not on every request (a file write per request was
# most of a small request's time).
TOUCHED = "_touched"


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


def init_app(app, client: redis.Redis | None) -> None:
    """Install the session interface: in Redis through ``client`` (the app's one Redis client,
    see sending/store.py) or, without one, in files under SESSION_DIR. The vault store and the
    locks go to app.extensions."""
    cfg = app.config
    cfg.update(SESSION_COOKIE_NAME="mailer_session", SESSION_COOKIE_HTTPONLY=True,
               SESSION_COOKIE_SAMESITE="Lax")
    store = vaults(cfg, client)  # the tokens' records live beside the sessions, in one store
    if client is not None:
        app.session_interface = RedisSessions(app, client=client, key_prefix="session:")
    else:
        app.session_interface = FileSessionInterface(app, client=store.cache,
                                                     key_prefix="session:")
    app.extensions["mailer.sessions"] = store
    app.before_request(_refuse_when_store_is_down)


def _refuse_when_store_is_down():
    if getattr(session, "unavailable", False) and request.endpoint not in ("static",
                                                                          "bootstrap.static"):
        raise SessionStoreUnavailable()


def vault(sid: str | None = None) -> StoreVault:
    """The token vault of the current session (or of session id ``sid``)."""
    return current_app.extensions["mailer.sessions"].of_session(sid or session.sid)


def keep_for_sends(account_id: str, until: float) -> None:
    """This session's tokens serve the person's sends until ``until`` (identity/vaults.py),
    whether the session ends before or not."""
    current_app.extensions["mailer.sessions"].keep_for_sends(account_id, session.sid, until)


def rotate() -> StoreVault:
    """A new session id at sign-in (no session fixation); the old id's tokens are deleted."""
    vault(session.sid).delete()
    session["rotated_at"] = int(time.time())  # regenerate() skips an empty session
    current_app.session_interface.regenerate(session)
    return vault(session.sid)
