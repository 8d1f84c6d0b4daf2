"""Sign-in pages over plain HTTP: authorize, account picker, password, consent, logout.

The journey follows Microsoft's: an account already signed in is used silently (one) or offered
in a picker (several, or ``prompt=select_account``); otherwise the username then the password
page (fields ``loginfmt`` and ``passwd``, button ``idSIButton9``); then a consent page when the
app asks for something the user has not granted it (Accept ``idSIButton9``, Cancel
``idBtn_Back``); then the redirect to the app with ``code``, ``state``, ``client_info`` (when
asked with ``client_info=1``) and ``session_state``. Decisions live in ``_route``; views stay thin.
"""
from __future__ import annotations

import logging
import time
import uuid

from flask import Blueprint, make_response, render_template, request

from . import grants, scopes as scope_mod, logout, tenancy
from .authorize_request import (AuthorizeRequest, PageError, RedirectError, respond, respond_error,
                                validate)
from .signin_sessions import (end_flow, flow_from_form, flow_kind, get_or_create_session, new_flow,
                              remember_account, set_cookie)
from ..state import get_state
from .tokens import client_info

logger = logging.getLogger(__name__)

pages_bp = Blueprint("signin", __name__)
pages_bp.add_url_rule("/<tenant>/oauth2/v2.0/logout", "logout", logout.logout,
                      methods=["GET", "POST"])

WRONG_PASSWORD = ("Your account or password is incorrect. If you don't remember your password, "
                  "reset it now.")  # AADSTS50126
NO_SUCH_WORK_ACCOUNT = ("This username may be incorrect. Make sure you typed it correctly. "
                        "Otherwise, contact your admin.")
NO_SUCH_PERSONAL_ACCOUNT = ("That Microsoft account doesn't exist. Enter a different account or "
                            "get a new one.")


def error_page(exc: PageError):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    html = render_template("signin/message.html", title=exc.title, code=exc.code,
                           message=exc.message, request_id=str(uuid.uuid4()),
                           correlation_id=str(uuid.uuid4()), timestamp=now)
    return make_response(html, exc.status)


@pages_bp.after_request
def headers(response):
    # Sign-in pages carry per-flow secrets and must not be framed (clickjacking) or cached.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@pages_bp.app_errorhandler(PageError)  # also for the device-code and admin-consent pages
def _page_error(exc: PageError):
    return error_page(exc)


@pages_bp.route("/<tenant>/oauth2/v2.0/authorize", methods=["GET", "POST"])
def authorize(tenant: str):
    """Start a sign-in: validate the request, then SSO, picker or username page."""
    state = get_state()
    try:
        # GET as usual; POST with the same parameters as a form is allowed too (OIDC Core 3.1.2.1).
        _, _, req = validate(state.directory, tenant, request.values)
    except RedirectError as exc:
        return respond_error(exc.request, exc)
    sid, session, _ = get_or_create_session(state)
    flow = new_flow(state, session, req)
    response = make_response(_route(state, session, flow, req))
    set_cookie(response, sid)
    return response


def _route(state, session, flow, req: AuthorizeRequest):
    """The first screen of a flow, or its end when single sign-on applies."""
    app = state.directory.apps[req.client_id]
    path = tenancy.resolve(state.directory, req.tenant)
    accounts = _eligible_accounts(state, session, app, path, req)
    hint = state.directory.user(req.login_hint) if req.login_hint else None
    if req.prompt == "none":
        candidates = [u for u in accounts if hint is None or u.id == hint.id]
        if not candidates:
            return respond_error(req, "login_required", 50058, "A silent sign-in request was sent "
                                 "but no user is signed in.")
        if len(candidates) > 1:
            return respond_error(req, "interaction_required", 16000, "Multiple user identities "
                                 "are available for the current request. Select an account.")
        user = candidates[0]
        if _consent_needed(state, user, req):
            return respond_error(req, "consent_required", 65001, _consent_message(app))
        return _finish(state, session, flow, req, user)
    signed_in_hint = hint is not None and any(u.id == hint.id for u in accounts)
    if hint is not None and tenancy.user_error(app, path, hint):
        return _credentials_page(state, flow, req, None, tenancy.user_error(app, path, hint),
                                 hint.user_principal_name)
    if req.prompt == "login" or (req.login_hint and not signed_in_hint):
        return _credentials_page(state, flow, req, hint)
    if req.prompt == "select_account" or (len(accounts) > 1 and hint is None):
        return _picker(state, flow, req, accounts) if accounts else _credentials_page(state, flow, req, None)
    if accounts:
        return _after_sign_in(state, session, flow, req, hint or accounts[0])
    return _credentials_page(state, flow, req, None)


