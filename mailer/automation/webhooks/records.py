"""What webhooks keep, in the shared store (Redis, or files on one host), and nothing else.

Two stores of the app's kind (mailer/sending/store.py): ``kept`` never expires (webhooks, the
mailboxes' watches, the index of watched mailboxes, subscription ids to mailboxes);
``passing`` expires after DELIVERY_DAYS (each delivery with its attempts, the open deliveries
of a webhook, its last attempts for the admin page). Every read-modify-write is the store's
atomic ``update``; a delivery is claimed once per webhook and message (``claim``), which is
what makes a message one ``webhook-id`` however often it is seen.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

from mailer.sending.store import FileStore, KeyValueStore, RedisStore

FOREVER = 100 * 365 * 86400
DELIVERY_DAYS = 8  # a day of retries, and a week to read them on the admin page
KEPT_ATTEMPTS = 30  # per delivery (a day of doubling waits is about 30)
LOGGED = 200  # a webhook's last attempts, for its admin page
# A webhook's open deliveries and its log, each in 16 parts by the delivery key's last hex
# digit: an attempt rewrites one small part, not one list that every attempt in flight writes.
SHARDS = "0123456789abcdef"


def delivery_key(webhook_id: str, message_id: str) -> str:
    # Graph's ids are long and not file-name safe: a digest names the record.
    return f"dlv:{webhook_id}:{hashlib.sha256(message_id.encode()).hexdigest()[:40]}"


def new_webhook_id() -> str:
    return f"wh_{secrets.token_hex(8)}"


def new_message_id() -> str:
    """A Standard Webhooks ``webhook-id``: one per message per webhook, kept across retries."""
    return f"msg_{secrets.token_hex(12)}"


class Records:
    """Webhooks, watches and deliveries over the two stores."""

    def __init__(self, kept: KeyValueStore, passing: KeyValueStore, clock=time.time):
        self.kept, self.passing, self.clock = kept, passing, clock

    # --- webhooks -------------------------------------------------------------------------
    def add_webhook(self, record: dict) -> None:
        self.kept.put(f"webhook:{record['id']}", record)
        self.kept.update(f"mailbox:{record['mailbox']}", lambda v: {
            "webhooks": [*(v or {}).get("webhooks", []), record["id"]]})

    def webhook(self, webhook_id: str) -> dict | None:
        return self.kept.get(f"webhook:{webhook_id}")

    def webhooks_of(self, mailbox: str) -> list[dict]:
        ids = (self.kept.get(f"mailbox:{mailbox}") or {}).get("webhooks", [])
        return [w for w in (self.webhook(i) for i in ids) if w]

    def remove_webhook(self, record: dict) -> int:
        """Forget a webhook; how many the mailbox still has."""
        self.kept.delete(f"webhook:{record['id']}")
        left = self.kept.update(f"mailbox:{record['mailbox']}", lambda v: {
            "webhooks": [i for i in (v or {}).get("webhooks", []) if i != record["id"]]})
        return len(left["webhooks"])

    # --- watches: one per mailbox with webhooks --------------------------------------------
    def watch(self, mailbox: str) -> dict | None:
        return self.kept.get(f"watch:{mailbox}")

    def start_watch(self, mailbox: str, notification_url: str, since: float) -> dict:
        """The mailbox's watch, made if it has none (mail received from ``since`` is new)."""
        def change(v):
            if v and v.get("state") != "stopping":
                return v if v.get("notification_url") else {**v, "notification_url":
                                                            notification_url}
            return {"mailbox": mailbox, "state": "starting", "since": since,
                    "notification_url": notification_url, "subscription": None,
                    "delta_link": None, "reasons": [], "error": None, "rounds": 0}
        watch = self.kept.update(f"watch:{mailbox}", change)
        self.kept.update("watched", lambda v: {"mailboxes": sorted(
            {*(v or {}).get("mailboxes", []), mailbox})})
        return watch

    def update_watch(self, mailbox: str, **fields) -> dict | None:
        return self.kept.update(f"watch:{mailbox}", lambda v: v and {**v, **fields})

    def add_reason(self, mailbox: str, reason: str) -> None:
        """A lifecycle event to act on at the next round (kept even if that round was queued
        before the event came)."""
        self.kept.update(f"watch:{mailbox}", lambda v: v and {
            **v, "reasons": sorted({*v.get("reasons", []), reason})})

    def take_reasons(self, mailbox: str) -> list[str]:
        taken: list[str] = []

        def change(v):
            taken[:] = (v or {}).get("reasons", [])
            return v and {**v, "reasons": []}
        self.kept.update(f"watch:{mailbox}", change)
        return taken

    def end_watch(self, mailbox: str) -> None:
        self.kept.delete(f"watch:{mailbox}")
        self.kept.update("watched", lambda v: {"mailboxes": [
            m for m in (v or {}).get("mailboxes", []) if m != mailbox]})

    def watched(self) -> list[str]:
        return (self.kept.get("watched") or {}).get("mailboxes", [])

    def map_subscription(self, subscription_id: str, mailbox: str | None) -> None:
        if mailbox is None:
            self.kept.delete(f"sub:{subscription_id}")
        else:
            self.kept.put(f"sub:{subscription_id}", {"mailbox": mailbox})

    def mailbox_of(self, subscription_id: str) -> str | None:
        return (self.kept.get(f"sub:{subscription_id}") or {}).get("mailbox")

    # --- deliveries ------------------------------------------------------------------------
    def claim_delivery(self, webhook: dict, message_id: str, event: str, data: dict) -> tuple[
            str, dict | None]:
        """(key, the new record) when this message is new to this webhook; (key, None) when it
        was claimed before (it keeps its webhook-id and its state)."""
        key = delivery_key(webhook["id"], message_id)
        record = {"key": key, "id": new_message_id(), "webhook": webhook["id"],
                  "mailbox": webhook["mailbox"], "message_id": message_id, "event": event,
                  "data": data, "state": "queued", "created": self.clock(), "tries": 0,
                  "attempts": [], "next_try": self.clock()}
        return (key, record) if self.passing.claim(key, record) else (key, None)

    def delivery(self, key: str) -> dict | None:
        return self.passing.get(key)

    def put_delivery(self, record: dict) -> None:
        self.passing.put(record["key"], record)

    def open_deliveries(self, webhook_id: str) -> dict[str, float]:
        """Deliveries not yet done: their keys and when each is due."""
        found: dict[str, float] = {}
        for shard in SHARDS:
            found.update((self.passing.get(f"open:{webhook_id}:{shard}") or {}).get("keys", {}))
        return found

    def mark_open(self, webhook_id: str, due: dict[str, float]) -> None:
        for shard in SHARDS:
            part = {k: d for k, d in due.items() if k[-1] == shard}
            if part:
                self.passing.update(f"open:{webhook_id}:{shard}", lambda v, part=part: {
                    "keys": {**(v or {}).get("keys", {}), **part}})

    def mark_done(self, webhook_id: str, key: str) -> None:
        self.passing.update(f"open:{webhook_id}:{key[-1]}", lambda v: {
            "keys": {k: d for k, d in (v or {}).get("keys", {}).items() if k != key}})

    def log_attempt(self, webhook_id: str, entry: dict, outcome: str | None) -> None:
        """Keep an attempt in the webhook's log (in the delivery's part of it, so that
        deliveries in flight at once seldom write the same record); count an outcome."""
        def change(v):
            v = v or {"attempts": [], "counts": {}}
            counts = dict(v.get("counts", {}))
            counts["attempts"] = counts.get("attempts", 0) + 1
            if outcome:
                counts[outcome] = counts.get(outcome, 0) + 1
            return {"attempts": [entry, *v.get("attempts", [])][:LOGGED // len(SHARDS)],
                    "counts": counts}
        self.passing.update(f"log:{webhook_id}:{entry['key'][-1]}", change)

    def log(self, webhook_id: str) -> dict:
        """The webhook's last attempts, newest first, and its counts."""
        attempts: list[dict] = []
        counts: dict[str, int] = {}
        for shard in SHARDS:
            part = self.passing.get(f"log:{webhook_id}:{shard}") or {}
            attempts += part.get("attempts", [])
            for name, n in part.get("counts", {}).items():
                counts[name] = counts.get(name, 0) + n
        return {"attempts": sorted(attempts, key=lambda a: -a["at"]), "counts": counts}


def build(cfg: dict, redis_client) -> Records:
    """On the app's Redis (its own prefixes), else files under APP_STATE_DIR."""
    passing_ttl = DELIVERY_DAYS * 86400
    if redis_client is not None:
        return Records(RedisStore(redis_client, ttl=FOREVER, prefix="mailer:hook:"),
                       RedisStore(redis_client, ttl=passing_ttl, prefix="mailer:hookdlv:"))
    root = Path(cfg["APP_STATE_DIR"])
    return Records(FileStore(root / "webhooks", ttl=FOREVER),
                   FileStore(root / "webhook-deliveries", ttl=passing_ttl))
