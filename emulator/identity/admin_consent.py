"""``GET /{tenant}/v2.0/adminconsent``: an administrator grants an app's permissions tenant-wide.

The request is checked as an authorization request is (client, registered redirect URI, scope);
the person then signs in as usual (single sign-on applies). An administrator sees what the app
asks for and accepts or cancels; the answer goes back to ``redirect_uri`` as the admin-consent
docs show: ``admin_consent=True&tenant=…&scope=…&state=…``, or with ``error`` and
``error_description``. After it, every user of the tenant has those permissions without a
prompt (``grants.consented``). ``/.default`` asks for the app's listed API permissions: the
delegated ones, and its application permissions, granted in the admin's tenant
(``app_permissions``), which the next client-credentials token then carries as ``roles``.
"""
from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from . import app_permissions, grants, scopes as scope_mod
from .authorize_request import AuthorizeRequest, RedirectError, respond, respond_error, validate
from .signin_pages import _route, headers, need_admin_message
from .signin_sessions import (FLOW_KINDS, end_flow, flow_from_form, get_or_create_session,
                              new_flow, set_cookie)
from ..state import get_state

adminconsent_bp = Blueprint("adminconsent", __name__)
adminconsent_bp.after_request(headers)  # no-store, no framing, as every sign-in page


def _error(req: AuthorizeRequest, error: str, code: int, message: str):
    """An error redirect flagged as the answer of an admin-consent flow (admin_consent=True)."""
    response = respond_error(req, RedirectError(error, code, message))
    location = response.headers.get("Location", "")
    if location:
        response.headers["Location"] = location + ("&" if "?" in location else "?") + \
            "admin_consent=True"
    return response


@adminconsent_bp.get("/<tenant>/v2.0/adminconsent")
def adminconsent(tenant: str):
    """Validate, then sign in (or reuse the signed-in account) and ask the administrator."""
    state = get_state()
    # No code is issued: response_type and PKCE do not apply; the answer is always a query.
    args = {k: v for k, v in request.args.items()
            if k not in ("response_mode", "prompt", "code_challenge")}
    args["response_type"] = "code"
    try:
        _, _, req = validate(state.directory, tenant, args, pkce=False)
    except RedirectError as exc:
        return _error(exc.request, exc.error, exc.code, exc.message)
    sid, session, _ = get_or_create_session(state)
    flow = new_flow(state, session, req, kind="adminconsent")
    response = make_response(_route(state, session, flow, req))
    set_cookie(response, sid)
    return response


def permissions_asked(state, req: AuthorizeRequest) -> set[str]:
    """Graph permissions named in the scope, or the app's listed ones for /.default."""
    scopes = req.scopes
    names = set(scopes.graph)
    if scopes.default:
        names |= set(state.directory.apps[req.client_id].required_permissions)
    return names


class _AdminConsentFlow:
    """Admin consent: after sign-in, the tenant-wide question (or "Need admin approval")."""

    @staticmethod
    def after_sign_in(state, session, flow, req, user):
        flow["stage"] = "adminconsent"
        app = state.directory.apps[req.client_id]
        names = permissions_asked(state, req)
        html = render_template(
            "signin/adminconsent.html", ctx=flow["ctx"], canary=flow["canary"], tenant=req.tenant,
            app=app, user=user, is_admin=user.is_admin, need_admin=need_admin_message(app),
            permissions=list(dict.fromkeys(scope_mod.describe(names | set(req.scopes.oidc)) + (
                app_permissions.describe(app.app_roles) if req.scopes.default else []))))
        return make_response(html, 200 if user.is_admin else 403)

    @staticmethod
    def finish(state, session, flow, req, user):  # not reached: the decision view answers
        return decide_for(state, session, flow, req, user, accept=True)

    @staticmethod
    def decline(state, session, flow, req):
        return _error(req, "consent_required", 65004,
                      "The resource owner or authorization server denied the request.")


@adminconsent_bp.post("/<tenant>/adminconsent/decision")
def decision(tenant: str):
    """Accept (idSIButton9) or Cancel (idBtn_Back); a non-administrator can only go back."""
    state = get_state()
    session, flow, req = flow_from_form(state, "adminconsent")
    user = state.directory.users[flow["user_id"]]
    return decide_for(state, session, flow, req, user,
                      accept=request.form.get("action") == "accept")


def decide_for(state, session, flow, req, user, accept: bool):
    end_flow(state, session, flow)
    if not user.is_admin:
        # UNCONFIRMED: what "Return to the application without granting consent" sends back.
        return _error(req, "access_denied", 90094,
                      need_admin_message(state.directory.apps[req.client_id]))
    if not accept:
        return _AdminConsentFlow.decline(state, session, flow, req)
    # Sign-in scopes come with it, so users are not asked about those either (UNCONFIRMED).
    names = permissions_asked(state, req) | set(scope_mod.OIDC_SCOPES)
    grants.grant_tenant_wide(state, user.tenant_id, req.client_id, names)
    if req.scopes.default:
        # Application permissions are static: only /.default (the app's listed permissions)
        # grants them; named scopes are delegated ones (consent docs).
        app_permissions.grant_listed(state, user.tenant_id, req.client_id)
    return respond(req, {"admin_consent": "True", "tenant": user.tenant_id, "scope": req.scope})


FLOW_KINDS["adminconsent"] = _AdminConsentFlow()
