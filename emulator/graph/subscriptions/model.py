"""A subscription as Graph keeps it, the checks on what a client asks for, and its JSON.

Rules (subscription resource type, outlook-change-notifications-overview, webhooks docs):
``changeType`` is created, updated and/or deleted (comma-separated); ``resource`` is a message
collection: ``me/messages``, ``me/mailFolders('{id}')/messages`` and the same under
``users/{id}``; ``clientState`` is at most 128 characters; ``expirationDateTime`` lies in the
future and at most MAX_MINUTES ahead; delegated callers subscribe only to their own mailbox
(Outlook notifications do not take the .Shared permissions).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from ..common import GraphFailure, parse_time
from ..routing.grammar import split_path

# Outlook message subscriptions without resource data: 10,080 minutes (under 7 days) in the
# subscription resource's table as it reads now; older versions of the page said 4,230.
MAX_MINUTES = 10080
CHANGE_TYPES = ("created", "updated", "deleted")
CLIENT_STATE_MAX = 128
MAILBOX_LIMIT = 1000  # "a maximum limit of 1000 active subscriptions for Outlook resources per mailbox"


@dataclass
class Subscription:
    id: str
    resource: str  # as the client wrote it
    change_types: list[str]
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expires: dt.datetime
    application_id: str
    creator_id: str  # the signed-in user, or the app's service principal
    tenant_id: str
    mailbox_id: str  # the user id of the mailbox watched
    folder: str | None  # a well-known folder name; None: every folder of the mailbox
    authorized_until: float  # epoch seconds: the access token's expiry at create, renew, reauthorize
    delegated: bool = True
    last_reauthorization_notice: float | None = None
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["expires"], data["created"] = self.expires.isoformat(), self.created.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Subscription":
        data = dict(data)
        data["expires"] = dt.datetime.fromisoformat(data["expires"])
        data["created"] = dt.datetime.fromisoformat(data["created"])
        return cls(**data)


def invalid(message: str) -> GraphFailure:
    return GraphFailure(400, "InvalidRequest", message)  # wording UNCONFIRMED unless noted


def graph_time(moment: dt.datetime) -> str:
    """Graph's form, seven fractional digits: 2022-01-01T21:42:18.2257768Z."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def parse_change_types(raw) -> list[str]:
    if not isinstance(raw, str) or not raw.strip():
        raise invalid("The 'changeType' property is required: created, updated and/or deleted.")
    names = [part.strip().lower() for part in raw.split(",")]
    if any(name not in CHANGE_TYPES for name in names) or len(set(names)) != len(names):
        raise invalid(f"Invalid 'changeType' '{raw}': use created, updated and/or deleted, "
                      "separated by commas.")
    return [name for name in CHANGE_TYPES if name in names]


def parse_expiration(raw, now: dt.datetime) -> dt.datetime:
    moment = parse_time(raw)
    if moment is None:
        raise invalid("The 'expirationDateTime' property is required, as an ISO 8601 date "
                      "and time.")
    if moment <= now:
        raise invalid("Subscription expiration must be in the future.")
    if moment > now + dt.timedelta(minutes=MAX_MINUTES):
        # Code and wording as observed from Graph (microsoft-graph-docs #2988).
        raise GraphFailure(400, "ExtensionError", "Subscription expiration can only be "
                           f"{MAX_MINUTES} minutes in the future.")
    return moment


def parse_client_state(raw) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > CLIENT_STATE_MAX:
        raise invalid(f"The 'clientState' property is at most {CLIENT_STATE_MAX} characters.")
    return raw


def check_url(raw, name: str, http_loopback: bool) -> str:
    """An absolute https URL, or http to a loopback host when the emulator allows it."""
    try:
        parts = urlsplit(raw) if isinstance(raw, str) else None
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.hostname:
        # "Invalid notification url='…'." as observed (microsoftgraph/nodejs-webhooks-sample #9).
        spoken = "lifecycle notification" if name.lower().startswith("lifecycle") \
            else "notification"
        raise invalid(f"Invalid {spoken} url='{raw}'.")
    scheme = parts.scheme.lower()
    loopback = parts.hostname in ("localhost", "::1") or parts.hostname.startswith("127.")
    if scheme == "https" or (scheme == "http" and loopback and http_loopback):
        return raw
    # "NotificationUrl scheme='http' is not supported." as observed (docs-contrib #7821).
    raise invalid(f"{name[0].upper() + name[1:]} scheme='{scheme}' is not supported.")


def parse_resource(raw) -> tuple[str | None, str | None]:
    """(user reference or None for /me, folder reference or None for the whole mailbox)."""
    if not isinstance(raw, str) or not raw.strip():
        raise invalid("The 'resource' property is required.")
    path, _, query = raw.strip().partition("?")
    if query:
        raise GraphFailure(501, "NotImplemented", "The emulator does not implement query "
                           "options ($filter, $select) in a subscription's resource.")
    segments = split_path(path)
    lower = [s.lower() for s in segments]
    user = None
    if lower[:1] == ["users"] and len(segments) >= 2:
        user, rest = segments[1], lower[2:]
        folder_segments = segments[2:]
    elif lower[:1] == ["me"]:
        rest, folder_segments = lower[1:], segments[1:]
    else:
        raise _unsupported(raw)
    if rest == ["messages"]:
        return user, None
    if len(rest) == 3 and rest[0] == "mailfolders" and rest[2] == "messages":
        return user, folder_segments[1]
    raise _unsupported(raw)


def _unsupported(raw: str) -> GraphFailure:
    return GraphFailure(501, "NotImplemented", "The emulator implements subscriptions to "
                        f"messages only (me/messages, me/mailFolders('{{id}}')/messages, and "
                        f"under users/{{id}}), not to '{raw}'.")


def subscription_json(sub: Subscription, with_client_state: bool) -> dict:
    """The subscription as Graph returns it. A listing leaves clientState out ("not returned
    for security purposes", subscription-list); GET doing the same is UNCONFIRMED."""
    return {
        "id": sub.id, "resource": sub.resource, "applicationId": sub.application_id,
        "changeType": ",".join(sub.change_types),
        "clientState": sub.client_state if with_client_state else None,
        "notificationUrl": sub.notification_url, "notificationQueryOptions": None,
        "lifecycleNotificationUrl": sub.lifecycle_url,
        "expirationDateTime": graph_time(sub.expires), "creatorId": sub.creator_id,
        "includeResourceData": None, "latestSupportedTlsVersion": "v1_2",
        "encryptionCertificate": None, "encryptionCertificateId": None,
        "notificationUrlAppId": None, "notificationContentType": None,
    }
