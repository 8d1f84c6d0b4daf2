"""Finding folders and messages from URL segments, and reading the client's body preference."""
from __future__ import annotations

import re

from flask import request

from ...directory import User
from ..auth import Caller, resolve_mailbox
from ..common import GraphFailure
from .store import Folder, Mailbox, MailStore, Message, mail_store, well_formed

NOT_FOUND = ("ErrorItemNotFound", "The specified object was not found in the store.")
MALFORMED = ("ErrorInvalidIdMalformed", "Id is malformed.")
_PREFER = re.compile(r'outlook\.body-content-type\s*=\s*"?(text|html)"?', re.I)


def find_folder(box: Mailbox, ref: str) -> Folder:
    folder = box.folder(ref)
    if folder is not None:
        return folder
    if not ref.startswith("AQMkAD"):
        raise GraphFailure(400, *MALFORMED)
    raise GraphFailure(404, *NOT_FOUND)


def find_message(box: Mailbox, message_id: str, folder: str | None = None) -> Message:
    """A message of this mailbox (optionally in this folder) by id."""
    if not well_formed(message_id):
        raise GraphFailure(400, *MALFORMED)
    message = box.messages.get(message_id)
    if message is None or (folder is not None and find_folder(box, folder).name != message.folder):
        raise GraphFailure(404, *NOT_FOUND)
    return message


def locate(caller: Caller, message_id: str, user: str | None, folder: str | None,
           access: str) -> tuple[User, MailStore, Mailbox, Message]:
    """The mailbox a message route names (checked for ``access``), and the message in it."""
    owner, _ = resolve_mailbox(caller, user, access)
    store = mail_store()
    box = store.mailbox(owner.id)
    return owner, store, box, find_message(box, message_id, folder)


def find_attachment(message: Message, attachment_id: str):
    if not well_formed(attachment_id):
        raise GraphFailure(400, *MALFORMED)
    for attachment in message.attachments:
        if attachment.id == attachment_id:
            return attachment
    raise GraphFailure(404, *NOT_FOUND)


def body_preference() -> tuple[str | None, dict]:
    """("text" | "html" | None, response headers) from ``Prefer: outlook.body-content-type``."""
    for value in request.headers.getlist("Prefer"):
        match = _PREFER.search(value)
        if match:
            kind = match.group(1).lower()
            return kind, {"Preference-Applied": f'outlook.body-content-type="{kind}"'}
    return None, {}
