"""Check an identity-platform error body field by field, as Microsoft shapes it."""
from __future__ import annotations

import re
import uuid

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$")


def check_aadsts_body(body: dict, error: str, code: int) -> None:
    """``body`` is an AADSTS error: error, description with ids, codes, timestamp, uri."""
    assert body["error"] == error, body
    description = body["error_description"]
    assert description.startswith(f"AADSTS{code}: "), description
    lines = description.split("\r\n")
    assert lines[1] == f"Trace ID: {body['trace_id']}", lines
    assert lines[2] == f"Correlation ID: {body['correlation_id']}", lines
    assert lines[3].startswith("Timestamp: ") and lines[3].endswith("Z"), lines
    assert body["error_codes"] == [code]
    assert _TIMESTAMP.match(body["timestamp"]), body["timestamp"]
    uuid.UUID(body["trace_id"]), uuid.UUID(body["correlation_id"])
    assert body["error_uri"] == f"https://login.microsoftonline.com/error?code={code}"


def assert_aadsts(response, status: int, error: str, code: int) -> dict:
    """``response`` is a JSON AADSTS error with this HTTP status; returns the body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    check_aadsts_body(body, error, code)
    return body
