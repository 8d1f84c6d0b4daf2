"""Where send jobs keep their state: a tiny key-value interface any worker process can read.

Two implementations, picked by ``store_from_config``: files in a folder (one host, several
gunicorn workers) and Redis (several hosts). Both offer an atomic ``claim`` (create only if
absent), which is what makes a send happen at most once per draft id.
"""
from __future__ import annotations

import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)

DEFAULT_TTL = 7 * 86400  # a sent draft's record outlives any plausible resubmit


class KeyValueStore(Protocol):
    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, value: dict) -> None: ...

    def claim(self, key: str, value: dict) -> bool:
        """Store ``value`` only if ``key`` is absent; True when this caller won."""

    def delete(self, key: str) -> None: ...


class FileStore:
    """One JSON file per key; writes are atomic renames, claims are atomic hard links."""

    def __init__(self, root: str | Path, ttl: float = DEFAULT_TTL):
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


class RedisStore:
    """The same over Redis: SET NX for claims, a TTL on every key."""

    def __init__(self, client, prefix: str = "mailer:job:", ttl: int = DEFAULT_TTL):
        self.client, self.prefix, self.ttl = client, prefix, int(ttl)

    @classmethod
    def from_url(cls, url: str, **kwargs) -> "RedisStore":
        import redis  # only needed when configured
        return cls(redis.Redis.from_url(url), **kwargs)

    def get(self, key: str) -> dict | None:
        raw = self.client.get(self.prefix + key)
        return json.loads(raw) if raw else None

    def put(self, key: str, value: dict) -> None:
        self.client.set(self.prefix + key, json.dumps(value), ex=self.ttl)

    def claim(self, key: str, value: dict) -> bool:
        return bool(self.client.set(self.prefix + key, json.dumps(value), ex=self.ttl, nx=True))

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)


def store_from_config(config: dict) -> KeyValueStore:
    """Redis when REDIS_URL is set, else files under JOB_DIR (default: APP_STATE_DIR/jobs,
    or beside UPLOAD_DIR)."""
    if config.get("REDIS_URL"):
        return RedisStore.from_url(config["REDIS_URL"])
    folder = config.get("JOB_DIR")
    if not folder and config.get("APP_STATE_DIR"):
        folder = Path(config["APP_STATE_DIR"]) / "jobs"
    if not folder:
        folder = Path(config.get("UPLOAD_DIR", ".local/app/uploads")).parent / "jobs"
    return FileStore(folder)
