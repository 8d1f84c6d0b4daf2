"""The longest request line (method, address, protocol) the app answers: 4,094 bytes.

That is gunicorn's own default limit. gunicorn.conf.py raises gunicorn's to its maximum (8,190)
so that a line between the two reaches the app, which refuses it in its own words: the API's
JSON under /api/, a page elsewhere. Lines longer than 8,190 bytes are still refused by gunicorn
before the app sees them (its plain 414).
"""
from __future__ import annotations

from urllib.parse import quote

from flask import abort, request

MAX_REQUEST_LINE = 4094


def request_line_length(environ) -> int:
    """The request line's length as the client sent it (servers keep the raw address)."""
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not uri:
        uri = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        if environ.get("QUERY_STRING"):
            uri += "?" + environ["QUERY_STRING"]
    return (len(environ.get("REQUEST_METHOD", "")) + 1 + len(uri) + 1
            + len(environ.get("SERVER_PROTOCOL", "")))


def refuse_long_request_lines():
    """A before_request hook: 414 for a request line over MAX_REQUEST_LINE bytes."""
    if request_line_length(request.environ) > MAX_REQUEST_LINE:
        abort(414, description=f"The address of this request (its path and query) is longer "
                               f"than this app accepts: a request line of at most "
                               f"{MAX_REQUEST_LINE:,} bytes.")
