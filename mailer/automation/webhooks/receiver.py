"""What the app's notification endpoint does with what Graph POSTs, in well under Graph's 3
seconds: nothing but reads and a queued round. No Flask here (mailer/web/notifications.py
is the route).

- The validation handshake: ``?validationToken=…`` is answered with the token, as text.
- A collection ``{"value": [...]}``: each item names a subscription; one this app holds for a
  watched mailbox, with its ``clientState`` (compared in constant time), counts; others are
  ignored (a forged or stale POST can only make a mailbox run a delta round). A lifecycle
  item's event is kept for that round (``reauthorizationRequired``, ``subscriptionRemoved``,
  ``missed``). Each mailbox named gets one round queued, however many items name it.
"""
from __future__ import annotations

import logging

from mailer.graph.changes import client_state_matches

logger = logging.getLogger(__name__)

TOKEN_MAX = 1024  # characters of a validation token echoed back
ITEMS_MAX = 1000  # items of one collection looked at
LOOKUPS_MAX = 50  # distinct subscription ids looked up in the store per POST (a forged POST
#                   must not turn into thousands of store reads)
LIFECYCLE = ("reauthorizationRequired", "subscriptionRemoved", "missed")


def validation_answer(token: str) -> str | None:
    """The text to answer a validation request with (None: not a token to echo)."""
    if not token or len(token) > TOKEN_MAX or any(ord(c) < 32 for c in token):
        return None
    return token


def receive(svc, body) -> dict:
    """Queue rounds for the mailboxes a collection names: {"accepted", "ignored"}."""
    items = body.get("value") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return {"accepted": 0, "ignored": 0}
    wanted: set[str] = set()
    ignored = 0
    holders: dict[str, dict | None] = {}  # subscription id -> its watch, read once a POST
    for item in items[:ITEMS_MAX]:
        sid = item.get("subscriptionId") if isinstance(item, dict) else None
        if not isinstance(sid, str) or len(sid) > 200:
            ignored += 1
            continue
        if sid not in holders:
            if len(holders) >= LOOKUPS_MAX:
                ignored += 1
                continue
            mailbox = svc.records.mailbox_of(sid)
            holders[sid] = svc.records.watch(mailbox) if mailbox else None
        watch = holders[sid]
        sub = (watch or {}).get("subscription") or {}
        if sub.get("id") != sid or not client_state_matches(item, sub.get("client_state", "")):
            ignored += 1
            continue
        event = item.get("lifecycleEvent")
        if event in LIFECYCLE:
            logger.info("watch %s: lifecycle event %s", watch["mailbox"], event)
            svc.records.add_reason(watch["mailbox"], event)
        wanted.add(watch["mailbox"])
    for mailbox in wanted:
        svc.request_round(mailbox)
    if ignored:
        logger.info("notifications: %d item(s) ignored (unknown subscription or clientState)",
                    ignored)
    return {"accepted": len(items) - ignored, "ignored": ignored}
