"""PUT and DELETE on an upload session's URL, as Outlook answers them.

- No ``Authorization`` header: the URL is pre-authenticated (``authtoken``). A PUT that carries a
  Graph bearer token gets Outlook's 401 InvalidAudienceForResource (pain point 2 in peers.md).
- ``Content-Range: bytes {start}-{end}/{total}``, 0-based inclusive, ``total`` = the declared
  size, ``Content-Length`` = end - start + 1, at most 4 MB, ranges in order: anything else is
  refused and the error carries ``nextExpectedRanges``.
- Intermediate PUT: 200 ``{"@odata.context", "ExpirationDateTime", "nextExpectedRanges"}``;
  the last: 201, empty body, ``Location`` of the new attachment. DELETE cancels: 204.
  GET reports ``nextExpectedRanges`` (UNCONFIRMED for Outlook; OneDrive sessions do).
The body is streamed to the session's spool file, never held whole in memory.
"""
from __future__ import annotations

import hmac
import logging
import re
from urllib.parse import quote

from flask import request

from ...state import get_state
from ...identity.tokens import InvalidToken
from ..common import GraphFailure, empty_response, json_response, now
from .store import Attachment, Blob, mail_store, new_id
from ..routing.grammar import split_path
from .upload_session import drop_session, outlook_base, outlook_time

logger = logging.getLogger(__name__)
MAX_CHUNK = 4 * 1024 * 1024  # UNCONFIRMED as a hard limit: the docs say "keep each range under 4 MB"
_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+)\s*$", re.I)
_PATH = ("users", None, "messages", None, "attachmentsessions", None)
_NOT_FOUND = ("ErrorItemNotFound", "The specified object was not found in the store.")


def _audience_failure() -> GraphFailure:
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    audience = "https://graph.microsoft.com/"
    try:
        audience = get_state().tokens.validate_access_token(token).get("aud", audience)
    except InvalidToken:
        pass
    host = get_state().urls.upload
    return GraphFailure(401, "InvalidAudienceForResource",
                        f"The audience claim value is invalid for current resource. Audience claim "
                        f"is '{audience}', request url is '{host}' and resource type is 'Exchange'.")


def _session(rest: str):
    segments = split_path(rest)
    if len(segments) != 6 or any(p and s.lower() != p for p, s in zip(_PATH, segments)):
        raise GraphFailure(404, "ResourceNotFound", "Resource could not be discovered.")
    if "Authorization" in request.headers:
        raise _audience_failure()
    store = mail_store()
    session = store.sessions.get(segments[5])
    if session is None or session.message_id != segments[3]:
        raise GraphFailure(404, *_NOT_FOUND)  # UNCONFIRMED for cancelled or unknown sessions
    user = get_state().directory.user(session.mailbox_id)
    if user is None or segments[1] != f"{user.id}@{user.tenant_id}" or not hmac.compare_digest(
            request.args.get("authtoken", ""), session.token):
        raise GraphFailure(401, "InvalidAuthenticationToken", "Access token validation failure.")
    if now() >= session.expires:
        drop_session(session)
        raise GraphFailure(401, "InvalidAuthenticationToken",  # UNCONFIRMED for Outlook
                           "Access token has expired or is not yet valid.")
    return session, user


def _range_error(message: str, received: int, status: int = 400) -> GraphFailure:
    return GraphFailure(status, "ErrorInvalidRequest" if status == 400 else "InvalidRange",
                        message, extra={"nextExpectedRanges": [f"{received}-"]})


def _store_chunk(session, start: int, length: int) -> None:
    """Append the body to the spool file; on a short body, roll the file back."""
    stream, written = request.stream, 0
    with open(session.path, "r+b") as handle:
        handle.seek(start)
        while written < length:
            chunk = stream.read(min(64 * 1024, length - written))
            if not chunk:
                break
            handle.write(chunk)
            written += len(chunk)
        if written != length:
            handle.truncate(start)
            raise _range_error(f"Expected {length} bytes, received {written}.", start)


def put_chunk(rest: str):
    session, user = _session(rest)
    with session.lock:
        match = _RANGE.match(request.headers.get("Content-Range", ""))
        if not match:
            raise _range_error("The Content-Range header is missing or malformed.", session.received)
        start, end, total = (int(g) for g in match.groups())
        length = request.content_length
        if total != session.size or end < start or end >= total:
            raise _range_error(f"The range bytes {start}-{end}/{total} does not fit the "
                               f"attachment of {session.size} bytes.", session.received)
        if length is None or length != end - start + 1:
            raise _range_error("Content-Length must equal the size of the Content-Range.",
                               session.received)
        if length > MAX_CHUNK:
            raise GraphFailure(413, "RequestEntityTooLarge",
                               "The maximum request length supported is 4MB.",
                               extra={"nextExpectedRanges": [f"{session.received}-"]})
        if start != session.received:
            raise _range_error(f"The uploaded fragment is out of order: it starts at {start}, "
                               f"the next expected byte is {session.received}.", session.received,
                               status=416)
        _store_chunk(session, start, length)
        session.received += length
        if session.received < session.size:
            return _status(session, user)
        return _complete(session, user)


def _status(session, user):
    key = quote(f"{user.id}@{user.tenant_id}", safe="")
    context = (f"{outlook_base()}/$metadata#Users('{key}')/Messages("
               f"'{quote(session.message_id, safe='')}')/AttachmentSessions/$entity")
    return json_response({"@odata.context": context,
                          "ExpirationDateTime": outlook_time(session.expires),
                          "nextExpectedRanges": [str(session.received)]})


def status(rest: str):
    """Where the session stands. UNCONFIRMED for Outlook (OneDrive sessions answer GET)."""
    session, user = _session(rest)
    with session.lock:
        return _status(session, user)


def _complete(session, user):
    store = mail_store()
    item = session.item
    attachment = Attachment(
        id=new_id("AAMkAD", 45), name=item.get("name"),
        content_type=item.get("contentType") or "application/octet-stream",
        blob=Blob(path=session.path, size=session.size), is_inline=bool(item.get("isInline")),
        content_id=item.get("contentId"), modified=now())
    with store.lock:
        box = store.mailbox(user.id)
        message = box.messages.get(session.message_id)
        if message is None:
            drop_session(session)
            raise GraphFailure(404, *_NOT_FOUND)
        if message.total_size() + attachment.size > user.max_message_size:
            drop_session(session)
            raise GraphFailure(400, "ErrorMessageSizeExceeded",
                               "The message exceeds the maximum supported size.")
        message.attachments.append(attachment)
        box.touched(message, now())
        drop_session(session, keep_file=True)
    location = (f"{outlook_base()}/Users('{user.id}@{user.tenant_id}')/Messages('{message.id}')"
                f"/Attachments('{attachment.id}')")
    logger.info("upload session %s completed: %d bytes", session.id, session.size)
    return empty_response(201, {"Location": location})


def cancel(rest: str):
    session, _ = _session(rest)
    with session.lock:
        drop_session(session)
    return empty_response(204)


def dispatch(rest: str):
    if request.method == "PUT":
        return put_chunk(rest)
    if request.method == "DELETE":
        return cancel(rest)
    if request.method == "GET":
        return status(rest)
    raise GraphFailure(405, "ErrorInvalidRequest",  # UNCONFIRMED
                       f"The HTTP method '{request.method}' is not supported on upload sessions.")

