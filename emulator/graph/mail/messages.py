"""Messages one by one: create a draft, get, update, delete, and send a draft.

``POST /me/messages`` (or ``/me/mailFolders/{id}/messages``) creates a draft (Mail.ReadWrite),
``POST /me/messages/{id}/send`` submits it (Mail.Send) with the same rules as sendMail.
"""
from __future__ import annotations

from flask import request

from . import extended_props, mime_in
from ..auth import Caller, resolve_mailbox
from ..common import (GraphFailure, api_base, empty_response, json_response, now, read_body,
                      read_json)
from .json_in import (UPDATABLE_AFTER_SEND, new_conversation, new_internet_message_id,
                      parse_message, take_attachments, take_headers, writable)
from .extended_props import PROPERTY
from .lookup import body_preference, find_folder, locate
from .store import Message, change_key, mail_store, new_id
from .json_out import MESSAGE_SELECTABLE, attachment_json, message_json, parse_select
from ..routing.table import message_route
from .submission import check_size, submit


def message_response(owner_id: str, box, message: Message, status: int = 200):
    """One message as Graph returns it, honouring $select, $expand=attachments and Prefer."""
    select = parse_select(request.args.get("$select"), MESSAGE_SELECTABLE, "message")
    body_type, headers = body_preference()
    payload = {"@odata.context": f"{api_base()}/$metadata#users('{owner_id}')/messages/$entity",
               **message_json(box, message, select, body_type)}
    for expand in split_expand(request.args.get("$expand") or ""):
        name = expand.partition("(")[0].strip().lower()
        if name == "attachments":
            payload["attachments"] = [attachment_json(a) for a in message.attachments]
        elif name == PROPERTY.lower():
            payload[PROPERTY] = extended_props.expand(message.props, PROPERTY + expand[len(name):])
        else:
            raise GraphFailure(400, "BadRequest", "Parsing OData Select and Expand failed: Could "
                               f"not find a property named '{name}' on type "
                               "'microsoft.graph.message'.")
    return json_response(payload, status, headers)


def split_expand(raw: str) -> list[str]:
    """``$expand`` items, split on the commas outside parentheses."""
    items, depth, start = [], 0, 0
    for index, char in enumerate(raw):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(raw[start:index])
            start = index + 1
    items.append(raw[start:])
    return [item.strip() for item in items if item.strip()]


@message_route("POST", "")
def create_draft(caller: Caller, user: str | None = None, folder: str | None = None):
    """Create a draft (JSON or base64 MIME) in Drafts or the given folder: 201 with the message."""
    owner, _ = resolve_mailbox(caller, user, "write")
    store = mail_store()
    box = store.mailbox(owner.id)
    target = find_folder(box, folder).name if folder else "drafts"
    if request.mimetype == "text/plain":
        props, headers, attachments = mime_in.parse(store, read_body())
    else:
        parsed = parse_message(read_json())
        headers, attachments = take_headers(parsed), take_attachments(store, parsed)
        props = writable(parsed)
    if PROPERTY in props:
        props[PROPERTY] = extended_props.normalize(props[PROPERTY])
    body = ((props.get("body") or {}).get("content") or "").encode()
    check_size(owner, len(body) + sum(a.size for a in attachments))
    moment = now()
    conversation_id, conversation_index = new_conversation()
    message = Message(
        id=new_id(), folder=target, props=props, created=moment, modified=moment,
        received=moment, sent=None, change_key=change_key(),
        internet_message_id=props.pop("internetMessageId", None) or new_internet_message_id(),
        conversation_id=conversation_id, conversation_index=conversation_index,
        is_draft=True, is_read=props.pop("isRead", True) is not False,
        headers=headers, attachments=attachments)
    with store.lock:
        box.put(message)
    return message_response(owner.id, box, message, 201)


@message_route("GET", "{message_id}")
def get_message(caller: Caller, message_id: str, user: str | None = None,
                folder: str | None = None):
    """One message of the mailbox."""
    owner, _, box, message = locate(caller, message_id, user, folder, "read")
    return message_response(owner.id, box, message)


@message_route("PATCH", "{message_id}")
def update_message(caller: Caller, message_id: str, user: str | None = None,
                   folder: str | None = None):
    """Update a draft (any writable property) or a sent/received message (flags, read state)."""
    owner, store, box, message = locate(caller, message_id, user, folder, "write")
    parsed = parse_message(read_json())
    for name in ("internetMessageHeaders", "attachments"):
        if name in parsed:
            # UNCONFIRMED code: headers are settable only at creation, attachments have their API.
            raise GraphFailure(400, "ErrorInvalidPropertyRequest",
                               f"The property '{name}' can't be updated on an existing item.")
    changes = writable(parsed)
    # Extended properties may be set on any item, sent or not (UNCONFIRMED for sent items).
    extended = extended_props.normalize(changes.pop(PROPERTY, None))
    if not message.is_draft:
        refused = sorted(set(changes) - set(UPDATABLE_AFTER_SEND))
        if refused:
            raise GraphFailure(400, "ErrorInvalidPropertyUpdateSentMessage",  # wording UNCONFIRMED
                               "Update operation failed. The property can't be updated after the "
                               f"item has been sent: '{refused[0]}'.")
    with store.lock:
        if "isRead" in changes:
            message.is_read = changes.pop("isRead") is not False
        if "internetMessageId" in changes:
            message.internet_message_id = changes.pop("internetMessageId") or \
                message.internet_message_id
        merged = dict(message.props, **changes)
        if extended:
            merged[PROPERTY] = extended_props.merge(merged.get(PROPERTY), extended)
        body = ((merged.get("body") or {}).get("content") or "").encode()
        check_size(owner, len(body) + sum(a.size for a in message.attachments))
        message.props = merged
        box.touched(message, now())
    return message_response(owner.id, box, message)


@message_route("DELETE", "{message_id}")
def delete_message(caller: Caller, message_id: str, user: str | None = None,
                   folder: str | None = None):
    """Move the message to Deleted Items (from there: delete it for good). 204."""
    owner, store, box, message = locate(caller, message_id, user, folder, "write")
    with store.lock:
        if box.messages.get(message.id) is not message:
            return empty_response(204)  # deleted meanwhile by another request
        if message.folder != "deleteditems":
            box.move(message, "deleteditems", now())  # moving changes the id
        else:
            box.take(message)
    return empty_response(204)


@message_route("POST", "{message_id}/send")
def send_draft(caller: Caller, message_id: str, user: str | None = None,
               folder: str | None = None):
    """Send a draft: 202, empty body; it moves to Sent Items."""
    owner, store, box, message = locate(caller, message_id, user, folder, "send")
    read_body()
    if not message.is_draft:
        raise GraphFailure(400, "ErrorInvalidOperation",  # UNCONFIRMED
                           "Only draft messages can be sent.")
    submit(store, caller, owner, message.props, message.headers, message.attachments,
           save_to_sent=True, draft=message)
    return empty_response(202)
