"""``POST …/messages/{id}/move`` and ``…/copy`` with ``destinationId`` (a folder id or a
well-known name): 201 with the message in its new folder. Moving gives the message a new id, as
Exchange does ("creates a new copy … and removes the original"); Mail.ReadWrite.
"""
from __future__ import annotations

import copy as deep

from ..auth import Caller
from ..common import GraphFailure, api_base, json_response, now, read_json
from .lookup import body_preference, find_folder, locate
from .sendmail import action_parameters
from .store import Attachment, Message, change_key, new_id
from .json_out import message_json
from ..routing.table import message_route
from ..schema import parse


def _destination(operation: str) -> str:
    params = action_parameters(read_json(), operation, ("destinationId",))
    destination = parse(params.get("destinationId"), "Edm.String", "DestinationId")
    if not destination:
        raise GraphFailure(400, "ErrorInvalidParameter",  # wording UNCONFIRMED
                           "The value of the parameter 'DestinationId' is empty.")
    return destination


def _moved_response(box, message: Message):
    body_type, headers = body_preference()
    # The docs' example answers with this context and an explicit @odata.type.
    payload = {"@odata.context": f"{api_base()}/$metadata#message",
               "@odata.type": "#microsoft.graph.message",
               **message_json(box, message, None, body_type)}
    return json_response(payload, 201, headers)


@message_route("POST", "{message_id}/move")
def move_message(caller: Caller, message_id: str, user: str | None = None,
                 folder: str | None = None):
    """Move to another folder of the same mailbox."""
    owner, store, box, message = locate(caller, message_id, user, folder, "write")
    target = find_folder(box, _destination("move"))
    with store.lock:
        if box.messages.get(message.id) is not message:
            raise GraphFailure(404, "ErrorItemNotFound",
                               "The specified object was not found in the store.")
        if target.name != message.folder:
            box.move(message, target.name, now())
    return _moved_response(box, message)


@message_route("POST", "{message_id}/copy")
def copy_message(caller: Caller, message_id: str, user: str | None = None,
                 folder: str | None = None):
    """A copy in the destination folder (attachments share their stored bytes)."""
    owner, store, box, message = locate(caller, message_id, user, folder, "write")
    target = find_folder(box, _destination("copy"))
    moment = now()
    copied = Message(
        id=new_id(), folder=target.name, props=deep.deepcopy(message.props),
        created=moment, modified=moment, received=message.received, sent=message.sent,
        change_key=change_key(), internet_message_id=message.internet_message_id,
        conversation_id=message.conversation_id, conversation_index=message.conversation_index,
        is_draft=message.is_draft, is_read=message.is_read,
        headers=[dict(h) for h in message.headers],
        attachments=[Attachment(id=new_id("AAMkAD", 45), name=a.name, content_type=a.content_type,
                                blob=a.blob, is_inline=a.is_inline, content_id=a.content_id,
                                content_location=a.content_location, modified=moment)
                     for a in message.attachments])
    with store.lock:
        box.put(copied)
    return _moved_response(box, copied)
