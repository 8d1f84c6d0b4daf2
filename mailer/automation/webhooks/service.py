"""Webhooks of one process: their tasks on the engine's huey, the workers' periodic duty, and
what the API and the admin pages call.

``of(rt)`` is the one instance per delivery Runtime; building it registers the tasks (every
process that enqueues or runs them builds it: the web app at start, ``python -m mailer
worker``) and the duty, which runs in each worker beside the send engine's sweep
(delivery/queue.py's ``add_duty``) rather than as one of huey's periodic tasks: huey enqueues
those from every consumer with minute resolution, where this runs every WATCH_EVERY seconds
(tests use less than one) and a lease in the shared store lets one worker a round do it.

Tasks: ``watch-round`` (a mailbox's subscription upkeep when due, then a delta round and its
deliveries), ``webhook-attempt`` (one try of one delivery), ``watch-stop`` (unsubscribe when
a mailbox's last webhook goes). Rounds are coalesced per mailbox: a notification queues one
only if none is queued yet (the ``due`` lease), and one runs at a time (the ``run`` lease).
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref

from mailer.automation.webhooks import attempts, catchup, records, signing, targets
from mailer.graph.changes import MailChanges
from mailer.graph.errors import GraphError

logger = logging.getLogger(__name__)

RECEIVER_PATH = "/graph/notifications"
PER_MAILBOX = 10  # webhooks one mailbox may have
DUE_LEASE, RUN_LEASE = 60.0, 120.0  # seconds
PRIORITY = 15  # huey: after a person's own send (20), before programs' and merges' lanes
_made: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class WebhookRefused(ValueError):
    """A webhook request that cannot be made: ``field`` and words."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def of(rt) -> "Webhooks":
    with _lock:
        if rt not in _made:
            _made[rt] = Webhooks(rt)
        return _made[rt]


