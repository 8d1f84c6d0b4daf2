"""Where send jobs keep their state: a tiny key-value interface any worker process can read.

Two implementations, chosen where the app is wired (web/compose/services.py): files in a folder
(one host, several gunicorn workers) and Redis (several hosts). Both offer an atomic ``claim``
(create only if absent), which is what makes a send happen at most once per draft id, and a
lease: an owner token under a key for a few seconds, taken only when absent or expired, renewed
only by its holder, and writes guarded by it (``put_held``), so two instances never both act on
one send (a Lua script in Redis; an ``flock`` around the leases' files). Drafts use the same
stores (their own instance, TTL and prefix): ``update`` is an atomic read-modify-write (WATCH and
MULTI in Redis, the same ``flock`` in files) and bytes sit under their own keys.
``redis_client(url)`` makes the app's one Redis client, shared by the sessions and this store.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Callable, Protocol


logger = logging.getLogger(__name__)


class KeyValueStore(Protocol):
    def get(self, key: str) -> dict | None: ...

    def get_many(self, keys: list[str]) -> list[dict | None]:
        """Each key's value (None where absent), in one round trip where the store has one."""

    def put(self, key: str, value: dict) -> None: ...

    def claim(self, key: str, value: dict) -> bool:
        """Store ``value`` only if ``key`` is absent; True when this caller won."""

    def delete(self, key: str) -> None: ...

    def take_lease(self, key: str, token: str, seconds: float) -> bool:
        """Hold ``key`` with ``token`` for ``seconds`` if nobody holds it; True when taken."""

    def renew_lease(self, key: str, token: str, seconds: float) -> bool:
        """Extend the lease only if ``token`` still holds it; False once lost."""

    def lease_holder(self, key: str) -> str | None: ...

    def begin(self, claim: str, claimed: dict, lease: str, token: str, seconds: float,
              key: str, value: dict) -> str:
        """A send's start in one step: ``claim`` created if absent, then ``lease`` taken, then
        ``value`` put at ``key``. "ok", or "claimed" (nothing done) or "leased" (the claim
        undone: a takeover of the last send still holds the lease)."""

    def put_held(self, key: str, value: dict, lease: str, token: str) -> bool:
        """``put`` only while ``token`` holds ``lease``; False (nothing written) otherwise."""

    def drop_lease(self, key: str, token: str) -> None:
        """Give the lease up, if ``token`` still holds it."""

    def update(self, key: str, change: Callable[[dict | None], dict | None],
               seen: object = ...) -> dict | None:
        """Replace the value with ``change(value)`` atomically (None deletes); the new value.
        ``change`` may run more than once (Redis retries it after a concurrent write).
        ``seen``: the value as the caller just read it (None: absent; ``...``: not read),
        tried first without reading it again; a write in between is noticed as any other."""

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes | None: ...

    def delete_bytes(self, key: str) -> None: ...

    def touch(self, keys: list[str], seconds: float | None = None) -> None:
        """Restart the expiry of these keys (values or bytes), as a write would; with
        ``seconds``, they live that long from now instead of the store's TTL."""

    def sweep(self) -> int:
        """Remove what has expired, where the store does not do it itself; how many went."""


