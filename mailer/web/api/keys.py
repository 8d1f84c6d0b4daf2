"""API keys: made and revoked by an admin, kept only as a hash, each scoped to sender mailboxes.

A key reads ``mk_<id>_<secret>``: the id finds its record (so checking a key is one read, not a
scan), the secret is 32 random bytes. The store keeps SHA-256 of the whole key, never the key:
with that much entropy a plain hash cannot be reversed by guessing, and unlike an HMAC it
survives a change of SECRET_KEY. The key itself is shown once, when it is made.
Records live in the shared store (mailer/sending/store.py: Redis, or files on one host) with
an index of ids; no Flask here.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from mailer.sending.store import KeyValueStore

INDEX = "index"
PREFIX = "mk_"
KEY_PATTERN = re.compile(r"mk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
TOUCH_EVERY = 60.0  # seconds between writes of a key's last-used time (not one per request)
FOREVER = 100 * 365 * 86400  # keys do not expire; the stores want a TTL


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """create / verify / revoke / listed, over one KeyValueStore of their own."""

    def __init__(self, store: KeyValueStore, clock=time.time):
        self.store, self.clock = store, clock

    def create(self, name: str, senders: list[str], created_by: str) -> tuple[str, dict]:
        """A new key and its record; the key is not kept anywhere."""
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        key = f"{PREFIX}{key_id}_{secret}"
        record = {"id": key_id, "name": name, "senders": sorted({s.lower() for s in senders}),
                  "created": self.clock(), "created_by": created_by, "last_used": None,
                  "hash": digest(key)}
        self.store.put(f"key:{key_id}", record)
        self.store.update(INDEX, lambda v: {"ids": [*(v or {}).get("ids", []), key_id]})
        return key, public(record)

    def verify(self, key: str) -> dict | None:
        """The key's record (without its hash) if the key is a live one, else None."""
        match = KEY_PATTERN.fullmatch(key or "")
        if not match:
            return None
        record = self.store.get(f"key:{match.group(1)}")
        if not record or not hmac.compare_digest(record["hash"], digest(key)):
            return None
        now = self.clock()
        if now - (record.get("last_used") or 0) > TOUCH_EVERY:
            record = self.store.update(f"key:{record['id']}",
                                       lambda r: r and {**r, "last_used": now}) or record
        return public(record)

    def revoke(self, key_id: str) -> bool:
        """Forget the key (it stops working at once); False if there was none."""
        if self.store.get(f"key:{key_id}") is None:
            return False
        self.store.delete(f"key:{key_id}")
        self.store.update(INDEX, lambda v: {"ids": [i for i in (v or {}).get("ids", [])
                                                    if i != key_id]})
        return True

    def listed(self) -> list[dict]:
        """Every key's record, newest first, without hashes."""
        found = [self.store.get(f"key:{i}") for i in (self.store.get(INDEX) or {}).get("ids", [])]
        return sorted((public(r) for r in found if r), key=lambda r: -r["created"])


def public(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "hash"}
