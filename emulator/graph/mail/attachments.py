"""A message's attachments: list, add (under 3 MB), get (JSON or raw ``$value``), delete.

Files of 3 MB or more cannot be posted: their base64 alone passes Graph's 4 MB request cap, so
``read_body`` answers 413 before we see them, as Graph does. They need an upload session.
"""
from __future__ import annotations

from flask import Response, request

from ..auth import Caller
from ..common import GraphFailure, api_base, empty_response, json_response, now, read_json
from .json_in import file_attachment
from .lookup import find_attachment, locate
from .json_out import ATTACHMENT_PROPS, attachment_json, parse_select
from ..routing.table import message_route
from ..schema import parse_attachment


def _context(owner_id: str, message_id: str) -> str:
    return f"{api_base()}/$metadata#users('{owner_id}')/messages('{message_id}')/attachments"


@message_route("GET", "{message_id}/attachments")
def list_attachments(caller: Caller, message_id: str, user: str | None = None,
                     folder: str | None = None):
    """The message's attachments, contentBytes included."""
    owner, _, box, message = locate(caller, message_id, user, folder, "read")
    select = parse_select(request.args.get("$select"), ATTACHMENT_PROPS, "attachment")
    return json_response({"@odata.context": _context(owner.id, message.id),
                          "value": [attachment_json(a, select) for a in message.attachments]})


@message_route("POST", "{message_id}/attachments")
def add_attachment(caller: Caller, message_id: str, user: str | None = None,
                   folder: str | None = None):
    """Attach a fileAttachment given inline as base64: 201 with the attachment."""
    owner, store, box, message = locate(caller, message_id, user, folder, "write")
    attachment = file_attachment(store, parse_attachment(read_json()))
    with store.lock:
        if message.total_size() + attachment.size > owner.max_message_size:
            raise GraphFailure(400, "ErrorMessageSizeExceeded",
                               "The message exceeds the maximum supported size., Cannot save "
                               "changes made to an item to store.")
        message.attachments.append(attachment)
        box.touched(message, now())
    return json_response({"@odata.context": _context(owner.id, message.id) + "/$entity",
                          **attachment_json(attachment)}, 201)


@message_route("GET", "{message_id}/attachments/{attachment_id}")
def get_attachment(caller: Caller, message_id: str, attachment_id: str,
                   user: str | None = None, folder: str | None = None):
    """One attachment with its contentBytes."""
    owner, _, _, message = locate(caller, message_id, user, folder, "read")
    attachment = find_attachment(message, attachment_id)
    select = parse_select(request.args.get("$select"), ATTACHMENT_PROPS, "attachment")
    return json_response({"@odata.context": _context(owner.id, message.id) + "/$entity",
                          **attachment_json(attachment, select)})


@message_route("GET", "{message_id}/attachments/{attachment_id}/$value")
def get_attachment_value(caller: Caller, message_id: str, attachment_id: str,
                         user: str | None = None, folder: str | None = None):
    """The raw bytes of a file attachment, streamed."""
    owner, _, _, message = locate(caller, message_id, user, folder, "read")
    attachment = find_attachment(message, attachment_id)
    response = Response(attachment.blob.chunks(),
                        content_type=attachment.content_type or "application/octet-stream")
    response.headers["Content-Length"] = str(attachment.size)
    return response


@message_route("DELETE", "{message_id}/attachments/{attachment_id}")
def delete_attachment(caller: Caller, message_id: str, attachment_id: str,
                      user: str | None = None, folder: str | None = None):
    """Remove an attachment: 204."""
    _, store, box, message = locate(caller, message_id, user, folder, "write")
    attachment = find_attachment(message, attachment_id)
    with store.lock:
        message.attachments.remove(attachment)
        box.touched(message, now())
    return empty_response(204)
