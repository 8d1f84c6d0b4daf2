"""Talking to a subscriber's endpoints: the validation handshake and notification POSTs.

Validation (change-notifications-delivery-webhooks, "notificationUrl validation"): Graph POSTs
``{url}?validationToken={token}`` with ``Content-Type: text/plain; charset=utf-8`` and needs,
within 10 seconds, 200 OK, ``text/plain`` and the URL-decoded token as the body; otherwise the
subscription is not created. The error codes and wording below are Graph's as clients report
them (microsoftgraph/nodejs-webhooks-sample #158 and #350, java-spring-webhooks-sample #82).

Notifications: a JSON POST that must be answered 2xx within 3 seconds ("Notifications are
published using an HTTP client with a 3-second timeout").
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from urllib.parse import urlencode

import requests

from ..common import GraphFailure

VALIDATION_TIMEOUT = 10.0
NOTIFICATION_TIMEOUT = 3.0
_local = threading.local()


def _session() -> requests.Session:
    """One session per thread (requests sessions are not thread-safe); no proxies from the
    environment: receivers on loopback must be reached directly."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.trust_env = False
    return session


def _failed(detail: str) -> GraphFailure:
    return GraphFailure(400, "ValidationError", f"Subscription validation request failed. {detail}")


def validate(url: str, timeout: float = VALIDATION_TIMEOUT) -> None:
    """Run the handshake against ``url``; Graph's 400 when the endpoint does not pass it."""
    # The shape of the token is Graph's as seen by receivers; the docs call it opaque.
    token = ("Validation: Testing client application reachability for subscription "
             f"Request-Id: {uuid.uuid4()}")
    target = url + ("&" if "?" in url else "?") + urlencode({"validationToken": token})
    try:
        response = _session().post(target, data=b"", timeout=timeout,
                                   headers={"Content-Type": "text/plain; charset=utf-8"})
    except requests.Timeout:
        raise GraphFailure(400, "InvalidRequest",
                           "Subscription validation request timed out.") from None
    except requests.RequestException:
        raise _failed("Notification endpoint must respond with 200 OK to validation "
                      "request.") from None
    with response:
        if response.status_code != 200:
            raise _failed("Notification endpoint must respond with 200 OK to validation "
                          "request.")
        if (response.headers.get("Content-Type") or "").split(";")[0].strip().lower() \
                != "text/plain":
            raise _failed("Response must be of content type text/plain.")  # wording UNCONFIRMED
        if response.content.decode("utf-8", "replace") != token:
            raise _failed("Response must exactly match validationToken query parameter.")


def post(url: str, payload: dict, timeout: float = NOTIFICATION_TIMEOUT) -> tuple[int | None, float]:
    """POST one notification collection: (status, or None when there was no answer in time or
    no connection; seconds taken)."""
    started = time.monotonic()
    try:
        response = _session().post(url, data=json.dumps(payload).encode(), timeout=timeout,
                                   headers={"Content-Type": "application/json; charset=utf-8"})
        response.close()
        status = response.status_code
    except requests.RequestException:
        status = None
    return status, time.monotonic() - started
