"""Error bodies exactly as Microsoft shapes them: AADSTS for identity, OData errors for Graph."""
from __future__ import annotations

import datetime as dt
import uuid

from flask import Response, jsonify, request


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aadsts_body(error: str, code: int, message: str, **extra) -> dict:
    """The JSON body of a failed token request: error, AADSTS description, ids and timestamps."""
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    now = _now()
    description = (
        f"AADSTS{code}: {message}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}"
        f"\r\nTimestamp: {now.strftime('%Y-%m-%d %H:%M:%S')}Z"
    )
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": now.strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    body.update(extra)
    return body


def aadsts_response(error: str, code: int, message: str, status: int = 400, **extra) -> Response:
    response = jsonify(aadsts_body(error, code, message, **extra))
    response.status_code = status
    response.headers["Cache-Control"] = "no-store, no-cache"
    return response


def graph_error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    """Graph's error body with innerError, plus the request-id headers clients log."""
    request_id = str(uuid.uuid4())
    client_request_id = request.headers.get("client-request-id") or request_id
    response = jsonify({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": _now().strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    })
    response.status_code = status
    response.headers["request-id"] = request_id
    response.headers["client-request-id"] = client_request_id
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
