"""The sign-in pages' server-side state: browser sessions and the flows running in them.

A browser session (cookie ``ESTSAUTH``, random, HttpOnly, SameSite=Lax; its own name so it never
collides with an app's ``session`` cookie on the same host) remembers which accounts are signed
in and when, for single sign-on and the account picker. Each authorization request becomes a
flow kept in that session: the validated request never travels through the browser, and every
form carries the flow id (``ctx``) plus a per-flow random ``canary`` that must match, so a form
cannot be replayed from another browser or forged by another site.
"""
from __future__ import annotations

import hmac
import secrets
import time
import uuid
from dataclasses import asdict

from flask import request

from .authorize_request import AuthorizeRequest, PageError
from ..state import State

COOKIE = "ESTSAUTH"
# Flows not started by /authorize (device code, admin consent) end their own way: their module
# registers here, by the flow's "kind", an object with after_sign_in(state, session, flow, req,
# user) -> response or None (go on as usual), finish(...) -> response, and decline(state,
# session, flow, req) -> response.
FLOW_KINDS: dict[str, object] = {}
FLOW_LIFETIME = 1800  # seconds a sign-in page may stay open


def session_from_cookie(state: State) -> tuple[str, dict] | tuple[None, None]:
    sid = request.cookies.get(COOKIE, "")
    with state.lock:
        record = state.signin_sessions.get(sid) if sid else None
    return (sid, record) if record is not None else (None, None)


def get_or_create_session(state: State) -> tuple[str, dict, bool]:
    """(session id, record, created?)"""
    sid, record = session_from_cookie(state)
    if record is not None:
        return sid, record, False
    sid = secrets.token_urlsafe(32)
    record = {"accounts": {}, "flows": {}, "session_state": str(uuid.uuid4()), "created": time.time()}
    with state.lock:
        state.signin_sessions[sid] = record
    return sid, record, True


def set_cookie(response, sid: str) -> None:
    response.set_cookie(COOKIE, sid, httponly=True, samesite="Lax", path="/")


def new_flow(state: State, session: dict, req: AuthorizeRequest, kind: str | None = None,
             **extra) -> dict:
    now = time.time()
    flow = {"ctx": secrets.token_urlsafe(24), "canary": secrets.token_urlsafe(32),
            "request": asdict(req), "user_id": None, "stage": None, "created": now,
            "kind": kind, **extra}
    with state.lock:
        flows = session["flows"]
        for ctx in [c for c, f in flows.items() if f["created"] < now - FLOW_LIFETIME]:
            del flows[ctx]
        flows[flow["ctx"]] = flow
    return flow


def flow_from_form(state: State, *stages: str) -> tuple[dict, dict, AuthorizeRequest]:
    """(session, flow, request) for a posted form; PageError when it is not genuine or stale."""
    _, session = session_from_cookie(state)
    if session is None:
        raise PageError(90014, "Your browser did not send the sign-in cookie. Allow cookies for "
                        "this site, then start again from the app.", title="We couldn't sign you in")
    ctx, canary = request.form.get("ctx", ""), request.form.get("canary", "")
    with state.lock:
        flow = session["flows"].get(ctx)
    if flow is None or not hmac.compare_digest(flow["canary"], canary):
        raise PageError(90013, "This sign-in page is no longer valid. Go back to the app and "
                        "sign in again.", title="We couldn't sign you in")
    if time.time() - flow["created"] > FLOW_LIFETIME:
        raise PageError(50089, "Your sign-in session timed out. Go back to the app and sign in "
                        "again.", title="We couldn't sign you in")
    if stages and flow["stage"] not in stages:
        raise PageError(90013, "This sign-in step is out of order. Go back to the app and sign "
                        "in again.", title="We couldn't sign you in")
    return session, flow, AuthorizeRequest(**flow["request"])


def flow_kind(flow: dict):
    """The handler of a device-code or admin-consent flow; None for an /authorize one."""
    return FLOW_KINDS.get(flow.get("kind"))


def end_flow(state: State, session: dict, flow: dict) -> None:
    with state.lock:
        session["flows"].pop(flow["ctx"], None)


def remember_account(state: State, session: dict, user_id: str) -> int:
    auth_time = int(time.time())
    with state.lock:
        session["accounts"][user_id] = {"auth_time": auth_time}
    return auth_time
