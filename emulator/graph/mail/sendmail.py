"""``POST /me/sendMail`` and ``/users/{id | upn}/sendMail``: JSON or base64 MIME, 202 empty."""
from __future__ import annotations

from flask import request

from . import mime_in
from ..auth import Caller, resolve_mailbox
from ..common import GraphFailure, empty_response, read_body, read_json
from .json_in import parse_message, take_attachments, take_headers, writable
from .store import mail_store
from ..routing.table import mailbox_route
from ..schema import BOOL, body_read, parse
from .submission import submit

PARAMETERS = ("message", "saveToSentItems")


def action_parameters(body: dict, operation: str, names: tuple[str, ...]) -> dict:
    """Action parameters by canonical name; Graph matches them case-insensitively."""
    by_lower = {name.lower(): name for name in names}
    found = {}
    for key, value in body.items():
        if "@" in key:
            continue
        canonical = by_lower.get(key.lower())
        if canonical is None:
            raise body_read(f"The parameter '{key}' in the request payload is not a valid "
                            f"parameter for the operation '{operation}'.")
        found[canonical] = value
    return found


@mailbox_route("POST", "sendMail")
def send_mail(caller: Caller, user: str | None = None):
    """Send a message in one call; it is saved to Sent Items unless saveToSentItems is false."""
    owner, _shared = resolve_mailbox(caller, user, "send")
    store = mail_store()
    if request.mimetype == "text/plain":
        props, headers, attachments = mime_in.parse(store, read_body())
        save = True
    else:
        params = action_parameters(read_json(), "sendMail", PARAMETERS)
        if params.get("message") is None:
            raise GraphFailure(400, "ErrorInvalidParameter",
                               "The value of the parameter 'Message' is empty.")
        save = parse(params.get("saveToSentItems"), BOOL, "SaveToSentItems")
        parsed = parse_message(params["message"])
        headers = take_headers(parsed)
        attachments = take_attachments(store, parsed)
        props = writable(parsed)
    submit(store, caller, owner, props, headers, attachments,
           save_to_sent=True if save is None else save)
    return empty_response(202)