class FileStore:
    """One JSON file per key; writes are atomic renames, claims are atomic hard links."""

    def __init__(self, root: str | Path, ttl: float):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.ttl = ttl

    def _path(self, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
        return self.root / f"{safe}.json"

    def _tmp(self, value: dict) -> Path:
        tmp = self.root / f".tmp-{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(value), "utf-8")
        return tmp

    def get(self, key: str) -> dict | None:
        path = self._path(key)
        try:
            if time.time() - path.stat().st_mtime > self.ttl:
                return None
            return json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def get_many(self, keys: list[str]) -> list[dict | None]:
        return [self.get(key) for key in keys]

    def put(self, key: str, value: dict) -> None:
        os.replace(self._tmp(value), self._path(key))

    def claim(self, key: str, value: dict) -> bool:
        tmp = self._tmp(value)
        path = self._path(key)
        try:
            if path.exists() and time.time() - path.stat().st_mtime > self.ttl:
                path.unlink(missing_ok=True)  # expired: as if absent
            os.link(tmp, path)  # fails if the key exists: the atomic create-if-absent
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    # -- leases: a read-compare-write under one lock file (processes of one host) ---------------
    @contextlib.contextmanager
    def _locked(self):
        with open(self.root / ".leases.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
            yield

    def locked(self):
        """This store's one lock, for a step of several reads and writes (lanes.py): inside it
        use get, put and delete only (the lease calls take the lock themselves)."""
        return self._locked()

    def _holder(self, key: str) -> str | None:
        lease = self.get(key)
        return lease["token"] if lease and lease.get("until", 0) > time.time() else None

    def take_lease(self, key: str, token: str, seconds: float) -> bool:
        with self._locked():
            if self._holder(key) is not None:
                return False
            self.put(key, {"token": token, "until": time.time() + seconds})
            return True

    def renew_lease(self, key: str, token: str, seconds: float) -> bool:
        with self._locked():
            if self._holder(key) != token:
                return False
            self.put(key, {"token": token, "until": time.time() + seconds})
            return True

    def lease_holder(self, key: str) -> str | None:
        return self._holder(key)

    def begin(self, claim: str, claimed: dict, lease: str, token: str, seconds: float,
              key: str, value: dict) -> str:
        if not self.claim(claim, claimed):
            return "claimed"
        if not self.take_lease(lease, token, seconds):
            self.delete(claim)
            return "leased"
        self.put(key, value)
        return "ok"

    def put_held(self, key: str, value: dict, lease: str, token: str) -> bool:
        with self._locked():
            if self._holder(lease) != token:
                return False
            self.put(key, value)
            return True

    def drop_lease(self, key: str, token: str) -> None:
        with self._locked():
            if self._holder(key) == token:
                self.delete(key)

    # -- values changed in place, bytes beside them (drafts) ----------------------------------
    def update(self, key: str, change: Callable[[dict | None], dict | None],
               seen: object = ...) -> dict | None:
        with self._locked():  # one lock, and the file read again whatever was ``seen``
            value = change(self.get(key))
            if value is None:
                self.delete(key)
            else:
                self.put(key, value)
            return value

    def _bytes_path(self, key: str) -> Path:
        return self._path(key).with_suffix(".bin")

    def put_bytes(self, key: str, data: bytes) -> None:
        tmp = self.root / f".tmp-{uuid.uuid4().hex}"
        tmp.write_bytes(data)
        os.replace(tmp, self._bytes_path(key))

    def get_bytes(self, key: str) -> bytes | None:
        path = self._bytes_path(key)
        try:
            if time.time() - path.stat().st_mtime > self.ttl:
                return None
            return path.read_bytes()
        except OSError:
            return None

    def delete_bytes(self, key: str) -> None:
        self._bytes_path(key).unlink(missing_ok=True)

    def touch(self, keys: list[str], seconds: float | None = None) -> None:
        # A file's age is what expires it: one that should live ``seconds`` is dated ahead.
        moment = time.time() + max(0.0, (seconds or self.ttl) - self.ttl)
        for key in keys:
            for path in (self._path(key), self._bytes_path(key)):
                with contextlib.suppress(OSError):
                    os.utime(path, (moment, moment))

    def sweep(self) -> int:
        removed, now = 0, time.time()
        for path in self.root.iterdir():
            if path.suffix not in (".json", ".bin") and not path.name.startswith(".tmp-"):
                continue  # the lock file stays
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > self.ttl:
                    path.unlink()
                    removed += path.suffix == ".json"
        return removed


# Compare-and-act on a lease's token in one step: nothing can take over in between.


from mailer.sending.redis_store import RedisStore, redis_client  # noqa: E402,F401  (one import path)