class Webhooks:
    def __init__(self, rt):
        self.rt, self.cfg = rt, rt.cfg
        self.demo = bool(self.cfg.get("WEBHOOK_LOCAL"))  # http and loopback targets allowed
        self.records = records.build(self.cfg, rt.redis)
        self._sessions: dict = {}
        huey = rt.queue.huey
        self.round_task = huey.task(name="watch-round", priority=PRIORITY)(self._round)
        self.attempt_task = huey.task(name="webhook-attempt", priority=PRIORITY)(
            self._attempt)
        self.stop_task = huey.task(name="watch-stop", priority=PRIORITY)(self._stop)
        rt.queue.add_duty(self.cfg["WATCH_EVERY"], self.duty)

    # --- what the API and the admin pages call ---------------------------------------------
    def notification_url(self, request_origin: str | None) -> str:
        """Where Graph posts: NOTIFICATION_URL, else REDIRECT_URI's origin, else the origin
        of the request making the webhook (checked by TRUSTED_HOSTS, or demo mode)."""
        if self.cfg.get("NOTIFICATION_URL"):
            return self.cfg["NOTIFICATION_URL"]
        base = self.cfg.get("REDIRECT_URI") or request_origin or ""
        parts = base.split("/", 3)
        return "/".join(parts[:3]) + RECEIVER_PATH

    def own_origins(self, request_origin: str | None) -> list[str]:
        """The app's own origins (and the emulator's): never a webhook's target."""
        found = [request_origin, self.notification_url(request_origin),
                 self.cfg.get("REDIRECT_URI"), self.cfg.get("DEMO_API_URL"),
                 self.cfg.get("DEMO_PAGES_URL")]
        if self.cfg.get("DEMO_MODE") or self.demo:
            found.append(self.cfg.get("GRAPH_ENDPOINT"))
        return sorted({o for o in found if o})

    def create(self, mailbox: str, url: str, events: list[str], made_by: str,
               request_origin: str | None) -> tuple[dict, str]:
        """A new webhook and its secret (shown once); the mailbox's watch starts if needed."""
        if len(self.records.webhooks_of(mailbox)) >= PER_MAILBOX:
            raise WebhookRefused("mailbox", f"{mailbox} has {PER_MAILBOX} webhooks already: "
                                 "delete one first.")
        unknown = [e for e in events if e not in signing.EVENTS]
        if unknown or not events:
            raise WebhookRefused("events", f"events: choose from {', '.join(signing.EVENTS)}")
        own = self.own_origins(request_origin)
        try:
            targets.check_url(url, self.demo, targets.origin_endpoints(own))
        except targets.RefusedTarget as exc:
            raise WebhookRefused("url", f"url: {exc}") from None
        secret = signing.new_secret()
        record = {"id": records.new_webhook_id(), "mailbox": mailbox, "url": url,
                  "events": sorted(set(events)), "created": time.time(), "made_by": made_by,
                  "own": own, "secret": self.rt.cipher.encrypt(secret)}
        self.records.add_webhook(record)
        self.records.start_watch(mailbox, self.notification_url(request_origin),
                                 since=record["created"] - 60)  # a minute for clock skew
        self.request_round(mailbox)
        return public(record), secret

    def listed(self, mailbox: str | None = None) -> list[dict]:
        boxes = [mailbox] if mailbox else self.records.watched()
        return [public(w) for box in boxes for w in self.records.webhooks_of(box)]

    def delete(self, webhook: dict) -> None:
        if self.records.remove_webhook(webhook) == 0:
            watch = self.records.update_watch(webhook["mailbox"], state="stopping")
            sub = (watch or {}).get("subscription") or {}
            self.stop_task(webhook["mailbox"], sub.get("id"))

    def send_test(self, webhook: dict) -> str:
        """Queue a ``webhook.test`` event to this webhook now; its webhook-id."""
        data = {"mailbox": webhook["mailbox"], "test": True,
                "message": "A test event from the mail sender's admin page."}
        key, record = self.records.claim_delivery(webhook, f"test:{uuid.uuid4().hex}",
                                                  signing.TEST_EVENT, data)
        self.records.mark_open(webhook["id"], {key: record["next_try"]})
        self.attempt_task(key)
        return record["id"]

    # --- rounds ----------------------------------------------------------------------------
    def request_round(self, mailbox: str) -> bool:
        """Queue a round for the mailbox unless one is queued already; True if queued."""
        token = uuid.uuid4().hex
        if not self.records.kept.take_lease(f"due:{mailbox}", token, DUE_LEASE):
            return False
        self.round_task(mailbox, token)
        return True

    def _round(self, mailbox: str, due_token: str) -> None:
        run = uuid.uuid4().hex
        kept = self.records.kept
        if not kept.take_lease(f"run:{mailbox}", run, RUN_LEASE):
            kept.renew_lease(f"due:{mailbox}", due_token, DUE_LEASE)
            self.round_task.schedule(args=(mailbox, due_token), delay=1)
            return
        kept.drop_lease(f"due:{mailbox}", due_token)  # a notification from now queues another
        try:
            catchup.run(self, mailbox, lambda: kept.renew_lease(f"run:{mailbox}", run, RUN_LEASE))
        finally:
            kept.drop_lease(f"run:{mailbox}", run)

    def _stop(self, mailbox: str, subscription_id: str | None) -> None:
        watch = self.records.watch(mailbox)
        if subscription_id:
            try:
                MailChanges(self.rt.app_graph(), mailbox).unsubscribe(subscription_id)
            except GraphError as err:
                if err.status != 404:
                    logger.warning("watch %s: unsubscribe failed (%s %s); it expires by itself",
                                   mailbox, err.status, err.code)
            self.records.map_subscription(subscription_id, None)
        if watch and watch.get("state") == "stopping":
            self.records.end_watch(mailbox)

    # --- deliveries ------------------------------------------------------------------------
    def session(self, own: list[str]):
        key = tuple(own)
        if key not in self._sessions:
            self._sessions[key] = targets.session(self.demo, targets.origin_endpoints(own))
        return self._sessions[key]

    def _attempt(self, key: str) -> None:
        attempts.run(self, key)

    # --- the workers' periodic duty ----------------------------------------------------------
    def duty(self) -> None:
        """Every WATCH_EVERY, in one worker: a round for each watched mailbox (the safety
        poll, and subscription upkeep), and deliveries whose task was lost queued again."""
        every = self.cfg["WATCH_EVERY"]
        if not self.records.kept.take_lease("duty:watch", uuid.uuid4().hex, every * 0.9):
            return
        now = time.time()
        for mailbox in self.records.watched():
            self.request_round(mailbox)
            for webhook in self.records.webhooks_of(mailbox):
                late = [k for k, due in self.records.open_deliveries(webhook["id"]).items()
                        if due + attempts.LOST_AFTER < now]
                for key in late[:attempts.REQUEUE_MAX]:
                    self.attempt_task(key)
        if self.records.kept.take_lease("duty:expire", uuid.uuid4().hex, 3600):
            self.records.passing.sweep()  # files past their time (Redis expires by itself)


def public(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("secret", "own")}
