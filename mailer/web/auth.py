"""Blueprint ``auth``: sign in, Microsoft's redirect back, sign out; and ``login_required``.

The Flask side of mailer/identity/service.py: it hands Identity the server-side session and the
session's token vault, turns AuthError into a page that says what happened, and decides where
the browser goes next (``next`` only ever to a path of this app: no open redirect).

Other blueprints use ``guard(bp)`` (their one signed-in check), ``login_required(scopes=...)``
(a view that needs a token for more scopes), ``current_user()``, ``current_roles()`` (app
roles, re-checked every ROLE_CHECK_EVERY seconds), ``get_token(scopes)`` and
``graph_client(scopes)``.
"""
from __future__ import annotations

import functools
import logging
import re
import time
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, session, url_for)

from werkzeug.exceptions import HTTPException

from mailer.web import sessions
from mailer.identity.errors import AuthError
from mailer.graph.client import GraphClient
from mailer.identity.rules import LOCAL_HOSTS
from mailer.identity.service import Identity
from mailer.web.words import auth_advice

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

# Scopes a /login link may add (incremental consent), besides SCOPES and those that views
# declare with login_required(scopes=...).
INCREMENTAL_SCOPES = {"User.Read", "Mail.Send", "Mail.Send.Shared", "Mail.ReadWrite", "Mail.Read",
                      "Mail.Read.Shared", "Mail.ReadWrite.Shared"}
_declared_scopes: set[str] = set()
SESSION_REAUTH = "reauth"  # the last "sign in again for these scopes" redirect: loop guard
SIGNED_OUT = "You are signed out. Sign in again."


def current_identity() -> Identity:
    """The Identity of this request's session."""
    if "identity" not in g:
        ext = current_app.extensions["mailer"]
        g.identity = Identity(ext["identity"], session, sessions.vault(), ext["cipher"])
    return g.identity


def current_user() -> dict | None:
    """The signed-in user (name, username, oid, tid, personal), or None."""
    return current_identity().user


def current_roles() -> list[str]:
    """The signed-in person's app roles, checked again with the identity platform (a silent
    token refresh) once the last check is ROLE_CHECK_EVERY seconds old; raises AuthError."""
    user = current_user() or {}
    if not user:
        return []
    checked = user.get("roles_checked_at") or user.get("signed_in_at") or 0
    if time.time() - checked >= current_app.config["ROLE_CHECK_EVERY"]:
        return current_identity().refresh_roles()
    return list(user.get("roles") or [])


def get_token(scopes=None) -> dict:
    """An access token for ``scopes`` (default SCOPES) of the signed-in user; raises AuthError."""
    return current_identity().get_token(scopes)


def graph_client(scopes=None) -> GraphClient:
    """A GraphClient acting as the signed-in user, with tokens for ``scopes``."""
    identity = current_identity()
    return current_app.extensions["mailer"]["graph"](
        lambda: identity.get_token(scopes)["access_token"])


def wants_json() -> bool:
    """True for the page's own scripts (fetch or XHR asking for JSON), not for a browser page."""
    return request.accept_mimetypes.best == "application/json" or \
        request.headers.get("X-Requested-With") == "XMLHttpRequest"


def guard(bp: Blueprint, *, public=(), not_pages=(), sign_in_url=None,
          words: str = SIGNED_OUT) -> None:
    """The one signed-in check of every view of ``bp`` but its ``public`` endpoints.

    Signed out, a JSON or XHR request gets a 401 with ``words`` and where to sign in; a page
    is redirected to sign in (``sign_in_url()``, by default /login?next=here) and back; an
    endpoint in ``not_pages`` (a picture, say) is simply not found.
    """
    @bp.before_request
    def _signed_in():
        if request.endpoint in public or current_identity().user:
            return None
        if request.endpoint in not_pages:
            abort(404)
        url = sign_in_url() if sign_in_url else url_for("auth.login", next=_here())
        if wants_json():
            return jsonify({"error": words, "sign_in": url}), 401
        return redirect(url)


def login_required(view=None, *, scopes=None):
    """Signed out: to /login?next=here. Signed in but no token for ``scopes`` without asking:
    to /login with those scopes (incremental consent), then back here."""
    if view is None:
        return functools.partial(login_required, scopes=scopes)
    _declared_scopes.update(scopes or ())

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        identity = current_identity()
        if not identity.user:
            return redirect(url_for("auth.login", next=_here()))
        if scopes:
            try:
                identity.get_token(scopes)
            except AuthError as err:
                if not err.interaction_required:
                    raise
                return sign_in_again(scopes)
        return view(*args, **kwargs)
    return wrapped


def sign_in_again(scopes=None):
    """To /login for ``scopes`` and back here; but if the user signed in for exactly these
    scopes a moment ago and still gets no token, a page that says so, never a redirect loop."""
    wanted, now = " ".join(scopes or []), int(time.time())
    last, user = session.get(SESSION_REAUTH) or {}, current_identity().user or {}
    if (last.get("scopes") == wanted and now - last.get("at", 0) < 120
            and user.get("signed_in_at", 0) >= last.get("at", 0)):
        session.pop(SESSION_REAUTH, None)
        return auth_error_page(AuthError("consent_loop", f"No token for {wanted or 'SCOPES'}."))
    session[SESSION_REAUTH] = {"scopes": wanted, "at": now}
    return redirect(url_for("auth.login", next=_here(), scopes=wanted or None))


def _here() -> str:
    return request.full_path.rstrip("?") if request.method == "GET" else request.path


