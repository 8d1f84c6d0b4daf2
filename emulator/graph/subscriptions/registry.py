"""The live subscriptions of one emulator, and what turns mail changes into notifications.

``registry(state)`` is the ``subscriptions`` extension of the state (reset drops it, after
``close()`` stops its dispatcher). It observes the mail store: each change of a watched
mailbox (and folder) whose change type a subscription asked for becomes one notification
collection, queued for the dispatcher, all under the store's lock, so nothing here may block.

Lifecycle (change-notifications-lifecycle-events): ``reauthorizationRequired`` when the access
token the subscription was created, renewed or reauthorized with, or the subscription itself,
is about to expire; change notifications pause once that token has been expired for a grace
period (the docs: delivery "eventually pauses"; the grace is UNCONFIRMED) until a renewal or
``reauthorize``; ``missed`` when a notification was dropped (a notification fault rule) or
discarded after retries; ``subscriptionRemoved`` when the admin API removes one. A subscription
past its expirationDateTime on the mail clock is deleted without notice (Graph "deletes the
subscription"). Settings and counters: ``/_emulator/notifications`` (admin.py).
"""
from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import asdict, dataclass, fields

from ..mail.changelog import ADDED, REMOVED, UPDATED, Change
from ..mail.store import MailStore
from .dispatcher import Dispatcher, Job
from .model import Subscription, graph_time

REAUTHORIZATION_INTERVAL = 15 * 60  # "every 15 mins" near expiry, as the docs' illustration
KINDS = {ADDED: "created", UPDATED: "updated", REMOVED: "deleted"}


@dataclass
class Settings:
    """Knobs for tests (``PUT /_emulator/notifications``); the defaults follow Graph."""
    drop_one_in: int | None = None  # drop every Nth change notification (then send "missed")
    duplicate_one_in: int | None = None  # deliver every Nth change notification twice
    delay_ms: int = 0  # hold every change notification this long first
    retry_base_seconds: float = 1.0  # first retry after this, doubling (UNCONFIRMED schedule)
    retry_max_seconds: float = 300.0
    retry_window_seconds: float = 4 * 3600.0  # "multiple times, for up to 4 hours"
    notification_timeout_seconds: float = 3.0
    validation_timeout_seconds: float = 10.0
    reauthorize_before_seconds: float = 15 * 60.0  # UNCONFIRMED
    reauthorization_grace_seconds: float = 30 * 60.0  # UNCONFIRMED
    http_loopback: bool = True  # http://127.0.0.1-style URLs accepted (demo mode); Graph: https only

    def update(self, changes: dict) -> None:
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting '{name}'")
            if name == "http_loopback":
                if not isinstance(value, bool):
                    raise ValueError("'http_loopback' must be true or false")
                setattr(self, name, value)
                continue
            optional = name in ("drop_one_in", "duplicate_one_in")
            if value is None and optional:
                setattr(self, name, None)
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                    or (optional and (not isinstance(value, int) or value < 1)):
                raise ValueError(f"'{name}' must be a {'positive integer' if optional else 'non-negative number'}"
                                 f"{' or null' if optional else ''}")
            setattr(self, name, value)


