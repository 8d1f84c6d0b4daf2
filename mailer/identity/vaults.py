"""Where a person's encrypted MSAL cache is kept, beside their session, and its lock.

The vault of session ``sid`` is the record ``tokens:<sid>`` of the session store (cachelib:
Redis, or files in SESSION_DIR), written the moment MSAL changes it and refreshed under a lock
per session: a Redis lock (every instance and worker) or flock on a lock file (the processes of
one host). The web app opens the vault of the request's session; a worker sending for a person
opens the vault of that person's latest sign-in, found by ``delegation:<account id>`` (written
at each sign-in), so a send outlives the tab that started it and survives a new sign-in. Both
refresh under the same lock, so a refresh token is never redeemed twice at once.

Sends that outlive the session (one scheduled for after the session would have ended unused,
or a send still on its way when the person signs out) are served by the person's sends vault,
``tokens:sends-<account id>``: a copy of the session's cache taken then, kept until the last
such send's time (plus a day) and never shortened, read only by workers. A worker looks at the
person's latest sign-in first, then the session that pressed Send, then the sends vault.

A store that fails (Redis down, a lock stuck) raises SessionStoreUnavailable.
"""
from __future__ import annotations

import fcntl
import hashlib
import time
from contextlib import contextmanager
from pathlib import Path

import redis
from cachelib import RedisCache

from mailer.identity.session_files import SessionFiles


SENDS = "sends-"  # the sid part of a person's sends vault's key (session ids never start so)


class SessionStoreUnavailable(Exception):
    """The session store could not be read or written (Redis down, disk full, lock stuck)."""


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


class Vaults:
    """The session store's vaults, for the web (by session) and for workers (by person)."""

    def __init__(self, cache, locks, ttl: int):
        self.cache, self.locks, self.ttl = cache, locks, ttl

    def of_session(self, sid: str) -> StoreVault:
        return StoreVault(self.cache, self.locks, sid, self.ttl)

    def delegate(self, account_id: str, sid: str) -> None:
        """At sign-in: this session's vault now acts for the person's sends."""
        self.cache.set(f"delegation:{account_id}", sid, timeout=self.ttl)

    def undelegate(self, account_id: str, sid: str) -> None:
        """At sign-out of that session: no worker acts through its (deleted) vault."""
        if self.cache.get(f"delegation:{account_id}") == sid:
            self.cache.delete(f"delegation:{account_id}")

    def keep_for_sends(self, account_id: str, sid: str, until: float) -> None:
        """Sends of the person are still to go until ``until``: the session's tokens are
        copied to the person's sends vault, which lives until then (a later ``until`` than one
        kept already extends it; an earlier one never shortens it)."""
        blob = self.of_session(sid).load()
        if not blob:
            return
        until = max(until, float(self.cache.get(f"sends-until:{account_id}") or 0))
        seconds = int(until - time.time()) + 1
        if seconds > 0:
            self.cache.set(f"sends-until:{account_id}", until, timeout=seconds)
            self.cache.set(f"tokens:{SENDS}{account_id}", blob, timeout=seconds)

    def forget_sends(self, account_id: str) -> None:
        """No send of the person is left to go: their sends vault goes."""
        self.cache.delete(f"tokens:{SENDS}{account_id}")
        self.cache.delete(f"sends-until:{account_id}")

    def of_person(self, account_id: str, fallback_sid: str | None = None) -> StoreVault | None:
        """The first vault holding tokens of: the person's latest sign-in, ``fallback_sid``
        (the session that pressed Send), the person's sends vault; None if none does."""
        latest = self.cache.get(f"delegation:{account_id}")
        for sid in dict.fromkeys(s for s in (latest, fallback_sid) if s):
            vault = self.of_session(sid)
            if vault.load():
                return vault
        until = float(self.cache.get(f"sends-until:{account_id}") or 0)
        vault = StoreVault(self.cache, self.locks, f"{SENDS}{account_id}",
                           max(1, int(until - time.time()) + 1))
        return vault if until > time.time() and vault.load() else None


def vaults(cfg: dict, client: redis.Redis | None) -> Vaults:
    """The session store's cache and locks as config.py describes them: Redis through the
    process's one client, or files under SESSION_DIR (the same files Flask-Session writes)."""
    ttl = int(cfg["SESSION_LIFETIME"])
    if client is not None:
        return Vaults(RedisCache(host=client, key_prefix="mailer:", default_timeout=0),
                      RedisLocks(client, cfg["TOKEN_LOCK_TIMEOUT"]), ttl)
    Path(cfg["SESSION_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    cache = SessionFiles(cfg["SESSION_DIR"], max_age=ttl, limit=20000, sweep_every=60)
    return Vaults(cache, FileLocks(Path(cfg["SESSION_DIR"]) / "locks", cfg["TOKEN_LOCK_TIMEOUT"]),
                  ttl)
