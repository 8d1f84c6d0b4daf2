"""Authorization codes, refresh tokens and the token response built from them.

Codes live ten minutes, are single-use and remember everything the token request must match
(client, redirect URI, PKCE challenge, nonce, user, scopes, endpoint). Refresh tokens rotate: each
redemption returns a new one. As on Microsoft's platform the old one stays valid until it expires
from inactivity (90 days by default) or is revoked; revocation is per user, like
``revokeSignInSessions``. Everything is kept in ``State`` (``codes``, ``refresh_tokens``) under
its lock; the tunable lifetimes live in the ``identity.settings`` extension.
"""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field

from . import scopes as scope_mod
from ..directory import CONSUMERS_TENANT_ID, User
from ..state import State
from .tokens import b64url, client_info

logger = logging.getLogger(__name__)

CODE_LIFETIME = 600  # "Codes last about 10 minutes"
DEVICE_CODE_LIFETIME = 900  # device flow: "the user has 15 minutes to sign in"
DEVICE_CODE_INTERVAL = 5  # seconds between polls, as Microsoft answers
REFRESH_MAX_INACTIVITY = 90 * 24 * 3600  # AADSTS700082 "... inactive for 90.00:00:00"


@dataclass
class Settings:
    code_lifetime: int = CODE_LIFETIME
    refresh_token_max_inactivity: int = REFRESH_MAX_INACTIVITY
    revoked_before: dict[str, float] = field(default_factory=dict)  # user id -> tokensValidFrom
    device_code_lifetime: int = DEVICE_CODE_LIFETIME
    device_code_interval: int = DEVICE_CODE_INTERVAL
    # Admin consent: (tenant id, client id) -> permissions granted for every user of the tenant.
    tenant_consents: dict[tuple[str, str], set[str]] = field(default_factory=dict)


def settings(state: State) -> Settings:
    return state.extension("identity.settings", Settings)


def _opaque(user: User, size: int) -> str:
    # Shaped like Microsoft's: "0.A…" for work accounts, "M.C5…" for personal ones. Opaque anyway.
    prefix = "M.C5_BAY." if user.tenant_id == CONSUMERS_TENANT_ID else "0.A"
    return prefix + b64url(secrets.token_bytes(size))


def issue_code(state: State, *, user: User, client_id: str, redirect_uri: str, tenant: str,
               requested: scope_mod.Scopes, granted: set[str], code_challenge: str,
               code_challenge_method: str, nonce: str | None, session_id: str,
               auth_time: int, max_age: int | None) -> str:
    """A new authorization code bound to everything the token request must repeat."""
    code = _opaque(user, 96)
    with state.lock:
        _purge(state)
        state.codes[code] = {
            "client_id": client_id, "redirect_uri": redirect_uri, "tenant": tenant,
            "user_id": user.id, "oidc": sorted(requested.oidc), "graph": sorted(granted),
            "spelled": requested.spelled,
            "code_challenge": code_challenge, "code_challenge_method": code_challenge_method,
            "nonce": nonce, "session_id": session_id, "auth_time": auth_time, "max_age": max_age,
            "expires_at": time.time() + settings(state).code_lifetime, "redeemed": False,
        }
    return code


def _purge(state: State) -> None:
    """Forget codes long past expiry (a redeemed code is kept until then, to answer 54005)."""
    now = time.time()
    for code in [c for c, r in state.codes.items() if r["expires_at"] < now - 3600]:
        del state.codes[code]


def issue_refresh_token(state: State, *, user: User, client_id: str, tenant: str,
                        oidc: set[str], session_id: str | None) -> str:
    token = _opaque(user, 160)
    now = time.time()
    with state.lock:
        state.refresh_tokens[token] = {
            "client_id": client_id, "user_id": user.id, "tenant": tenant, "oidc": sorted(oidc),
            "session_id": session_id, "issued_at": now, "last_used": now,
        }
    return token


