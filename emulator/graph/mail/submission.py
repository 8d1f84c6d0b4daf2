"""Submitting a message: recipients, send-as / send-on-behalf, size, delivery, Sent Items.

Rules (Microsoft's "Send Outlook messages from another user" and facts §4/§8):
- ``from`` other than the acting user needs Mail.Send.Shared (delegated) and Send As or Send on
  Behalf on that mailbox, else 403 ErrorSendAsDenied. Send As: sender = from = the mailbox;
  Send on Behalf: sender = the acting user, from = the mailbox. App-only callers act as the
  mailbox owner of the URL (``/users/{id}``).
- The Sent Items copy goes to the URL's mailbox (``/me``: the signer's; ``/users/{x}``: x's),
  unless saveToSentItems is false.
- Every To/Cc/Bcc recipient with a mailbox in the directory gets an Inbox copy (a distribution
  list is expanded to its members); Bcc stays only in the sender's copy; other addresses are
  accepted and not delivered.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
import math
import re
from dataclasses import dataclass

from ...directory import SEND_AS, SEND_ON_BEHALF, User
from ...state import get_state
from ..auth import Caller
from ..common import GraphFailure, now
from .json_in import new_conversation, new_internet_message_id
from .extended_props import PROPERTY, deferred_send_time, normalize
from .store import Attachment, MailStore, Message, change_key, new_id
from ..sending_limits import admit_send, recipients_per_message

logger = logging.getLogger(__name__)

SEND_AS_DENIED = ("ErrorSendAsDenied",
                  "The user account which was used to submit this request does not have the right "
                  "to send mail on behalf of the specified sending account. Cannot submit message.")
_ADDRESS = re.compile(r"^[^@\s\"<>(),;:\\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_INVALID = "At least one recipient isn't valid."


def validate_recipients(props: dict) -> list[str]:
    """All recipient addresses, or 400 ErrorInvalidRecipients with Exchange's wording."""
    addresses = []
    for field in ("toRecipients", "ccRecipients", "bccRecipients"):
        for item in props.get(field) or []:
            email = (item or {}).get("emailAddress") or {}
            address = (email.get("address") or "").strip()
            if not _ADDRESS.match(address):
                shown = address or email.get("name") or ""
                raise GraphFailure(400, "ErrorInvalidRecipients",
                                   f"{_INVALID}, Recipient \"{shown}\" isn't resolved. All "
                                   "recipients must be resolved before a message can be submitted.")
            addresses.append(address)
    if not addresses:
        raise GraphFailure(400, "ErrorInvalidRecipients",
                           f"{_INVALID}, A message can't be sent because it contains no recipients.")
    limit = recipients_per_message()  # Exchange Online's default: 500 (graph/sending_limits.py)
    if limit is not None and len(addresses) > limit:
        # UNCONFIRMED: Exchange may instead accept and bounce (5.5.3); code and wording are ours.
        raise GraphFailure(400, "ErrorTooManyRecipients",
                           f"The message has {len(addresses)} recipients; the maximum is "
                           f"{limit}.")
    return addresses


def resolve_sender(caller: Caller, owner: User, props: dict) -> tuple[dict, dict]:
    """(from, sender) recipients after the send-as / send-on-behalf check."""
    directory = get_state().directory
    actor = owner if caller.app_only else caller.user
    address = ((props.get("from") or {}).get("emailAddress") or {}).get("address")
    mailbox = directory.user(address) if address else owner
    if mailbox is None:
        raise GraphFailure(403, *SEND_AS_DENIED)
    if mailbox.id == actor.id:
        return _as_recipient(actor), _as_recipient(actor)
    if not caller.app_only and "mail.send.shared" not in caller.grants:
        raise GraphFailure(403, *SEND_AS_DENIED)
    rights = directory.rights(actor.id, mailbox.id)
    if SEND_AS in rights:
        return _as_recipient(mailbox), _as_recipient(mailbox)
    if SEND_ON_BEHALF in rights:
        return _as_recipient(mailbox), _as_recipient(actor)
    raise GraphFailure(403, *SEND_AS_DENIED)


def _as_recipient(user: User) -> dict:
    return {"emailAddress": {"name": user.display_name,
                             "address": user.mail or user.user_principal_name}}


def check_size(owner: User, size: int) -> None:
    if size > owner.max_message_size:
        raise GraphFailure(400, "ErrorMessageSizeExceeded",
                           "The message exceeds the maximum supported size.")


def delivery_targets(addresses: list[str]) -> list[User]:
    """Directory mailboxes reached by these addresses, distribution lists expanded, deduplicated."""
    directory, seen, targets = get_state().directory, set(), []

    def visit(address: str, depth: int) -> None:
        user = directory.user(address)
        if user is None or user.id in seen or depth > 10:
            return
        seen.add(user.id)
        if user.kind == "group" and not user.has_mailbox:
            for member in user.members:
                visit(member, depth + 1)
        elif user.has_mailbox:
            targets.append(user)

    for address in addresses:
        visit(address, 0)
    return targets


