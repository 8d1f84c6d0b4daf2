"""``/{tenant}/oauth2/v2.0/logout``: end the emulator's sign-in session, then go back or say so.

``post_logout_redirect_uri`` is followed only when it is registered, exactly, as a redirect URI
(or a logout URI) of some app, as Entra requires; anything else gets the "You signed out" page,
never an open redirect. ``logout_hint`` signs out one account and keeps the others.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import make_response, redirect, render_template, request

from .authorize_request import safe_split
from .signin_sessions import COOKIE, session_from_cookie
from ..state import get_state


def logout(tenant: str):
    """Sign out of the emulator; back to the app when its URI is allowed, else a page."""
    state = get_state()
    values = request.values
    target, hint = values.get("post_logout_redirect_uri", ""), values.get("logout_hint", "")
    sid, session = session_from_cookie(state)
    if session is not None:
        hinted = state.directory.user(hint) if hint else None
        with state.lock:
            if hinted is not None and len(session["accounts"]) > 1:
                session["accounts"].pop(hinted.id, None)
            else:
                state.signin_sessions.pop(sid, None)
    if target and _logout_target_allowed(state, target):
        if values.get("state"):  # OIDC RP-initiated logout echoes state
            target += ("&" if "?" in target else "?") + urlencode({"state": values["state"]})
        response = redirect(target, 302)
    else:
        response = make_response(render_template("signin/signed_out.html"))
    if session is not None and sid not in state.signin_sessions:
        response.delete_cookie(COOKIE, path="/")
    return response


def _logout_target_allowed(state, uri: str) -> bool:
    """True when ``uri`` is registered exactly on some app (the request names no app). http(s) only."""
    parts = safe_split(uri)
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return any(uri in app.post_logout_redirect_uris or uri in app.redirect_uris
               for app in state.directory.apps.values())
