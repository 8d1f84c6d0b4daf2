"""What Identity does with MSAL's answers: check them, turn MSAL's failures into AuthError, and
keep MSAL's one warning the app deliberately ignores quiet."""
from __future__ import annotations

import logging
import re
import warnings
from contextlib import contextmanager

import requests
from msal.exceptions import MsalError

from mailer.identity.errors import AuthError
from mailer.identity.rules import ID_TOKEN_SCOPES

logger = logging.getLogger("mailer.identity.service")  # the log lines keep their source name


def silence_form_post_warning() -> None:
    """Hush MSAL's warning that response_mode=form_post is recommended: we keep the query mode.

    A form_post answer is a cross-site POST, which a SameSite=Lax session cookie does not
    accompany, so the server-side flow could not be found. A code in the URL is harmless here:
    single-use, PKCE-bound, useless without the client secret, and the callback redirects at once.
    """
    warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended",
                            category=UserWarning)


def unavailable(exc: Exception) -> AuthError:
    """The AuthError for a token endpoint (or discovery) that failed without an OAuth answer."""
    if isinstance(exc, requests.RequestException):
        return AuthError.network(exc)
    # MsalServiceError("HTTP Error: 503") for any 5xx, also replayed from MSAL's throttle cache
    # (Retry-After, or 5 s without one); ValueError for a reply that is not JSON.
    match = re.search(r"HTTP Error: (\d{3})", str(exc))
    status = f"HTTP {match.group(1)}" if match else "an answer that was not a token response"
    logger.warning("token endpoint failed: %s", status)
    return AuthError("service_unavailable", f"Microsoft's sign-in service answered with {status}.")


@contextmanager
def guarded():
    """Turn whatever MSAL raises on a token call into AuthError."""
    try:
        yield
    except (requests.RequestException, MsalError, ValueError) as exc:
        raise unavailable(exc) from None


def checked(result: dict | None) -> dict:
    """The one place MSAL result dicts are checked."""
    if result and "error" not in result:
        return result
    raise AuthError.from_result(result or {"error": "no_result"})


def check_granted(requested, result: dict) -> None:
    """Refuse a sign-in where Microsoft granted fewer scopes than asked (else: a consent loop)."""
    if "scope" not in result:
        return
    granted = {s.rsplit("/", 1)[-1].lower() for s in str(result["scope"]).split()}
    # "/.default" asks for what the app's registration lists, as consented: the answer names
    # those permissions, never ".default" itself.
    missing = [s for s in requested if s.lower() not in ID_TOKEN_SCOPES
               and not s.lower().endswith("/.default")
               and s.rsplit("/", 1)[-1].lower() not in granted]
    if missing:
        raise AuthError("scopes_not_granted", "Microsoft did not grant: " + ", ".join(missing))
