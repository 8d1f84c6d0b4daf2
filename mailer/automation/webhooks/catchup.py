"""One round of a watched mailbox: its subscription looked after when due, then a delta round
from the kept link, and each new message claimed for each webhook and queued to go.

The order is what makes it at least once: every delivery is claimed and listed as open, and
its task queued, before the round's link is kept; a worker that dies midway leaves the old
link, so the next round sees the same messages, finds them claimed (the same ``webhook-id``)
and leaves them to the open list, which the duty re-queues if their task was lost.
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from mailer.automation.webhooks import rounds, signing, upkeep
from mailer.graph.changes import MailChanges
from mailer.graph.errors import GraphError

logger = logging.getLogger(__name__)


def _moment(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def run(svc, mailbox: str, renew_lease) -> None:
    watch = svc.records.watch(mailbox)
    if watch is None or watch.get("state") == "stopping":
        return
    changes = MailChanges(svc.rt.app_graph(), mailbox)
    try:
        found = rounds.arrivals(changes, watch.get("delta_link"), _moment(watch["since"]),
                                _moment(watch.get("round_ended")), select=signing.SELECT)
    except GraphError as err:
        _failed(svc, mailbox, "delta", err)
        return
    renew_lease()
    queued = fan_out(svc, mailbox, found.messages)
    fields = {"delta_link": found.delta_link, "round_ended": found.ended.timestamp(),
              "state": "watching" if watch.get("subscription") else
              {"failing": "polling"}.get(watch.get("state"), watch.get("state")),
              "rounds": watch.get("rounds", 0) + 1, "last_round": time.time(),
              "last_new": len(found.messages), "resyncs": watch.get("resyncs", 0)
              + found.resynced}
    if watch.get("state") == "failing":
        fields["error"] = None  # Graph answers again
    if found.resynced:
        logger.warning("watch %s: the delta link was refused; resynced (%d found, %d new)",
                       mailbox, len(found.messages), queued)
    svc.records.update_watch(mailbox, **fields)
    renew_lease()
    _look_after(svc, changes, mailbox)


def fan_out(svc, mailbox: str, messages: list[dict]) -> int:
    """Claim each message for each webhook that wants it and queue the new deliveries."""
    hooks = [h for h in svc.records.webhooks_of(mailbox) if signing.MESSAGE_RECEIVED
             in h.get("events", [])]
    queued = 0
    for hook in hooks:
        fresh: dict[str, float] = {}
        for message in messages:
            key, record = svc.records.claim_delivery(
                hook, message["id"], signing.MESSAGE_RECEIVED,
                signing.message_data(mailbox, message))
            if record is not None:
                fresh[key] = record["next_try"]
        if fresh:
            svc.records.mark_open(hook["id"], fresh)
            for key in fresh:
                svc.attempt_task(key)
            queued += len(fresh)
    return queued


def _look_after(svc, changes: MailChanges, mailbox: str) -> None:
    """The subscription's upkeep, when a lifecycle event asked or WATCH_EVERY has passed."""
    watch = svc.records.watch(mailbox) or {}
    due = time.time() - watch.get("checked", 0) >= svc.cfg["WATCH_EVERY"] * 0.9
    reasons = svc.records.take_reasons(mailbox)
    if not (due or reasons or not watch.get("subscription")):
        return
    old = watch.get("subscription")
    try:
        sub, done = upkeep.keep(changes, old, watch["notification_url"], reasons)
    except GraphError as err:
        _failed(svc, mailbox, "subscription", err)
        return
    if old and old["id"] != sub["id"]:
        svc.records.map_subscription(old["id"], None)
    if not old or old["id"] != sub["id"]:
        svc.records.map_subscription(sub["id"], mailbox)
    svc.records.update_watch(mailbox, subscription=sub, checked=time.time(), state="watching",
                             error=None, graph_now=changes.graph_now().timestamp(),
                             last_upkeep=done)
    if done != "checked":
        logger.info("watch %s: subscription %s %s (expires %s)", mailbox, sub["id"], done,
                    sub["expires"])


def _failed(svc, mailbox: str, what: str, err: GraphError) -> None:
    """Graph refused: said on the admin page; the next round (WATCH_EVERY) tries again."""
    logger.warning("watch %s: %s failed: %s %s", mailbox, what, err.status, err.code)
    svc.records.update_watch(mailbox, checked=time.time(), error={
        "what": what, "status": err.status, "code": err.code, "message": err.message[:300],
        "at": time.time()}, state="polling" if what == "subscription" else "failing")
