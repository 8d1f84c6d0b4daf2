"""A watched mailbox's one Graph subscription: made, kept alive, made again.

App-only (the Mail.Read application permission), on the mailbox's Inbox, ``created`` only,
with ``notificationUrl`` and ``lifecycleNotificationUrl`` both the app's receiver and a
random ``clientState`` per subscription. Times are Graph's (``MailChanges.graph_now``, from the
Date of its answers), so a host clock that drifts cannot let one lapse.

- Lifetime: LIFETIME ahead, renewed (PATCH) once less than RENEW_BEFORE is left. 4,230
  minutes is within Graph's maximum for Outlook messages both as the subscription page reads
  now (10,080) and as it read before, so a tenant on either rule accepts it.
- Authorization: Graph pauses notifications once the token a subscription was made, renewed
  or reauthorized with has been expired a while, and says ``reauthorizationRequired`` first;
  that event, or REAUTHORIZE_AFTER since the last authorization (lifecycle notifications can
  be lost like any other), reauthorizes it.
- Gone (``subscriptionRemoved``, expired while no worker ran, deleted): a GET answers 404 and
  a new one is made; the next delta round finds whatever arrived meanwhile.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from mailer.graph.changes import MailChanges
from mailer.graph.errors import GraphError

logger = logging.getLogger(__name__)

LIFETIME = dt.timedelta(minutes=4230)
RENEW_BEFORE = dt.timedelta(days=1)
REAUTHORIZE_AFTER = dt.timedelta(minutes=45)


def _parse(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)  # Graph's 7 fractional digits and Z included
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _made(changes: MailChanges, url: str) -> dict:
    now = changes.graph_now()
    state = secrets.token_urlsafe(48)  # 64 characters: within Graph's 128
    made = changes.subscribe(url, now + LIFETIME, state, folder="Inbox",
                             change_types=("created",), lifecycle_url=url)
    logger.info("watch %s: subscription %s made", changes.address, made["id"])
    return {"id": made["id"], "client_state": state, "expires": made["expirationDateTime"],
            "authorized": now.timestamp()}


def keep(changes: MailChanges, sub: dict | None, url: str, reasons: list[str]) -> tuple[
        dict, str]:
    """The subscription after whatever it needed, and what was done (made, renewed,
    reauthorized, checked). GraphError when Graph refused (the caller records it)."""
    if sub is not None:
        try:
            found = changes.subscription(sub["id"])
        except GraphError as err:
            if err.status != 404:
                raise
            logger.warning("watch %s: subscription %s is gone (%s); making another",
                           changes.address, sub["id"], ", ".join(reasons) or "not found")
            found = None
        if found is not None:
            return _kept(changes, {**sub, "expires": found.get("expirationDateTime")
                                   or sub["expires"]}, reasons)
    return _made(changes, url), "made"


def _kept(changes: MailChanges, sub: dict, reasons: list[str]) -> tuple[dict, str]:
    now = changes.graph_now()
    if _parse(sub["expires"]) - now < RENEW_BEFORE:
        renewed = changes.renew(sub["id"], now + LIFETIME)  # renewing reauthorizes too
        return {**sub, "expires": renewed["expirationDateTime"],
                "authorized": now.timestamp()}, "renewed"
    if "reauthorizationRequired" in reasons or \
            now.timestamp() - sub.get("authorized", 0) > REAUTHORIZE_AFTER.total_seconds():
        changes.reauthorize(sub["id"])
        return {**sub, "authorized": now.timestamp()}, "reauthorized"
    return sub, "checked"


def expires_at(sub: dict | None) -> dt.datetime | None:
    return _parse(sub["expires"]) if sub and sub.get("expires") else None
