"""GraphError, the one exception of the Graph boundary: data, no words.

Every failed call (an error answer, a network failure, an unknown outcome) becomes a
``GraphError(status, code, message, request_id, retry_after)``; mailer/web/words.py says it
in words a person can act on.
"""
from __future__ import annotations

import requests

from mailer.graph.retry import parse_retry_after

NETWORK_ERROR = "NetworkError"  # nothing reached Graph, or an idempotent call failed
OUTCOME_UNKNOWN = "OutcomeUnknown"  # a send went out but its answer never came back
SIGN_IN_UNAVAILABLE = "SignInUnavailable"  # no token: the sign-in service failed (not Graph)


class GraphError(Exception):
    """A failed Graph call, parsed from Graph's error body."""

    def __init__(self, status: int, code: str, message: str, request_id: str | None = None,
                 retry_after: float | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.request_id = status, code, message, request_id
        self.retry_after = retry_after  # seconds Graph asked us to wait, when it said so

    @classmethod
    def from_response(cls, response: requests.Response) -> "GraphError":
        try:
            error = response.json().get("error", {})
            if not isinstance(error, dict):
                error = {}
        except ValueError:
            error = {}
        inner = error.get("innerError") or error.get("innererror") or {}
        retry_after = None
        value = response.headers.get("Retry-After")
        if value:
            retry_after = parse_retry_after(value)
        return cls(response.status_code, error.get("code") or f"HTTP{response.status_code}",
                   error.get("message") or response.reason or "",
                   response.headers.get("request-id") or inner.get("request-id"), retry_after)

    @property
    def outcome_unknown(self) -> bool:
        return self.code == OUTCOME_UNKNOWN


CONSENT_CODES = {"Authorization_RequestDenied"}


def needs_sign_in(error: GraphError) -> bool:
    """True when a fresh sign-in (or consent) is the way forward."""
    return error.status == 401 or error.code in {"InvalidAuthenticationToken"} | CONSENT_CODES
