"""Admin consent from the app: does app-only sending work now, and the admin-consent round trip.

The status is asked of the identity platform on every look, with a fresh MSAL app: MSAL's
in-memory cache (and its 60-second memory of a refused token request) would otherwise go on
showing the answer from before a consent. Microsoft issues a client-credentials token even when
no application permission is granted; the permissions granted are the token's ``roles``, so the
token is decoded (unverified, to inform a person, never to authorize anything). Microsoft's
client-credentials doc ("Controlling tokens without the roles claim") says such a token comes
without ``roles``; a refusal is read as "not granted" too.

The round trip (``/{tenant}/v2.0/adminconsent``, Microsoft's "Admin consent on the Microsoft
identity platform"): ``state`` is kept in the server-side session, used once; the answer is
``admin_consent=True`` (with ``tenant`` and ``scope``) or ``error`` and ``error_description``.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from mailer.identity.app_tokens import (GRAPH_DEFAULT_SCOPE, AppTokens, TokenUnavailable,
                                        tenant_authority)
from mailer.identity.discovery import browser_url
from mailer.identity.tokens import decode_jwt

SESSION_KEY = "admin_consent_state"
STATE_LIFETIME = 15 * 60  # seconds an admin has to answer Microsoft's consent page
STATUS_TIMEOUT = 10.0  # seconds: the admin page should not hang on a slow sign-in service
NEEDED = "Mail.Send"
DESCRIPTION_MAX = 500  # characters of Microsoft's error_description shown


@dataclass
class Status:
    """``state``: "granted", "not granted", "not set up" or "unknown"; ``words`` say why."""

    state: str
    words: str
    roles: list[str] = field(default_factory=list)


def app_only_status(cfg: dict, http) -> Status:
    """Ask the identity platform for an app-only token for the configured tenant, now."""
    tenant = cfg.get("AUTOMATION_TENANT")
    if not tenant:
        return Status("not set up", "No tenant is set for app-only sending: set "
                      "AUTOMATION_SENDERS (or AUTOMATION_TENANT).")
    tokens = AppTokens(cfg["CLIENT_ID"], cfg["CLIENT_SECRET"],
                       tenant_authority(cfg["AUTHORITY"], tenant), http,
                       min(float(cfg["HTTP_TIMEOUT"]), STATUS_TIMEOUT))
    try:
        token = tokens()
    except TokenUnavailable as exc:
        return Status("not granted", f"No app-only token could be had for {tenant}: {exc}")
    decoded = decode_jwt(token)
    if decoded is None:
        return Status("unknown", f"A token was issued for {tenant}, but it cannot be read "
                      "here: the first app-only send will tell whether Mail.Send is granted.")
    roles = decoded["claims"].get("roles")
    roles = sorted(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else []
    if NEEDED in roles:
        return Status("granted", f"In {tenant} the app holds the application permissions "
                      f"{', '.join(roles)}: it can send as the mailboxes in AUTOMATION_SENDERS.",
                      roles)
    held = f" (it holds only {', '.join(roles)})" if roles else ""
    return Status("not granted", f"A token was issued for {tenant}, but without the "
                  f"application permission Mail.Send{held}: an administrator of the "
                  "organization must grant consent.", roles)


def consent_url(cfg: dict, redirect_uri: str, state: str, http=None) -> str:
    """The identity platform's admin-consent URL for this app and Graph's listed permissions,
    on the origin its discovery document names for browsers (``http``: the app's session)."""
    # "organizations" lets any work account's admin answer when no tenant is configured
    # ("common" is refused there: a personal account cannot consent for a tenant).
    authority = tenant_authority(cfg["AUTHORITY"], cfg.get("AUTOMATION_TENANT") or
                                 "organizations")
    page = browser_url(authority, "/v2.0/adminconsent", http,
                       min(float(cfg["HTTP_TIMEOUT"]), STATUS_TIMEOUT)) if http is not None         else f"{authority}/v2.0/adminconsent"
    return f"{page}?" + urlencode({
        "client_id": cfg["CLIENT_ID"], "scope": GRAPH_DEFAULT_SCOPE,
        "redirect_uri": redirect_uri, "state": state})


def new_state(session) -> str:
    """A fresh state for one round trip, kept in the (server-side) session."""
    value = secrets.token_urlsafe(32)
    session[SESSION_KEY] = {"value": value, "at": time.time()}
    return value


def state_problem(session, given: str | None) -> str | None:
    """Words saying why the answer's ``state`` is refused, or None. The kept state is used up
    either way, so an answer can be taken only once."""
    kept = session.pop(SESSION_KEY, None)
    if not given:
        return ("This answer carries no state, so it cannot be tied to a consent started "
                "here. Nothing was recorded: start again with Grant admin consent.")
    if not isinstance(kept, dict) or time.time() - kept.get("at", 0) > STATE_LIFETIME:
        return ("No admin consent is waiting for an answer in this session (it was never "
                "started here, was answered already, or was started more than 15 minutes "
                "ago). Start again with Grant admin consent.")
    if not secrets.compare_digest(str(kept.get("value", "")), given):
        return ("This answer's state does not match the consent started here, so it may "
                "not come from Microsoft. It was ignored: start again with Grant admin "
                "consent.")
    return None


def outcome(args) -> tuple[bool, str]:
    """(granted?, words) from the identity platform's answer's query parameters."""
    error = (args.get("error") or "").strip()
    description = (args.get("error_description") or "").strip()[:DESCRIPTION_MAX]
    detail = f" Microsoft said: {description}" if description else ""
    if error == "access_denied":
        return False, ("Consent was not granted: the account that answered cannot grant it "
                       "for the organization (only an administrator, such as a Global "
                       "Administrator, can), or it was declined." + detail)
    if error == "consent_required":
        return False, "Consent was not granted: the administrator cancelled." + detail
    if error:
        return False, f"Consent was not granted (error {error[:100]})." + detail
    if (args.get("admin_consent") or "").lower() == "true":
        tenant = (args.get("tenant") or "").strip()[:100]
        where = f" for the organization {tenant}" if tenant else ""
        return True, f"Admin consent was granted{where}."
    return False, ("The answer said neither that consent was granted nor why not: nothing "
                   "was recorded. Start again with Grant admin consent.")
