"""``POST /{tenant}/oauth2/v2.0/token``: authorization code, refresh token, client credentials,
device code (both spellings of its grant type: ``device_code_grant.GRANT_TYPES``).

Checks run in the order Microsoft's answers suggest: tenant, parameters, client, client secret,
then the grant. Every refusal is an AADSTS body from ``errors.aadsts_response``; client
authentication failures are HTTP 401 as Microsoft sends them. Client secrets are accepted in the
body (client_secret_post) or in HTTP Basic auth (client_secret_basic). A public client ("Allow
public client flows") sends none and must not send one.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import time
from urllib.parse import unquote_plus

from flask import Response, jsonify, request

from . import app_permissions, device_code_grant, grants, scopes as scope_mod, tenancy
from ..directory import GRAPH_APP_ID, GRAPH_RESOURCE, AppRegistration
from ..errors import aadsts_response
from ..state import State, get_state

logger = logging.getLogger(__name__)

GRANTS = ("authorization_code", "refresh_token", "client_credentials",
          *device_code_grant.GRANT_TYPES)
APP_ONLY_SCOPES = {f"{GRAPH_RESOURCE}/.default".lower(), f"{GRAPH_APP_ID}/.default"}


class TokenError(Exception):
    def __init__(self, error: str, code: int, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.args_ = (error, code, message, status)
        self.extra = extra

    def response(self) -> Response:
        error, code, message, status = self.args_
        return aadsts_response(error, code, message, status, **self.extra)


def missing(name: str) -> TokenError:
    return TokenError("invalid_request", 900144,
                      f"The request body must contain the following parameter: '{name}'.")


def token(tenant: str):
    """Redeem a grant for tokens."""
    state = get_state()
    try:
        path = tenancy.resolve(state.directory, tenant)
        if path is None:
            raise TokenError("invalid_tenant", 90002, tenancy.unknown_tenant_message(tenant))
        form = request.form
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise missing("grant_type")
        if grant_type not in GRANTS:
            raise TokenError("unsupported_grant_type", 70003,
                             f"The app requested an unsupported grant type '{grant_type}'.")
        app, confidential = _authenticate_client(state, tenant, path)
        if grant_type == "authorization_code":
            body = _authorization_code(state, app, path, confidential)
        elif grant_type == "refresh_token":
            body = _refresh_token(state, app, path)
        elif grant_type in device_code_grant.GRANT_TYPES:
            body = device_code_grant.redeem(state, app, path, request.form)
        elif not confidential:
            raise TokenError("invalid_client", 7000218, "The request body must contain the "
                             "following parameter: 'client_assertion' or 'client_secret'.", 401)
        else:
            body = _client_credentials(state, app, path)
    except device_code_grant.DeviceCodeError as exc:
        return TokenError(exc.error, exc.code, exc.message).response()
    except TokenError as exc:
        logger.info("token request refused: %s", exc.args_[:2])
        return exc.response()
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store, no-cache"
    response.headers["Pragma"] = "no-cache"
    return response


def wrong_method(tenant: str):
    """The token endpoint answers only POST."""
    return TokenError("invalid_request", 900561, "The endpoint only accepts (POST, OPTIONS) "
                      f"requests. Received a {request.method} request.").response()


def _authenticate_client(state: State, tenant: str,
                         path: tenancy.TenantPath) -> tuple[AppRegistration, bool]:
    """(the app, authenticated with a secret?) after checking its id and secret (body or Basic)."""
    client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            basic_id, basic_secret = decoded.split(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise TokenError("invalid_client", 7000215, "The client credentials are malformed "
                             "(HTTP Basic authorization header).", 401) from None
        client_id, secret = unquote_plus(basic_id), unquote_plus(basic_secret)  # RFC 6749 §2.3.1
    if not client_id:
        raise missing("client_id")
    app = state.directory.apps.get(client_id)
    if app is None:
        raise TokenError("unauthorized_client", 700016,
                         tenancy.unknown_app_message(client_id, path, tenant))
    if request.form.get("client_assertion"):
        raise TokenError("invalid_client", 700027, "Client assertion failed signature "
                         "validation: this app has no certificate credential registered.", 401)
    if app.public_client and not app.secrets:
        if secret:
            raise TokenError("invalid_client", 700025, "Client is public so neither "
                             "'client_assertion' nor 'client_secret' should be presented.", 401)
        return app, False
    if not secret and app.public_client:
        return app, False
    if not secret:
        raise TokenError("invalid_client", 7000218, "The request body must contain the following "
                         "parameter: 'client_assertion' or 'client_secret'.", 401)
    if not any(hmac.compare_digest(secret.encode(), s.encode()) for s in app.secrets):
        raise TokenError(
            "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret value, not the client secret ID, for a secret added to app "
            f"'{app.client_id}'.", 401)
    return app, True


def _authorization_code(state: State, app: AppRegistration, path: tenancy.TenantPath,
                        confidential: bool) -> dict:
    form = request.form
    code = form.get("code", "")
    if not code:
        raise missing("code")
    with state.lock:
        record = state.codes.get(code)
        if record is None or record["client_id"] != app.client_id:
            # A code issued to another app is, to this app, no code at all.
            raise TokenError("invalid_grant", 70000,
                             "The provided value for the 'code' parameter is not valid.")
        if record["redeemed"]:
            raise TokenError("invalid_grant", 54005, "OAuth2 Authorization code was already "
                             "redeemed, please retry with a new valid code or use an existing "
                             "refresh token.")
        if record["expires_at"] < time.time():
            raise TokenError("invalid_grant", 70008, "The provided authorization code or refresh "
                             "token has expired due to inactivity. Send a new interactive "
                             "authorization request for this user and resource.")
        user = state.directory.users.get(record["user_id"])
        if user is None or not tenancy.same_authority(record["tenant"], path, state.directory, user):
            raise TokenError("invalid_grant", 700005, "Provided Authorization Code is intended to "
                             "use against other tenant, thus rejected.")
        redirect_uri = form.get("redirect_uri", "")
        if not redirect_uri:
            raise missing("redirect_uri")
        if redirect_uri != record["redirect_uri"]:
            # Registered elsewhere: AADSTS500112 (what Entra answers today); not registered: 50011.
            if redirect_uri in app.redirect_uris:
                raise TokenError("invalid_client", 500112, f"The reply address '{redirect_uri}' "
                                 f"does not match the reply address '{record['redirect_uri']}' "
                                 "provided when requesting Authorization code.")
            raise TokenError("invalid_client", 50011, f"The redirect URI '{redirect_uri}' "
                             "specified in the request does not match the redirect URIs "
                             f"configured for the application '{app.client_id}'.")
        if record["code_challenge"]:
            if not _pkce_ok(record, form.get("code_verifier", "")):
                # UNCONFIRMED that a missing verifier gets the same answer as a wrong one.
                raise TokenError("invalid_grant", 501481, "The Code_Verifier does not match the "
                                 "code_challenge supplied in the authorization request.")
        elif not confidential:
            raise TokenError("invalid_request", 9002325, "Proof Key for Code Exchange is "
                             "required for cross-origin authorization code redemption.")
        record["redeemed"] = True
    return grants.token_response(
        state, user=user, client_id=app.client_id, tenant=record["tenant"],
        oidc=set(record["oidc"]), graph=set(record["graph"]), spelled=record["spelled"],
        nonce=record["nonce"],
        session_id=record["session_id"],
        auth_time=record["auth_time"] if record["max_age"] is not None else None,
        want_client_info=form.get("client_info") == "1")


def _pkce_ok(record: dict, verifier: str) -> bool:
    """RFC 7636 §4.6, with the S256 and plain methods Microsoft accepts."""
    if not verifier:
        return False
    if record["code_challenge_method"] == "S256":
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace"))
                                            .digest()).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed, record["code_challenge"])


def _refresh_token(state: State, app: AppRegistration, path: tenancy.TenantPath) -> dict:
    form = request.form
    presented = form.get("refresh_token", "")
    if not presented:
        raise missing("refresh_token")
    try:
        requested = scope_mod.parse(form.get("scope"), required=False)
    except scope_mod.ScopeError as exc:
        raise TokenError(exc.error, exc.code, exc.message) from None
    with state.lock:
        record = state.refresh_tokens.get(presented)
        if record is None or record["client_id"] != app.client_id:
            raise TokenError("invalid_grant", 70000, "The provided value for the input parameter "
                             "'refresh_token' or 'assertion' is not valid.")
        problem = grants.refresh_token_problem(state, record)
        if problem is not None:
            raise TokenError("invalid_grant", *problem, suberror="bad_token")
        user = state.directory.users.get(record["user_id"])
        if user is None or not tenancy.same_authority(record["tenant"], path, state.directory, user):
            raise TokenError("invalid_grant", 700005, "Provided grant is intended to use against "
                             "other tenant, thus rejected.")
        granted = grants.graph_only(grants.consented(state, user.id, app.client_id))
        missing_consent = set(requested.graph) - granted
        if missing_consent or (requested.default and not granted):
            raise TokenError(
                "invalid_grant", 65001,
                "The user or administrator has not consented to use the application with ID "
                f"'{app.client_id}' named '{app.display_name}'. Send an interactive authorization "
                "request for this user and resource.", suberror="consent_required")
        record["last_used"] = time.time()
    # OIDC scopes: those asked for now, bounded by those granted when the chain began; a chain
    # started with offline_access keeps returning (rotated) refresh tokens.
    oidc = set(record["oidc"])
    if requested.oidc:
        oidc = (set(requested.oidc) & oidc) | (oidc & {"offline_access"})
    return grants.token_response(
        state, user=user, client_id=app.client_id, tenant=record["tenant"], oidc=oidc,
        graph=granted, spelled=requested.spelled, nonce=None,
        session_id=record["session_id"], auth_time=None,
        want_client_info=form.get("client_info") == "1")


def _client_credentials(state: State, app: AppRegistration, path: tenancy.TenantPath) -> dict:
    if not path.specific:
        # UNCONFIRMED which code Microsoft sends for /common here (it has also issued tokens for
        # an arbitrary tenant); MSAL warns against it. This emulator refuses: name the tenant.
        raise TokenError("invalid_request", 50059, "No tenant-identifying information found in "
                         "either the request or implied by any provided credentials.")
    if path.personal_only or path.tenant.id != app.home_tenant_id:
        raise TokenError("unauthorized_client", 700016,
                         tenancy.unknown_app_message(app.client_id, path, path.segment))
    raw = request.form.get("scope", "")
    if not raw.strip():
        raise missing("scope")
    if raw.strip().lower() not in APP_ONLY_SCOPES:
        try:
            scope_mod.parse(raw)
        except scope_mod.ScopeError as exc:
            raise TokenError(exc.error, exc.code, exc.message) from None
        raise TokenError("invalid_scope", 1002012, f"The provided value for scope {raw.strip()} "
                         "is not valid. Client credential flows must have a scope value with "
                         "/.default suffixed to the resource identifier (application ID URI).")
    lifetime = state.tokens.lifetime()
    # Only what an admin of this tenant consented to; nothing consented: a token with no roles.
    roles = app_permissions.granted(state, path.tenant.id, app.client_id)
    # No scope, refresh_token or id_token in an app-only reply (client credentials docs).
    return {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": state.tokens.access_token(app.client_id, path.tenant.id, lifetime,
                                                  roles=roles),
    }
