"""Mail that arrives, through Graph: a folder's delta query, subscriptions to change
notifications, and the checks a notification receiver makes. Nothing here knows of Flask.

A delta round follows ``@odata.nextLink`` to the end and returns the ``@odata.deltaLink`` to
keep for the next round (delta-query-messages). Links are followed only under the client's base
URL. When Graph says the saved link is no good any more (410 Gone, ``syncStateNotFound``,
``SyncStateInvalid``, ``resyncRequired``), ``needs_full_sync`` is true: start again without it.
Notifications may come late, twice or never, so a receiver catches up with a delta round
rather than trusting them; it checks ``clientState`` first (``client_state_matches``).
``graph_now`` is Graph's own clock, read from the ``Date`` of its last answer: expiry times
are Graph's, and a host whose clock drifts must not let a subscription lapse.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import hmac
import time
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import quote

from mailer.graph.client import GraphClient, _mailbox
from mailer.graph.errors import GraphError

RESYNC_CODES = {"syncstatenotfound", "syncstateinvalid", "resyncrequired"}


@dataclass
class Delta:
    """One round of a folder's delta: what was created or updated, what left, and the link
    the next round starts from."""
    changed: list[dict] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # ids of messages deleted or moved out
    delta_link: str | None = None


def needs_full_sync(error: GraphError) -> bool:
    """True when a saved delta link can no longer be used: sync the folder from scratch."""
    return error.status == 410 or error.code.lower() in RESYNC_CODES


def client_state_matches(notification: dict, expected: str) -> bool:
    """Whether a change (or lifecycle) notification carries the subscription's secret
    clientState (compared in constant time); anything else did not come from Graph."""
    given = notification.get("clientState") if isinstance(notification, dict) else None
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def graph_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MailChanges:
    """Delta queries and subscriptions for one mailbox (``address`` None: the signed-in
    user's; else ``/users/{address}``, e.g. with application permissions)."""

    def __init__(self, client: GraphClient, address: str | None = None):
        self.client, self.address = client, address
        self.root = _mailbox(address)
        self.skew = 0.0  # Graph's clock minus ours, from the Date of its last answer

    def _call(self, method: str, path: str, **kwargs):
        response = self.client._request(method, path, **kwargs)
        try:
            said = email.utils.parsedate_to_datetime(response.headers.get("Date") or "")
            self.skew = said.timestamp() - time.time()
        except (TypeError, ValueError):
            pass  # no Date (or a malformed one): keep the last reading
        return response

    def graph_now(self) -> dt.datetime:
        """Graph's time now, as its last answer's Date said (to the second)."""
        return dt.datetime.fromtimestamp(time.time() + self.skew, dt.timezone.utc)

    def _check_link(self, link: str) -> str:
        if not link.startswith(self.client.base_url + "/"):
            raise GraphError(400, "InvalidNextLink", "The delta link is not Microsoft Graph's.")
        return link

    def delta_pages(self, folder: str = "inbox", delta_link: str | None = None,
                    select: list[str] | None = None, page_size: int | None = None,
                    change_type: str | None = None,
                    received_since: dt.datetime | None = None) -> Iterator[dict]:
        """The raw pages of one round; the last one carries ``@odata.deltaLink``. Options
        apply to a first round only: a delta link already carries them. ``received_since``
        is the one $filter Graph takes here (receivedDateTime ge; at most 5,000 messages)."""
        headers = {"Prefer": f"odata.maxpagesize={page_size}"} if page_size else {}
        if delta_link:
            url, params = self._check_link(delta_link), None
        else:
            url = f"{self.root}/mailFolders/{quote(folder, safe='')}/messages/delta"
            params = {}
            if select:
                params["$select"] = ",".join(select)
            if change_type:
                params["changeType"] = change_type
            if received_since:
                params["$filter"] = f"receivedDateTime ge {graph_time(received_since)}"
        while url:
            body = self._call("GET", url, params=params, headers=dict(headers)).json()
            yield body
            next_link = body.get("@odata.nextLink")
            url, params = (self._check_link(next_link) if next_link else None), None

    def delta(self, folder: str = "inbox", delta_link: str | None = None,
              select: list[str] | None = None, page_size: int | None = None,
              change_type: str | None = None,
              received_since: dt.datetime | None = None) -> Delta:
        """A whole round: every page followed. ``GraphError`` (see ``needs_full_sync``) when
        Graph refuses the saved link."""
        result = Delta()
        for page in self.delta_pages(folder, delta_link, select, page_size, change_type,
                                     received_since):
            for item in page.get("value", []):
                if "@removed" in item:
                    result.removed.append(item.get("id"))
                else:
                    result.changed.append(item)
            result.delta_link = page.get("@odata.deltaLink") or result.delta_link
        return result

    def subscribe(self, notification_url: str, expires: dt.datetime, client_state: str, *,
                  folder: str | None = "Inbox", change_types: tuple[str, ...] = ("created",),
                  lifecycle_url: str | None = None) -> dict:
        """POST /subscriptions for the folder's messages (``folder`` None: the whole mailbox).
        Graph validates the URLs before answering: they must echo its validationToken."""
        resource = self.root.lstrip("/") + (
            f"/mailFolders('{folder}')/messages" if folder else "/messages")
        body = {"changeType": ",".join(change_types), "notificationUrl": notification_url,
                "resource": resource, "expirationDateTime": graph_time(expires),
                "clientState": client_state}
        if lifecycle_url:
            body["lifecycleNotificationUrl"] = lifecycle_url
        return self._call("POST", "/subscriptions", json_body=body).json()

    def renew(self, subscription_id: str, expires: dt.datetime) -> dict:
        """PATCH a new expirationDateTime (this also reauthorizes the subscription)."""
        return self._call("PATCH", f"/subscriptions/{quote(subscription_id, safe='')}",
                          json_body={"expirationDateTime": graph_time(expires)}).json()

    def reauthorize(self, subscription_id: str) -> None:
        """POST …/reauthorize: answer a reauthorizationRequired without extending the expiry."""
        self._call("POST", f"/subscriptions/{quote(subscription_id, safe='')}/reauthorize")

    def subscription(self, subscription_id: str) -> dict:
        """GET one subscription (GraphError 404 once Graph removed or expired it)."""
        return self._call("GET", f"/subscriptions/{quote(subscription_id, safe='')}").json()

    def unsubscribe(self, subscription_id: str) -> None:
        self._call("DELETE", f"/subscriptions/{quote(subscription_id, safe='')}")

    def subscriptions(self) -> list[dict]:
        """The subscriptions this app created (for the signed-in user, or in its tenant)."""
        return self._call("GET", "/subscriptions").json().get("value", [])
