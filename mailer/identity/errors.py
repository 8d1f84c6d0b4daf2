"""The app's own exceptions, and the words people see for each. No Flask here.

    AuthError                 sign-in or token failure (MSAL results, state, network)
    SessionStoreUnavailable   the server-side session store (Redis, files) failed

``explain(error)`` turns an AuthError into a title, a paragraph and an HTTP status for the
sign-in error page; the error pages themselves are registered in app.py.
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


class SessionStoreUnavailable(Exception):
    """The session store could not be read or written (Redis down, disk full, lock stuck)."""


def first_line(text: str) -> str:
    """The first line of an error text (AADSTS descriptions carry trace ids on later lines)."""
    return re.split(r"[\r\n]", str(text).strip(), maxsplit=1)[0][:300]


_AGAIN = "Nothing was changed. Start the sign-in again."
_ADMIN = "Whoever runs this app has to fix its registration or configuration; "
# (title, text, status) by AADSTS code, then by error.
_BY_CODE = {
    7000215: ("The app's client secret is wrong",
              _ADMIN + "CLIENT_SECRET must be the secret's *value* (not its ID) from the app "
              "registration's Certificates & secrets.", 502),
    7000222: ("The app's client secret has expired",
              _ADMIN + "create a new client secret and set CLIENT_SECRET.", 502),
    7000218: ("The app sent no client secret", _ADMIN + "set CLIENT_SECRET.", 502),
    50011: ("This app's address is not registered with Microsoft",
            _ADMIN + "add this app's redirect URI to the app registration, or set REDIRECT_URI "
            "(behind a TLS proxy also TRUST_PROXY).", 502),
    700016: ("The app is not known in this directory",
             _ADMIN + "check CLIENT_ID and AUTHORITY (tenant).", 502),
    90002: ("The directory (tenant) does not exist", _ADMIN + "check AUTHORITY.", 502),
    9002331: ("This kind of account cannot sign in here",
              "The app registration accepts personal Microsoft accounts only; " + _ADMIN +
              "set AUTHORITY to https://login.microsoftonline.com/consumers.", 400),
    50020: ("This account cannot sign in to this app",
            "The account is not in the app's directory. Try another account.", 400),
    70008: ("The sign-in has expired", _AGAIN, 400),
    70000: ("The sign-in code has expired or was already used", _AGAIN, 400),
    54005: ("The sign-in code was already used", _AGAIN, 400),
    700082: ("Your sign-in has expired",
             "It was unused for too long. Sign in again to keep going.", 401),
    65001: ("Permission needed",
            "The app needs your consent for this. Sign in again and choose Accept; in a work "
            "or school directory an administrator may have to consent for you.", 403),
    65004: ("Permission declined", "You declined the permissions the app asked for. " + _AGAIN, 403),
}
_BY_ERROR = {
    "state_mismatch": ("This sign-in answer is stale",
                       "It matches no sign-in started in this browser: it was already used "
                       "(back button, refresh), started in another browser, or altered. " + _AGAIN,
                       400),
    "invalid_response": ("The sign-in answer was incomplete", _AGAIN, 400),
    "nonce_mismatch": ("The sign-in answer was not meant for this sign-in", _AGAIN, 400),
    "access_denied": ("Sign-in was cancelled",
                      "You (or your organisation) declined to sign in or to grant the permissions "
                      "the app asked for. You can try again.", 403),
    "consent_required": _BY_CODE[65001],
    "scopes_not_granted": ("Some permissions were not granted",
                           "Microsoft signed you in but did not grant everything the app asked "
                           "for, so this page cannot work. An administrator may have to consent.",
                           403),
    "invalid_client": ("The app could not prove who it is",
                       _ADMIN + "check CLIENT_ID and CLIENT_SECRET.", 502),
    "invalid_grant": ("Please sign in again", "Your sign-in is no longer valid. " + _AGAIN, 401),
    "login_required": ("Please sign in", "Your sign-in has ended. Sign in to keep going.", 401),
    "interaction_required": ("Please sign in again",
                             "Microsoft needs you to sign in again (or to approve something).",
                             401),
    "consent_loop": ("Microsoft still gives no token for this",
                     "You signed in again, yet Microsoft gives the app no token for these "
                     "permissions. An administrator may have to grant consent, or this account "
                     "may not be allowed to use them.", 403),
    "network_error": ("Microsoft's sign-in service could not be reached",
                      "The network or the service is down. Try again in a moment.", 503),
    # A 5xx (MSAL then holds the same request back for Retry-After, or 5 s without one), or
    # OAuth's own codes for an outage; nothing was changed, so the same step can be retried.
    "service_unavailable": ("Microsoft's sign-in service is not answering",
                            "It is temporarily unavailable. Nothing was lost; try again in a "
                            "few seconds.", 503),
    "temporarily_unavailable": ("Microsoft's sign-in service is busy",
                                "It asked the app to wait. Nothing was lost; try again in a few "
                                "seconds.", 503),
    "server_error": ("Microsoft's sign-in service had a problem",
                     "Nothing was lost; try again in a few seconds.", 503),
    "authority_unreachable": ("Microsoft's sign-in service could not be reached",
                              "Try again in a moment; if it keeps failing, check AUTHORITY.", 503),
}


def explain(error: AuthError) -> tuple[str, str, int]:
    """(title, paragraph, HTTP status) for the sign-in error page."""
    found = _BY_CODE.get(error.code) or _BY_ERROR.get(error.error)
    return found or ("Sign-in failed", "Microsoft refused the sign-in. " + _AGAIN, 400)
