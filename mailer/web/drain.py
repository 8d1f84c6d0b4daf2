"""Read what a refused request left of its body, so its keep-alive connection stays usable.

A view or a check may answer before reading the body (signed out, CSRF, 404, too large). Under
gunicorn the next request on that connection then meets the unread bytes: gunicorn drains at
most 64 KB of them and otherwise drops the connection after the answer went out with
``keep-alive``, so the client's next request on it fails (RemoteDisconnected). Draining here,
bounded, keeps the connection and lets a browser read the refusal instead of a reset.
"""
from __future__ import annotations

import logging

from flask import Response, current_app, request
from werkzeug.wsgi import LimitedStream

logger = logging.getLogger(__name__)


def drain_unread_body(response: Response) -> Response:
    """after_request: discard the unread rest of a body of known length up to DRAIN_MAX bytes
    (a setting: 16 MB by default, milliseconds on loopback, seconds on a LAN)."""
    length = request.content_length
    if not length or length > current_app.config["DRAIN_MAX"]:
        return response
    stream = request.__dict__.get("stream")  # set once anything read the body (form, a view)
    if not isinstance(stream, LimitedStream):  # nothing read it, or reading it was refused
        stream = LimitedStream(request.environ["wsgi.input"], length)
    try:
        stream.exhaust()
    except (OSError, ValueError):  # the client went away: nothing left to keep
        logger.info("client closed the connection before its body was read")
    return response
