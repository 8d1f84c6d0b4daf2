"""``/subscriptions``: create (with the validation handshake), list, get, renew, delete,
reauthorize, as subscription-post-subscriptions, -list, -get, -update, -delete describe them.

Creating or managing a message subscription needs read access to the messages: Mail.ReadBasic,
Mail.Read or Mail.ReadWrite (delegated, own mailbox only), Mail.ReadBasic.All, Mail.Read or
Mail.ReadWrite (application). A caller sees the subscriptions its app created: for the
signed-in user (delegated) or in its tenant (application); others answer 404.
"""
from __future__ import annotations

import time

from ..auth import ACCESS_DENIED, Caller, resolve_user
from ..common import GraphFailure, api_base, empty_response, json_response, read_json
from ..mail.lookup import find_folder
from ..routing.table import route
from ...state import get_state
from . import model, webhook
from .registry import new_id, registry

NOT_FOUND = ("ResourceNotFound", "The object was not found.")  # code and wording UNCONFIRMED
CONTEXT = "/$metadata#subscriptions"


def _field(body: dict, name: str):
    """A property named case-insensitively, as Graph reads JSON property names."""
    return next((v for k, v in body.items() if k.lower() == name.lower()), None)


def _authorized_until(caller: Caller) -> float:
    """The token's expiry on the mail clock (tokens are issued on real time): a token good for
    an hour more is good for an hour of the mail clock, so moving the clock ages it too."""
    left = float(caller.claims.get("exp", 0)) - time.time()
    return registry(get_state()).now() + left


def _app_id(caller: Caller) -> str:
    return caller.claims.get("appid") or caller.claims.get("azp") or ""


def _check_access(caller: Caller, owner) -> None:
    if not caller.app_only and owner.id != caller.user.id:
        # Outlook notifications take no .Shared permission: another person's mailbox is out of
        # reach of a delegated caller (outlook-change-notifications-overview). Code UNCONFIRMED.
        raise GraphFailure(403, *ACCESS_DENIED)
    caller.require("folders")
    if not owner.has_mailbox:
        raise GraphFailure(404, "MailboxNotEnabledForRESTAPI",  # as auth.resolve_mailbox
                           "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")


def _validate(url: str) -> None:
    webhook.validate(url, registry(get_state()).settings.validation_timeout_seconds)


@route("POST", "subscriptions")
def create(caller: Caller):
    """201 with the subscription, once both endpoints passed the validation handshake."""
    body = read_json()
    state = get_state()
    reg = registry(state)
    user_ref, folder_ref = model.parse_resource(_field(body, "resource"))
    owner = resolve_user(caller, user_ref)
    _check_access(caller, owner)
    folder = find_folder(reg.store.mailbox(owner.id), folder_ref).name if folder_ref else None
    change_types = model.parse_change_types(_field(body, "changeType"))
    loopback = reg.settings.http_loopback
    notification_url = model.check_url(_field(body, "notificationUrl"), "notificationUrl",
                                       loopback)
    lifecycle_url = _field(body, "lifecycleNotificationUrl")
    if lifecycle_url is not None:
        lifecycle_url = model.check_url(lifecycle_url, "lifecycleNotificationUrl", loopback)
    client_state = model.parse_client_state(_field(body, "clientState"))
    expires = model.parse_expiration(_field(body, "expirationDateTime"), reg.now_dt())
    if _field(body, "includeResourceData") is True:
        if not _field(body, "encryptionCertificate"):
            raise model.invalid("An 'encryptionCertificate' is required when "
                                "'includeResourceData' is true.")
        raise GraphFailure(501, "NotImplemented", "The emulator does not implement change "
                           "notifications with resource data.")
    if reg.count_for(owner.id) >= model.MAILBOX_LIMIT:
        raise GraphFailure(403, "ExtensionError",  # shaped as Outlook's errors; UNCONFIRMED
                           "Operation: Create; Exception: [Status Code: Forbidden; Reason: The "
                           f"mailbox has reached its limit of {model.MAILBOX_LIMIT} "
                           "subscriptions.]")
    _validate(notification_url)
    if lifecycle_url:
        _validate(lifecycle_url)  # "Microsoft Graph will also validate the lifecycleNotificationUrl"
    sub = model.Subscription(
        id=new_id(), resource=_field(body, "resource"), change_types=change_types,
        notification_url=notification_url, lifecycle_url=lifecycle_url,
        client_state=client_state, expires=expires, application_id=_app_id(caller),
        creator_id=caller.claims.get("oid", ""), tenant_id=owner.tenant_id,
        mailbox_id=owner.id, folder=folder, authorized_until=_authorized_until(caller),
        delegated=not caller.app_only)
    reg.add(sub)
    return json_response({"@odata.context": f"{api_base()}{CONTEXT}/$entity",
                          **model.subscription_json(sub, with_client_state=True)}, 201)