def _eligible_accounts(state, session, app, path, req: AuthorizeRequest) -> list:
    """Signed-in accounts this app may use here (and recent enough for max_age)."""
    users = []
    now = time.time()
    for user_id, info in session["accounts"].items():
        user = state.directory.users.get(user_id)
        if user is None or tenancy.user_error(app, path, user):
            continue
        if req.max_age is not None and now - info["auth_time"] > req.max_age:
            continue
        users.append(user)
    return sorted(users, key=lambda u: u.user_principal_name)


def _page(state, flow, req, template: str, stage: str, **context):
    flow["stage"] = stage
    app = state.directory.apps[req.client_id]
    return render_template(f"signin/{template}", ctx=flow["ctx"], canary=flow["canary"],
                           tenant=req.tenant, app=app, **context)


def _credentials_page(state, flow, req, user, error: str | None = None, loginfmt: str = ""):
    if user is not None and user.password:
        return _page(state, flow, req, "password.html", "password", loginfmt=user.user_principal_name,
                     error=error)
    return _page(state, flow, req, "username.html", "username",
                 loginfmt=loginfmt or req.login_hint or "", error=error)


def _picker(state, flow, req, accounts):
    return _page(state, flow, req, "picker.html", "picker", accounts=accounts)


@pages_bp.post("/<tenant>/login")
def login(tenant: str):
    """Username (and password) form: loginfmt, passwd."""
    state = get_state()
    session, flow, req = flow_from_form(state, "username", "password", "picker")
    app = state.directory.apps[req.client_id]
    path = tenancy.resolve(state.directory, req.tenant)
    loginfmt = request.form.get("loginfmt", "").strip()
    if not loginfmt:
        return _credentials_page(state, flow, req, None, "Enter a valid email address, phone "
                                 "number, or Skype name.")
    user = state.directory.user(loginfmt)
    if user is None or not user.password:
        missing = NO_SUCH_PERSONAL_ACCOUNT if path.personal_only else NO_SUCH_WORK_ACCOUNT
        return _credentials_page(state, flow, req, None, missing, loginfmt)
    problem = tenancy.user_error(app, path, user)
    if problem:
        return _credentials_page(state, flow, req, None, problem, loginfmt)
    password = request.form.get("passwd")
    if password is None:
        return _credentials_page(state, flow, req, user)
    if not password:
        return _credentials_page(state, flow, req, user, "Please enter your password.")
    if password != user.password:
        logger.info("wrong password for %s", user.user_principal_name)
        return _credentials_page(state, flow, req, user, WRONG_PASSWORD)
    remember_account(state, session, user.id)
    return _after_sign_in(state, session, flow, req, user)


