"""Upload sessions for attachments of 3 MB to 150 MB, shaped like Outlook's.

``createUploadSession`` (Graph, Mail.ReadWrite) returns an ``uploadUrl`` on the emulator's
*other* host name (as outlook.office.com is another host than graph.microsoft.com), path
``/api/v2.0/Users('{oid}@{tid}')/Messages('{id}')/AttachmentSessions('{id}')?authtoken=…``.
The PUT and DELETE views for that URL live in ``upload_url`` (registered by the package).
"""
from __future__ import annotations

import datetime as dt
import os
import secrets

from ...state import get_state
from ..auth import Caller, resolve_mailbox
from ..common import GraphFailure, api_base, json_response, now, read_json
from .lookup import find_message
from .sendmail import action_parameters
from .store import UploadSession, mail_store, new_id
from ..routing.table import message_route
from ..schema import parse_object

MIN_SIZE = 3 * 1024 * 1024
MAX_SIZE = 150 * 1024 * 1024
SESSION_LIFETIME = dt.timedelta(hours=6)  # UNCONFIRMED: Outlook's real lifetime is not documented


def outlook_time(moment: dt.datetime) -> str:
    """Outlook's seven-digit fractional seconds, e.g. 2019-09-25T01:09:30.7671707Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def outlook_base() -> str:
    return f"{get_state().urls.upload}/api/v2.0"


def owner_key(owner) -> str:
    return f"{owner.id}@{owner.tenant_id}"


def session_url(session: UploadSession, owner) -> str:
    return (f"{outlook_base()}/Users('{owner_key(owner)}')/Messages('{session.message_id}')"
            f"/AttachmentSessions('{session.id}')?authtoken={session.token}")


@message_route("POST", "{message_id}/attachments/createUploadSession")
def create_upload_session(caller: Caller, message_id: str, user: str | None = None,
                          folder: str | None = None):
    """Open an upload session for one file attachment: 201 uploadSession."""
    owner, _ = resolve_mailbox(caller, user, "write")
    store = mail_store()
    message = find_message(store.mailbox(owner.id), message_id, folder)
    params = action_parameters(read_json(), "createUploadSession", ("AttachmentItem",))
    if params.get("AttachmentItem") is None:
        raise GraphFailure(400, "ErrorInvalidParameter",
                           "The value of the parameter 'AttachmentItem' is empty.")
    item = parse_object(params["AttachmentItem"], "attachmentItem", "AttachmentItem")
    if (item.get("attachmentType") or "file") != "file":
        raise GraphFailure(501, "NotImplemented",
                           "The emulator supports upload sessions for file attachments only.")
    for required in ("name", "size"):
        if item.get(required) in (None, ""):
            raise GraphFailure(400, "ErrorInvalidParameter",  # UNCONFIRMED code and wording
                               f"The value of the property '{required}' of parameter "
                               "'AttachmentItem' is missing.")
    size = item["size"]
    if size < MIN_SIZE:
        raise GraphFailure(400, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
                           "Attachment size should not be less than 3 MB.")  # wording UNCONFIRMED
    if size > MAX_SIZE or message.total_size() + size > owner.max_message_size:
        raise GraphFailure(400, "ErrorMessageSizeExceeded",
                           "The message exceeds the maximum supported size.")
    session = UploadSession(
        id=new_id("AAMkAD", 30), token=secrets.token_urlsafe(48), mailbox_id=owner.id,
        message_id=message.id, item=item, size=size, expires=now() + SESSION_LIFETIME,
        path=store.spool_path())
    with open(session.path, "wb"):
        pass
    with store.lock:
        store.sessions[session.id] = session
    return json_response({
        "@odata.context": f"{api_base()}/$metadata#microsoft.graph.uploadSession",
        "uploadUrl": session_url(session, owner),
        "expirationDateTime": outlook_time(session.expires),
        "nextExpectedRanges": ["0-"],
    }, 201)


def drop_session(session: UploadSession, keep_file: bool = False) -> None:
    store = mail_store()
    with store.lock:
        store.sessions.pop(session.id, None)
    if not keep_file:
        try:
            os.unlink(session.path)
        except OSError:
            pass