class Registry:
    def __init__(self, state) -> None:
        self.state = state
        self.store: MailStore = state.extension("mail", MailStore)
        self.lock = threading.Lock()
        self.subscriptions: dict[str, Subscription] = {}
        self.settings = Settings(http_loopback=state.http_loopback_webhooks)
        self.stats: Counter = Counter()
        self._stats_lock = threading.Lock()
        self.recent: deque = deque(maxlen=200)  # the last deliveries, for the admin API
        self.version = 0  # bumped on every change of the set (persistence writes on a change)
        self.produced = 0  # change notifications made, for the one-in-N fault rules
        self.dispatcher = Dispatcher(self)
        self.store.observers.append(self.on_change)

    # --- time ------------------------------------------------------------------------------
    def now(self) -> float:
        """The mail clock (epoch seconds): real time plus the offset tests set."""
        return time.time() + self.store.clock_offset.total_seconds()

    def now_dt(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now(), dt.timezone.utc)

    # --- the set ---------------------------------------------------------------------------
    def add(self, sub: Subscription) -> None:
        with self.lock:
            self.subscriptions[sub.id] = sub
            self.version += 1

    def remove(self, sub_id: str) -> Subscription | None:
        with self.lock:
            self.version += 1
            return self.subscriptions.pop(sub_id, None)

    def changed(self) -> None:
        with self.lock:
            self.version += 1

    def count_for(self, mailbox_id: str) -> int:
        with self.lock:
            return sum(1 for s in self.subscriptions.values() if s.mailbox_id == mailbox_id)

    def count(self, name: str, amount: int = 1) -> None:
        with self._stats_lock:
            self.stats[name] += amount

    # --- changes to notifications ------------------------------------------------------------
    def on_change(self, user_id: str, folder: str, change: Change) -> None:
        kind = KINDS[change.kind]
        now = self.now()
        with self.lock:
            targets = [s for s in self.subscriptions.values()
                       if s.mailbox_id == user_id and s.folder in (None, folder)
                       and kind in s.change_types and s.expires.timestamp() > now]
        for sub in targets:
            if now > sub.authorized_until + self.settings.reauthorization_grace_seconds:
                self.count("paused", 1)  # lost, as Graph loses them while paused
                continue
            self._notify(sub, kind, change, now)

    def _notify(self, sub: Subscription, kind: str, change: Change, now: float) -> None:
        resource = f"Users/{sub.mailbox_id}/Messages/{change.message_id}"
        item = {"id": secrets.token_urlsafe(12), "subscriptionId": sub.id,
                "subscriptionExpirationDateTime": graph_time(sub.expires),
                "changeType": kind, "resource": resource, "clientState": sub.client_state,
                "tenantId": sub.tenant_id,
                "resourceData": {"@odata.type": "#Microsoft.Graph.Message",
                                 "@odata.id": resource,
                                 "@odata.etag": f'W/"{change.change_key}"',
                                 "id": change.message_id}}
        settings = self.settings
        with self.lock:
            self.produced += 1
            number = self.produced
        self.count("produced", 1)
        if settings.drop_one_in and number % settings.drop_one_in == 0:
            self.count("dropped", 1)
            self.lifecycle(sub, "missed")
            return
        due = now + settings.delay_ms / 1000
        copies = 2 if settings.duplicate_one_in and number % settings.duplicate_one_in == 0 \
            else 1
        self.count("duplicated", copies - 1)
        for _ in range(copies):
            job = Job(due=due, url=sub.notification_url, payload={"value": [item]},
                      subscription_id=sub.id, label=kind)
            if not self.dispatcher.submit(job):
                self.count("dropped", 1)
                self.lifecycle(sub, "missed")

    def lifecycle(self, sub: Subscription, event: str) -> None:
        """Queue a lifecycle notification (only for a subscription that gave a URL for them)."""
        if not sub.lifecycle_url:
            return
        item = {"subscriptionId": sub.id,
                "subscriptionExpirationDateTime": graph_time(sub.expires),
                "tenantId": sub.tenant_id, "clientState": sub.client_state,
                "lifecycleEvent": event}
        self.count(f"lifecycle_{event}", 1)
        self.dispatcher.submit(Job(due=self.now(), url=sub.lifecycle_url,
                                   payload={"value": [item]}, subscription_id=sub.id,
                                   label=event, lifecycle=True))

    # --- called by the dispatcher ------------------------------------------------------------
    def record(self, job: Job, status: int | None, seconds: float, ok: bool) -> None:
        self.count("attempts", 1)
        self.count("delivered" if ok else "failed_attempts", 1)
        self.recent.append({"subscriptionId": job.subscription_id, "event": job.label,
                            "lifecycle": job.lifecycle, "url": job.url, "attempt": job.attempt,
                            "status": status, "milliseconds": round(seconds * 1000),
                            "at": graph_time(self.now_dt())})

    def discarded(self, job: Job) -> None:
        self.count("discarded", 1)
        with self.lock:
            sub = self.subscriptions.get(job.subscription_id)
        if sub is not None and not job.lifecycle:
            self.lifecycle(sub, "missed")

    def housekeeping(self) -> None:
        now = self.now()
        notices = []
        with self.lock:
            for sub in list(self.subscriptions.values()):
                if sub.expires.timestamp() <= now:
                    del self.subscriptions[sub.id]
                    self.version += 1
                    self.count("expired", 1)
                    continue
                deadline = min(sub.authorized_until, sub.expires.timestamp())
                last = sub.last_reauthorization_notice
                if sub.lifecycle_url and \
                        deadline - self.settings.reauthorize_before_seconds <= now < deadline \
                        and (last is None or now - last >= REAUTHORIZATION_INTERVAL):
                    sub.last_reauthorization_notice = now
                    notices.append(sub)
        for sub in notices:
            self.lifecycle(sub, "reauthorizationRequired")

    # --- admin, persistence, shutdown -----------------------------------------------------
    def report(self) -> dict:
        with self.lock:
            count = len(self.subscriptions)
        with self._stats_lock:
            counts = dict(self.stats)
        return {"settings": asdict(self.settings), "subscriptions": count,
                "pending": self.dispatcher.pending(), "counts": counts,
                "recent": list(self.recent)}

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [s.to_dict() for s in self.subscriptions.values()]

    def load(self, items: list[dict]) -> None:
        with self.lock:
            for data in items:
                sub = Subscription.from_dict(data)
                self.subscriptions[sub.id] = sub

    def close(self) -> None:
        self.dispatcher.stop()
        if self.on_change in self.store.observers:
            self.store.observers.remove(self.on_change)

    stop = close  # State.close() at the emulator's stop: no more deliveries


def registry(state) -> Registry:
    return state.extension("subscriptions", lambda: Registry(state))


def new_id() -> str:
    return str(uuid.uuid4())