def safe_next(target: str | None) -> str:
    """``target`` if it is a path of this app, else the home page."""
    if (target and target.startswith("/") and not target.startswith(("//", "/\\"))
            and not re.search(r"[\x00-\x1f\\]", target) and not urlsplit(target).netloc):
        return target
    return url_for("main.index")


def redirect_uri() -> str:
    """REDIRECT_URI, or this app's callback URL as the request (behind ProxyFix) shows it.

    Deriving it trusts the Host header: config.py allows that outside demo mode only with
    TRUSTED_HOSTS (Flask then refuses other hosts); demo mode derives it for loopback only."""
    configured = current_app.config["REDIRECT_URI"]
    if configured:
        return configured
    if (current_app.config["DEMO_MODE"] and not current_app.config["TRUSTED_HOSTS"]
            and urlsplit(request.host_url).hostname not in LOCAL_HOSTS):
        abort(400, description="The demo signs in only at localhost or 127.0.0.1: this request "
                               "named another host. Set REDIRECT_URI or TRUSTED_HOSTS to serve "
                               "the demo under a host name.")
    return url_for("auth.callback", _external=True)


def home_url() -> str:
    """This app's home page as an absolute URL (where sign-out comes back): REDIRECT_URI's
    origin when it is set, so a forged Host header cannot choose it."""
    configured = current_app.config["REDIRECT_URI"]
    if configured:
        parts = urlsplit(configured)
        return f"{parts.scheme}://{parts.netloc}{url_for('main.index')}"
    redirect_uri()  # the same checks on the request's host
    return url_for("main.index", _external=True)


def _insecure(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS


@bp.get("/login")
def login():
    """Send the browser to Microsoft's sign-in page."""
    next_url = safe_next(request.args.get("next"))
    extra = [s for s in re.split(r"[\s,]+", request.args.get("scopes", "")) if s]
    allowed = {s.lower() for s in (*current_app.config["SCOPES"], *INCREMENTAL_SCOPES,
                                   *_declared_scopes)}
    unknown = [s for s in extra if s.lower() not in allowed]
    if unknown or len(extra) > 10:
        abort(400, description=f"This app never asks for {', '.join(unknown) or 'so many'} "
                               "permissions.")
    uri = redirect_uri()
    if _insecure(uri) and not current_app.config["DEMO_MODE"]:
        return render_template("auth/insecure.html", redirect_uri=uri), 500
    hint = (request.args.get("login_hint") or "")[:256] or None
    user = current_user() if extra else None
    if user:  # more permissions for the one signed in: no account picker, the whole family
        from mailer.web.permissions import widen  # (permissions imports this module)
        extra, hint = widen(extra, user), hint or user.get("username")
    try:
        auth_uri = current_identity().start_login(uri, extra, next_url, login_hint=hint,
                                                  prompt=None if user else "select_account")
    except AuthError as err:
        return auth_error_page(err)
    return redirect(auth_uri)


@bp.record_once
def _add_callback_route(state):
    # The callback's path is configuration (REDIRECT_PATH), known only when the app is built.
    state.add_url_rule(state.app.config["REDIRECT_PATH"], "callback", callback, methods=["GET"])


def callback():
    """Microsoft's answer: redeem the code, start a fresh session, go where the user wanted."""
    before = (current_user() or {}).get("account_id")
    try:
        next_url = current_identity().complete_login(request.args.to_dict(),
                                                     rotate=sessions.rotate)
    except AuthError as err:
        logger.warning("sign-in failed: %s AADSTS%s", err.error, err.code or "-")
        return auth_error_page(err)
    user = current_identity().user
    # This sign-in's vault now acts for the person's sends still to go (delivery/acting.py).
    current_app.extensions["mailer.sessions"].delegate(user["account_id"], session.sid)
    if user.get("account_id") != before:  # a permission round trip: the page it resumes says
        flash(f"Signed in as {user['name'] or user['username']}.", "success")
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout():
    """Forget this session and its tokens, then sign out at Microsoft too."""
    identity = current_identity()
    if not identity.user:
        session.clear()
        return _signed_out(redirect(url_for("main.index"), 303))
    vaults, account = current_app.extensions["mailer.sessions"], identity.user["account_id"]
    from mailer.web.outbox import still_to_go  # noqa: PLC0415 - the outbox needs this module
    try:
        count, until = still_to_go(identity.user.get("oid") or account)
        if count:  # pressing Send was final: those sends keep what they need to go
            vaults.keep_for_sends(account, session.sid, until)
        else:
            vaults.forget_sends(account)
    except Exception:  # noqa: BLE001 - signing out never fails; the sends say "sign in again"
        logger.exception("could not keep the sends still to go at sign-out")
        count = 0
    vaults.undelegate(account, session.sid)
    url = identity.sign_out(home_url())
    logger.info("signed out (%d sends still to go)", count)
    return _signed_out(redirect(url, 303), count)


SIGNED_OUT_COOKIE = "mailer_signed_out"


def _signed_out(response, sends: int = 0):
    """A note for the home page Microsoft's sign-out comes back to ("You are signed out", and
    how many sends still go): a cookie saying only that, since the session itself is gone."""
    response.set_cookie(SIGNED_OUT_COOKIE, str(sends + 1), max_age=600, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def auth_error_page(err: AuthError):
    """The page for a failed sign-in: what happened, what to do, a Try again button."""
    title, text, status = auth_advice(err)
    try:
        uri = redirect_uri()
    except HTTPException:  # a host the demo does not sign in at
        uri = "(none for this host)"
    return render_template("auth/error.html", title=title, text=text, error=err,
                           redirect_uri=uri), status