def submit(store: MailStore, caller: Caller, owner: User, props: dict, headers: list[dict],
           attachments: list[Attachment], save_to_sent: bool, draft: Message | None = None,
           thread: tuple[str, str] | None = None) -> None:
    """Check and deliver one message; the draft (if any) leaves the Drafts folder.

    With PidTagDeferredSendTime in the future the message waits in the owner's Outbox and is
    delivered at its time (``MailStore.release_due``) unless it left the Outbox meanwhile (deleted
    or moved: Outlook's way to cancel a scheduled send); a past time sends at once.
    """
    addresses = validate_recipients(props)
    props = dict(props, **{PROPERTY: normalize(props.get(PROPERTY))})
    sender_from, sender = resolve_sender(caller, owner, props)
    moment = now()
    body = ((props.get("body") or {}).get("content") or "").encode()
    check_size(owner, len(body) + sum(a.size for a in attachments))
    conversation = (draft.conversation_id, draft.conversation_index) if draft \
        else thread or new_conversation()
    # What is delivered, Bcc kept: the sender's copies are made from it, and it is also the
    # item that waits in the Outbox when the send is deferred. isDraft of a waiting Outbox item
    # is UNCONFIRMED (facts §7 leave its listing open).
    template = Message(
        id=new_id(), folder="outbox", props=dict(props, **{"from": sender_from, "sender": sender}),
        created=moment, modified=moment, received=moment, sent=moment, change_key=change_key(),
        internet_message_id=props.get("internetMessageId") or (
            draft.internet_message_id if draft else new_internet_message_id()),
        conversation_id=conversation[0], conversation_index=conversation[1], is_draft=False,
        is_read=True, headers=[dict(h) for h in headers],
        attachments=[_attachment_copy(a, moment) for a in attachments])
    due = deferred_send_time(props)
    with store.lock:
        box = store.mailbox(owner.id)
        if draft is not None and draft.id not in box.messages:
            raise GraphFailure(404, "ErrorItemNotFound",  # sent meanwhile by another request
                               "The specified object was not found in the store.")
        wait = admit_send(owner.id, len(addresses))  # sending limits: 429, or a wait for a slot
        if draft is not None:
            box.take(draft)
        if wait > 0:  # over the message rate: Exchange carries it over to its minute
            slot = store.now() + dt.timedelta(seconds=math.ceil(wait))
            due = max(due, slot) if due is not None else slot
        if due is None or due <= store.now():
            deliver(store, owner.id, template, save_to_sent, moment)
            return
        box.put(template)
        store.defer(due, DeferredSend(owner.id, template.id, save_to_sent))
    logger.info("deferred %s until %s", template.internet_message_id, due.isoformat())


def _attachment_copy(a: Attachment, when: dt.datetime) -> Attachment:
    """A copy for another message: a new id, the same stored bytes."""
    return Attachment(id=new_id("AAMkAD", 45), name=a.name, content_type=a.content_type,
                      blob=a.blob, is_inline=a.is_inline, content_id=a.content_id,
                      content_location=a.content_location, modified=when)


def _copy(template: Message, folder: str, keep_bcc: bool, is_read: bool,
          when: dt.datetime) -> Message:
    props = copy.deepcopy(template.props)
    if not keep_bcc:
        props["bccRecipients"] = []
    return Message(
        id=new_id(), folder=folder, props=props, created=when, modified=when, received=when,
        sent=when, change_key=change_key(), internet_message_id=template.internet_message_id,
        conversation_id=template.conversation_id,
        conversation_index=template.conversation_index, is_draft=False, is_read=is_read,
        headers=[dict(h) for h in template.headers],
        attachments=[_attachment_copy(a, when) for a in template.attachments])


def deliver(store: MailStore, owner_id: str, template: Message, save_to_sent: bool,
            when: dt.datetime) -> None:
    """The Sent Items copy (if asked) and an Inbox copy for every recipient with a mailbox."""
    addresses = [((item or {}).get("emailAddress") or {}).get("address") or ""
                 for field in ("toRecipients", "ccRecipients", "bccRecipients")
                 for item in template.props.get(field) or []]
    with store.lock:
        if save_to_sent:
            store.mailbox(owner_id).put(_copy(template, "sentitems", True, True, when))
        for user in delivery_targets([a.strip() for a in addresses if a]):
            store.mailbox(user.id).put(_copy(template, "inbox", False, False, when))
    logger.info("delivered %s from %s to %d recipient(s)", template.internet_message_id,
                ((template.props.get("from") or {}).get("emailAddress") or {}).get("address"),
                len(addresses))


@dataclass
class DeferredSend:
    """A send waiting in its owner's Outbox until its time (data, so it survives a restart)."""

    owner_id: str
    message_id: str  # the waiting Outbox item
    save_to_sent: bool

    def __call__(self, store: MailStore, when: dt.datetime) -> None:
        box = store.mailbox(self.owner_id)
        waiting = box.messages.get(self.message_id)
        # Deleted or moved meanwhile (both give it a new id and folder): not sent.
        if waiting is None or waiting.folder != "outbox":
            return
        box.take(waiting)
        deliver(store, self.owner_id, waiting, self.save_to_sent, when)
