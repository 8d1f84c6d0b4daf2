"""Plumbing shared by the Graph views: failures, JSON responses, request bodies, timestamps."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from flask import Response, g, request

from ..errors import graph_error
from ..state import get_state

# WSGI environ key: access-token claims already validated for this request (request throttling
# checks the token before the view; authenticate() reuses the result instead of checking again).
VALIDATED_CLAIMS = "emulator.graph.validated_claims"

JSON_TYPE = ("application/json; odata.metadata=minimal; odata.streaming=true; "
             "IEEE754Compatible=false; charset=utf-8")
MAX_REQUEST = 4 * 1024 * 1024  # Graph's request cap ("The maximum request length supported is 4MB.")
_READ_CHUNK = 64 * 1024


class GraphFailure(Exception):
    """A Graph error response to send: status, code, message and extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None,
                 extra: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra or {}  # top-level keys beside "error" (e.g. nextExpectedRanges)

    def response(self) -> Response:
        response = graph_error(self.status, self.code, self.message, self.headers)
        if self.extra:
            body = response.get_json()
            body.update(self.extra)
            response.set_data(json.dumps(body))
        return response


def request_id() -> str:
    if "graph_request_id" not in g:
        g.graph_request_id = str(uuid.uuid4())
    return g.graph_request_id


def json_response(payload: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(payload, ensure_ascii=False), status=status,
                        content_type=JSON_TYPE)
    response.headers["OData-Version"] = "4.0"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def empty_response(status: int, headers: dict | None = None) -> Response:
    response = Response(b"", status=status)
    response.headers.pop("Content-Type", None)
    response.headers["Content-Length"] = "0"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def parse_time(raw) -> dt.datetime | None:
    """An ISO 8601 date and time ("Z" or an offset; none is UTC) as an aware datetime, else None."""
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) \
            else None
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.timezone.utc) if moment and moment.tzinfo is None else moment


def iso(moment: dt.datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def api_base() -> str:
    return f"{get_state().urls.api}/v1.0"


def read_body(limit: int = MAX_REQUEST) -> bytes:
    """The request body, read in chunks; over ``limit`` gives Graph's 413 (rest is drained)."""
    stream = request.stream
    chunks, total = [], 0
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            drain()  # so the client reads our 413, not a connection reset
            # Status and message as observed (python-o365 #472); the code is UNCONFIRMED.
            raise GraphFailure(413, "RequestEntityTooLarge",
                               "The maximum request length supported is 4MB.")
        chunks.append(chunk)
    return b"".join(chunks)


def drain(limit: int = 200 * 1024 * 1024) -> None:
    """Read and drop what is left of the body, so an early error reaches the client intact."""
    stream, total = request.stream, 0
    while total < limit:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            return
        total += len(chunk)


def read_json(required: bool = True) -> dict | None:
    """The JSON object in the request body, with Graph's errors for empty or broken payloads."""
    raw = read_body()
    content_type = (request.mimetype or "").lower()
    if not raw.strip():
        if not required:
            return None
        raise GraphFailure(400, "BadRequest", "Empty Payload. JSON content expected.")
    if not content_type:
        raise GraphFailure(400, "BadRequest",
                           "Write requests (excluding DELETE) must contain the Content-Type "
                           "header declaration.")
    if content_type != "application/json":
        raise GraphFailure(415, "RequestBodyRead",
                           "A supported MIME type could not be found that matches the content "
                           f"type of the request. None of the supported type(s) 'application/json' "
                           f"matches the content type '{request.content_type}'.")
    try:
        body = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise GraphFailure(400, "BadRequest",
                           "Unable to read JSON request payload. Please ensure Content-Type "
                           "header is set and payload is of valid JSON format.")
    return body
