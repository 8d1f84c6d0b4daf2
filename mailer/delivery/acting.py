"""Whom a job acts as, and the Graph client a worker uses for it.

- ``{"as": "app"}``: the app's own token (client credentials; automation's senders), sending
  through ``/users/{sender}``.
- ``{"as": "person", "user", "sid", "scopes", "held"}``: the person who pressed Send, through
  ``/me``. ``held`` is the access token the Send request already had, encrypted with the token
  cache's key (never in clear in the store); it is used while it has more than five minutes
  left. After that the worker refreshes through the person's vault (identity/vaults.py: their
  latest sign-in, the session that pressed Send, or the sends vault kept for a scheduled send
  and at sign-out; under the same lock the web uses). When only the person can help (sessions
  revoked, consent withdrawn, the refresh token expired), the token provider raises Graph's
  own 401, so the job ends "sign in again; your message is in Drafts"; a sign-in service that
  does not answer is a GraphError the engine waits out.
"""
from __future__ import annotations

import json
import time

from mailer.graph.client import GraphClient
from mailer.graph.errors import SIGN_IN_UNAVAILABLE, GraphError
from mailer.identity.errors import AuthError
from mailer.identity.service import SESSION_USER, Identity
from mailer.identity.vaults import SessionStoreUnavailable

REUSE_MARGIN = 300  # seconds a held token must still have (MSAL's own margin)
SIGNED_OUT = "SignedOut"  # the Graph-like code of a job whose person has no vault any more


def person(user: dict, sid: str | None, scopes: list[str], token: dict | None, cipher) -> dict:
    """The ``acting`` of a job a signed-in person starts (``token``: get_token's answer)."""
    held = None
    if token and token.get("access_token"):
        held = cipher.encrypt(json.dumps({"access_token": token["access_token"],
                                          "expires_on": token.get("expires_on", 0)}))
    who = {k: user.get(k) for k in ("name", "username", "oid", "tid", "account_id", "personal")}
    return {"as": "person", "user": who, "sid": sid, "scopes": list(scopes), "held": held}


APP = {"as": "app"}


def person_tokens(acting: dict, settings, vaults, cipher):
    """A token provider for GraphClient acting as the job's person (see the docstring)."""
    held = {}
    if acting.get("held"):
        text = cipher.decrypt(acting["held"])
        held = json.loads(text) if text else {}
    scopes = list(acting.get("scopes") or ["Mail.Send"])

    def provider() -> str:
        if held.get("access_token") and held.get("expires_on", 0) - time.time() > REUSE_MARGIN:
            return held["access_token"]
        held.clear()
        user = acting.get("user") or {}
        try:
            vault = vaults.of_person(user.get("account_id") or "", acting.get("sid"))
        except SessionStoreUnavailable as exc:
            raise GraphError(0, SIGN_IN_UNAVAILABLE, f"the session store: {exc}") from exc
        if vault is None:
            raise GraphError(401, "InvalidAuthenticationToken", "nobody is signed in to act for "
                             "this send any more") from None
        identity = Identity(settings, {SESSION_USER: dict(user)}, vault, cipher)
        try:
            return identity.get_token(scopes)["access_token"]
        except SessionStoreUnavailable as exc:
            raise GraphError(0, SIGN_IN_UNAVAILABLE, f"the session store: {exc}") from exc
        except AuthError as err:
            if err.transient:  # the sign-in service is down: nothing was sent with this token
                raise GraphError(0, SIGN_IN_UNAVAILABLE, err.description or err.error) from err
            # Graph's own 401 for "only the person can help": the job says "sign in again"
            # while preparing or sending, and "unknown" (never "not sent") while confirming.
            raise GraphError(401, "InvalidAuthenticationToken",
                             err.description or err.error) from err
    return provider


def client_for(rt, acting: dict, mailbox: str | None) -> GraphClient:
    """The Graph client of a job: the app's (bound to ``mailbox``) or the person's (/me)."""
    if acting.get("as") == "person":
        return rt.graph(person_tokens(acting, rt.identity_settings, rt.vaults, rt.cipher))
    return rt.app_graph(mailbox)