def _visible(caller: Caller, sub: model.Subscription) -> bool:
    if sub.application_id != _app_id(caller):
        return False
    if caller.app_only:
        return sub.tenant_id == caller.tenant_id
    return sub.creator_id == caller.user.id


def _find(caller: Caller, subscription_id: str) -> model.Subscription:
    caller.require("folders")
    reg = registry(get_state())
    with reg.lock:
        sub = reg.subscriptions.get(subscription_id)
    if sub is None or not _visible(caller, sub):
        raise GraphFailure(404, *NOT_FOUND)
    return sub


@route("GET", "subscriptions")
def list_subscriptions(caller: Caller):
    """The subscriptions this app created (for the signed-in user, or in the app's tenant)."""
    caller.require("folders")
    reg = registry(get_state())
    with reg.lock:
        mine = [s for s in reg.subscriptions.values() if _visible(caller, s)]
    return json_response({"@odata.context": f"{api_base()}{CONTEXT}",
                          "value": [model.subscription_json(s, False) for s in mine]})


@route("GET", "subscriptions/{subscription_id}")
def get_subscription(caller: Caller, subscription_id: str):
    sub = _find(caller, subscription_id)
    return json_response({"@odata.context": f"{api_base()}{CONTEXT}/$entity",
                          **model.subscription_json(sub, False)})


@route("PATCH", "subscriptions/{subscription_id}")
def update_subscription(caller: Caller, subscription_id: str):
    """Renew (a new expirationDateTime; it also reauthorizes) or move (a new notificationUrl,
    validated first): 200 with the subscription."""
    sub = _find(caller, subscription_id)
    body = read_json()
    reg = registry(get_state())
    unknown = {k for k in body if k.lower() not in ("expirationdatetime", "notificationurl")}
    if unknown:
        raise model.invalid(f"Only expirationDateTime and notificationUrl can be updated, not "
                            f"'{sorted(unknown)[0]}'.")
    expires = sub.expires
    if _field(body, "expirationDateTime") is not None:
        expires = model.parse_expiration(_field(body, "expirationDateTime"), reg.now_dt())
    url = _field(body, "notificationUrl")
    if url is not None:
        url = model.check_url(url, "notificationUrl", reg.settings.http_loopback)
        _validate(url)
    with reg.lock:
        sub.expires = expires
        sub.notification_url = url or sub.notification_url
        sub.authorized_until = _authorized_until(caller)
        sub.last_reauthorization_notice = None
    reg.changed()
    return json_response({"@odata.context": f"{api_base()}{CONTEXT}/$entity",
                          **model.subscription_json(sub, False)})


@route("POST", "subscriptions/{subscription_id}/reauthorize")
def reauthorize(caller: Caller, subscription_id: str):
    """Reauthorize with the caller's current token, without extending the expiry: 204."""
    sub = _find(caller, subscription_id)
    reg = registry(get_state())
    with reg.lock:
        sub.authorized_until = _authorized_until(caller)
        sub.last_reauthorization_notice = None
    reg.changed()
    return empty_response(204)


@route("DELETE", "subscriptions/{subscription_id}")
def delete_subscription(caller: Caller, subscription_id: str):
    sub = _find(caller, subscription_id)
    registry(get_state()).remove(sub.id)
    return empty_response(204)