@pages_bp.post("/<tenant>/select_account")
def select_account(tenant: str):
    """Account picker: an account already signed in, or "other"."""
    state = get_state()
    choice = request.form.get("account", "")
    if choice == "other":  # "Use another account", offered on the picker and password pages
        _, flow, req = flow_from_form(state, "picker", "password", "username")
        return _credentials_page(state, flow, req, None)
    session, flow, req = flow_from_form(state, "picker")
    app = state.directory.apps[req.client_id]
    accounts = _eligible_accounts(state, session, app, tenancy.resolve(state.directory, req.tenant), req)
    chosen = next((u for u in accounts if u.id == choice), None)
    if chosen is None:  # signed out meanwhile, or never offered: ask for credentials
        return _credentials_page(state, flow, req, None)
    return _after_sign_in(state, session, flow, req, chosen)


def _consent_names(state, user, req: AuthorizeRequest) -> set[str]:
    scopes = req.scopes
    names = set(scopes.oidc) | set(scopes.graph)
    if scopes.default:  # "what was granted": User.Read when nothing was
        names |= grants.graph_only(grants.consented(state, user.id, req.client_id)) or {"User.Read"}
    return names


def _consent_needed(state, user, req: AuthorizeRequest) -> bool:
    return req.prompt == "consent" or bool(
        _consent_names(state, user, req) - grants.consented(state, user.id, req.client_id))


def need_admin_message(app) -> str:
    """AADSTS90094 as Microsoft words it when users may not grant what the app asks."""
    return (f"{app.display_name} needs permission to access resources in your organization "
            "that only an admin can grant. Please ask an admin to grant permission to this app "
            "before you can use it.")


def _consent_message(app) -> str:
    return (f"The user or administrator has not consented to use the application with ID "
            f"'{app.client_id}' named '{app.display_name}'. Send an interactive authorization "
            "request for this user and resource.")


def _after_sign_in(state, session, flow, req, user):
    flow["user_id"] = user.id
    kind = flow_kind(flow)
    handled = kind.after_sign_in(state, session, flow, req, user) if kind else None
    if handled is not None:
        return handled
    if not _consent_needed(state, user, req):
        return _finish(state, session, flow, req, user)
    names = _consent_names(state, user, req)
    admin = scope_mod.admin_only(names - grants.consented(state, user.id, req.client_id))
    if admin and not user.is_admin:  # an administrator may grant them (for themselves)
        raise PageError(90094, need_admin_message(state.directory.apps[req.client_id]), 403,
                        title="Need admin approval")
    return _page(state, flow, req, "consent.html", "consent", user=user,
                 permissions=scope_mod.describe(names))


@pages_bp.post("/<tenant>/consent")
def consent(tenant: str):
    """Accept (idSIButton9) or Cancel (idBtn_Back) the requested permissions."""
    state = get_state()
    session, flow, req = flow_from_form(state, "consent")
    user = state.directory.users[flow["user_id"]]
    if request.form.get("action") != "accept":
        end_flow(state, session, flow)
        kind = flow_kind(flow)
        if kind:
            return kind.decline(state, session, flow, req)
        return respond_error(req, "access_denied", 65004, "User declined to consent to access the app.")
    names = _consent_names(state, user, req)
    with state.lock:
        state.consents.setdefault((user.id, req.client_id), set()).update(names)
    return _finish(state, session, flow, req, user)


def _finish(state, session, flow, req: AuthorizeRequest, user):
    """Issue the code and send the browser back to the app."""
    end_flow(state, session, flow)
    kind = flow_kind(flow)
    if kind:
        return kind.finish(state, session, flow, req, user)
    info = session["accounts"].get(user.id) or {"auth_time": int(time.time())}
    code = grants.issue_code(
        state, user=user, client_id=req.client_id, redirect_uri=req.redirect_uri,
        tenant=req.tenant, requested=req.scopes,
        granted=grants.graph_only(grants.consented(state, user.id, req.client_id)),
        code_challenge=req.code_challenge, code_challenge_method=req.code_challenge_method,
        nonce=req.nonce, session_id=session["session_state"], auth_time=info["auth_time"],
        max_age=req.max_age)
    return respond(req, {"code": code, "client_info": client_info(user) if req.client_info else None,
                         "session_state": session["session_state"]})