def refresh_token_problem(state: State, record: dict) -> tuple[int, str] | None:
    """(AADSTS code, message) when a known refresh token can no longer be used."""
    cfg = settings(state)
    issued = _iso(record["issued_at"])
    valid_from = cfg.revoked_before.get(record["user_id"])
    if valid_from is not None and record["issued_at"] <= valid_from:
        return 50173, ("The provided grant has expired due to it being revoked, a fresh auth "
                       "token is needed. The user might have changed or reset their password. "
                       f"The grant was issued on '{issued}' and the TokensValidFrom date (before "
                       f"which tokens are not valid) for this user is '{_iso(valid_from)}'.")
    inactive = time.time() - record["last_used"]
    if inactive > cfg.refresh_token_max_inactivity:
        return 700082, ("The refresh token has expired due to inactivity. The token was issued "
                        f"on {issued} and was inactive for "
                        f"{_timespan(cfg.refresh_token_max_inactivity)}.")
    return None


def revoke_user(state: State, user_id: str) -> int:
    """Invalidate every refresh token and sign-in session of a user; returns tokens revoked."""
    with state.lock:
        now = time.time()
        settings(state).revoked_before[user_id] = now
        count = sum(1 for r in state.refresh_tokens.values() if r["user_id"] == user_id)
        for session in state.signin_sessions.values():
            session.get("accounts", {}).pop(user_id, None)
    logger.info("revoked %d refresh tokens of user %s", count, user_id)
    return count


def consented(state: State, user_id: str, client_id: str) -> set[str]:
    """What the user granted this app, plus what an admin granted for the user's whole tenant."""
    user = state.directory.users.get(user_id)
    tenant_wide = settings(state).tenant_consents.get((user.tenant_id, client_id), set()) \
        if user is not None else set()
    with state.lock:
        return set(state.consents.get((user_id, client_id), set())) | set(tenant_wide)


def grant_tenant_wide(state: State, tenant_id: str, client_id: str, names: set[str]) -> None:
    """Admin consent: ``names`` are granted to every user of the tenant, without a prompt."""
    with state.lock:
        settings(state).tenant_consents.setdefault((tenant_id, client_id), set()).update(names)


def graph_only(names: set[str]) -> set[str]:
    """The Graph permissions among granted names (consent also records openid, profile, ...)."""
    return {n for n in names if n.lower() not in scope_mod.OIDC_SCOPES}


def token_response(state: State, *, user: User, client_id: str, tenant: str,
                   oidc: set[str], graph: set[str], spelled: dict[str, str], nonce: str | None,
                   session_id: str | None, auth_time: int | None, want_client_info: bool) -> dict:
    """The success body of a user token request (authorization code or refresh token).

    The access token carries every Graph permission the user granted this app, as Microsoft's
    do; asking for OIDC scopes only still yields a Graph token for User.Read.
    """
    granted = set(graph) or {"User.Read"}
    lifetime = state.tokens.lifetime()
    scp = [s for s in ("openid", "profile", "email") if s in oidc] + sorted(granted, key=str.lower)
    body = {
        "token_type": "Bearer",
        "scope": scope_mod.response_scope(oidc, granted, spelled),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": state.tokens.access_token(client_id, user.tenant_id, lifetime,
                                                  user=user, scopes=scp),
    }
    if "offline_access" in oidc:
        body["refresh_token"] = issue_refresh_token(
            state, user=user, client_id=client_id, tenant=tenant, oidc=oidc, session_id=session_id)
    if "openid" in oidc:
        app = state.directory.apps.get(client_id)
        roles = list(app.user_roles.get(user.id, [])) if app is not None else []
        body["id_token"] = state.tokens.id_token(user, client_id, nonce, set(oidc),
                                                 auth_time=auth_time, session_id=session_id,
                                                 roles=roles)
    if want_client_info:
        body["client_info"] = client_info(user)
    return body


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp)) + (
        f"{timestamp % 1:.7f}"[1:] + "Z")


def _timespan(seconds: int) -> str:
    """.NET TimeSpan text, as Microsoft prints it: ``90.00:00:00``."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}.{hours:02d}:{minutes:02d}:{secs:02d}" if days else f"{hours:02d}:{minutes:02d}:{secs:02d}"
