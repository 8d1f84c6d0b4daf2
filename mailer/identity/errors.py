"""AuthError: a sign-in or token failure (MSAL results, state, network), as data.

mailer/web/words.py turns it into a title, a paragraph and an HTTP status for the sign-in
error page.
"""
from __future__ import annotations

import re


class AuthError(Exception):
    """Sign-in or token failure: ``error`` (OAuth's or ours), ``code`` (the AADSTS number),
    ``description`` (its first line, without trace ids) and ``suberror``."""

    # The user can fix these by signing in (or consenting) again.
    TRANSIENT = {"network_error", "service_unavailable", "temporarily_unavailable",
                 "server_error", "authority_unreachable"}  # the same step works again later
    INTERACTIVE = {"login_required", "interaction_required", "consent_required", "invalid_grant",
                   "no_account"}

    def __init__(self, error: str, description: str = "", code: int | None = None,
                 suberror: str | None = None, correlation_id: str | None = None):
        super().__init__(f"{error}: {description}" if description else error)
        self.error, self.description, self.code = error, description, code
        self.suberror, self.correlation_id = suberror, correlation_id
        self.scopes: list[str] = []  # set by get_token: the scopes it could not get

    @property
    def interaction_required(self) -> bool:
        return self.error in self.INTERACTIVE or self.suberror in ("consent_required",
                                                                   "basic_action")

    @property
    def transient(self) -> bool:
        return self.error in self.TRANSIENT

    @classmethod
    def from_result(cls, result: dict) -> "AuthError":
        text = str(result.get("error_description") or "")
        match = re.match(r"\s*AADSTS(\d+):\s*", text)
        codes = result.get("error_codes") or []
        code = int(codes[0]) if codes else (int(match.group(1)) if match else None)
        return cls(str(result.get("error") or "unknown_error"),
                   first_line(text[match.end():] if match else text), code,
                   result.get("suberror"), result.get("correlation_id"))

    @classmethod
    def network(cls, exc: Exception) -> "AuthError":
        return cls("network_error", f"Could not reach the sign-in service ({type(exc).__name__}).")


def first_line(text: str) -> str:
    """The first line of an error text (AADSTS descriptions carry trace ids on later lines)."""
    return re.split(r"[\r\n]", str(text).strip(), maxsplit=1)[0][:300]
