"""Identity platform v2.0 over HTTPS: discovery, keys, token, userinfo, and test admin routes.

The discovery document is Azure's, field for field, with one deliberate difference: the
``authorization_endpoint`` and ``end_session_endpoint`` point at the emulator's plain-HTTP pages
server (a browser reaches the sign-in page with no certificate warning, and MSAL uses the URL
verbatim); everything else stays on this HTTPS origin. ``/common`` and ``/organizations``
publish the literal ``{tenantid}`` issuer, ``/consumers`` the consumers tenant's, and a tenant
its own. A tenant named by domain is answered with its GUID in every endpoint, as Azure does.
"""
from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, jsonify, redirect, request

from . import app_permissions, device_code_grant, grants, tenancy, token_endpoint
from ..errors import aadsts_response
from ..state import get_state
from .tokens import InvalidToken, b64url, issuer_for

logger = logging.getLogger(__name__)

api_bp = Blueprint("identity", __name__)
api_bp.add_url_rule("/<tenant>/oauth2/v2.0/token", "token", token_endpoint.token, methods=["POST"])
api_bp.add_url_rule("/<tenant>/oauth2/v2.0/token", "token_wrong_method",
                    token_endpoint.wrong_method, methods=["GET", "PUT", "DELETE", "PATCH"])
api_bp.add_url_rule("/<tenant>/oauth2/v2.0/devicecode", "devicecode", device_code_grant.devicecode,
                    methods=["POST"])

CLAIMS_SUPPORTED = [
    "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
    "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
    "name", "tid", "ver", "at_hash", "c_hash", "email",
]


def _resolve(tenant: str):
    state = get_state()
    path = tenancy.resolve(state.directory, tenant)
    if path is None:
        return state, None, aadsts_response("invalid_tenant", 90002,
                                            tenancy.unknown_tenant_message(tenant))
    return state, path, None


def _issuer(state, path: tenancy.TenantPath) -> str:
    if path.alias in ("common", "organizations"):
        return issuer_for(state.urls.api, "{tenantid}")
    return issuer_for(state.urls.api, path.tenant.id)


@api_bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
def openid_configuration(tenant: str):
    """The OpenID Connect discovery document of a tenant or alias."""
    state, path, error = _resolve(tenant)
    if error:
        return error
    api = f"{state.urls.api}/{path.segment}"
    pages = f"{state.urls.pages}/{path.segment}"
    region = None if path.alias in ("common", "organizations") else (
        "WW" if path.personal_only else "NA")
    return jsonify({
        "token_endpoint": f"{api}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{api}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": _issuer(state, path),
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{state.urls.api}/oidc/userinfo",
        "authorization_endpoint": f"{pages}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{api}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{pages}/oauth2/v2.0/logout",
        "claims_supported": CLAIMS_SUPPORTED,
        "kerberos_endpoint": f"{api}/kerberos",
        "tenant_region_scope": region,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })


@api_bp.route("/<tenant>/oauth2/v2.0/authorize", methods=["GET", "POST"])
@api_bp.route("/<tenant>/oauth2/v2.0/logout", methods=["GET", "POST"])
@api_bp.route("/<tenant>/v2.0/adminconsent", methods=["GET"])
def to_pages(tenant: str):
    """Browser endpoints built from the authority: on to the sign-in pages, query unchanged.

    Clients that derive these URLs from the authority (instead of reading discovery) land here;
    the pages live on the plain-HTTP origin. A POST keeps its form (307).
    """
    target = f"{get_state().urls.pages}{request.path}"
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    response = redirect(target, 302 if request.method == "GET" else 307)
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.get("/<tenant>/discovery/v2.0/keys")
def keys(tenant: str):
    """The signing keys (JWKS) of a tenant or alias."""
    state, path, error = _resolve(tenant)
    if error:
        return error
    return jsonify({"keys": [state.signing_key.jwk(_issuer(state, path))]})


@api_bp.route("/oidc/userinfo", methods=["GET", "POST"])
def userinfo():
    """The OIDC userinfo of the signed-in user (Graph serves it in production)."""
    state = get_state()
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    try:
        claims = state.tokens.validate_access_token(token)
    except InvalidToken as exc:
        return jsonify({"error": {"code": "InvalidAuthenticationToken", "message": exc.message}}), 401
    user = state.directory.users.get(claims.get("oid", "")) if claims.get("idtyp") == "user" else None
    if user is None or "openid" not in claims.get("scp", "").split():
        return jsonify({"error": {"code": "Authorization_RequestDenied",
                                  "message": "Insufficient privileges to complete the operation."}}), 403
    appid = claims.get("appid", "")
    body = {"sub": b64url(hashlib.sha256(f"{user.id}:{appid}".encode()).digest()),
            "name": user.display_name, "family_name": user.surname, "given_name": user.given_name,
            "picture": f"{state.urls.api}/v1.0/me/photo/$value"}
    if user.mail:
        body["email"] = user.mail
    return jsonify(body)


# --- Admin routes, for tests and scripts --------------------------------------------------


@api_bp.get("/_emulator/identity/settings")
def get_settings():
    """Current lifetimes: access token, code, refresh-token inactivity (seconds)."""
    state = get_state()
    cfg = grants.settings(state)
    return jsonify({"access_token_lifetime": state.tokens.access_token_lifetime,
                    "code_lifetime": cfg.code_lifetime,
                    "refresh_token_max_inactivity": cfg.refresh_token_max_inactivity,
                    "device_code_lifetime": cfg.device_code_lifetime,
                    "device_code_interval": cfg.device_code_interval})


@api_bp.route("/_emulator/identity/settings", methods=["PUT", "PATCH", "POST"])
def put_settings():
    """Change lifetimes and the device-code polling interval (until the next reset); null
    access_token_lifetime means 60-90 min."""
    state = get_state()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        return jsonify({"error": "send a JSON object, e.g. {\"access_token_lifetime\": 1}"}), 400
    known = {"access_token_lifetime", "code_lifetime", "refresh_token_max_inactivity",
             "device_code_lifetime", "device_code_interval"}
    unknown = set(body) - known
    if unknown:
        return jsonify({"error": f"unknown settings: {', '.join(sorted(unknown))}"}), 400
    for name, value in body.items():
        nullable = name == "access_token_lifetime"
        if not ((value is None and nullable) or (isinstance(value, int)
                                                 and not isinstance(value, bool) and value >= 0)):
            return jsonify({"error": f"{name} must be a whole number of seconds"
                                     + (" or null" if nullable else "")}), 400
    cfg = grants.settings(state)
    with state.lock:
        if "access_token_lifetime" in body:
            state.tokens.access_token_lifetime = body["access_token_lifetime"]
        for name in ("code_lifetime", "refresh_token_max_inactivity", "device_code_lifetime",
                     "device_code_interval"):
            if name in body:
                setattr(cfg, name, body[name])
    return get_settings()


@api_bp.post("/_emulator/identity/users/<user>/revoke")
def revoke(user: str):
    """Revoke a user's refresh tokens and sign-in sessions (like revokeSignInSessions)."""
    state = get_state()
    found = state.directory.user(user)
    if found is None:
        return jsonify({"error": f"no user '{user}'"}), 404
    return jsonify({"user": found.id, "revoked_refresh_tokens": grants.revoke_user(state, found.id)})



@api_bp.get("/_emulator/identity/app-permissions")
def list_app_permissions():
    """Application permissions granted by admin consent, per tenant and app."""
    state = get_state()
    with state.lock:
        rows = [{"tenant": t, "client_id": c, "permissions": list(names)}
                for (t, c), names in state.directory.app_permission_grants.items()]
    return jsonify({"grants": rows})


@api_bp.delete("/_emulator/identity/app-permissions/<tenant>/<client_id>")
def revoke_app_permissions(tenant: str, client_id: str):
    """Back to "no admin consent" for the app's application permissions in the tenant (until
    the next consent or reset); tokens already issued keep their roles until they expire."""
    state = get_state()
    found = state.directory.tenant(tenant)
    if found is None:
        return jsonify({"error": f"tenant: no tenant '{tenant}' (a GUID or a domain)"}), 404
    if client_id not in state.directory.apps:
        return jsonify({"error": f"client_id: no app registration '{client_id}'"}), 404
    revoked = app_permissions.revoke(state, found.id, client_id)
    return jsonify({"tenant": found.id, "client_id": client_id, "revoked": revoked})


@api_bp.get("/_emulator/identity/app-role-assignments")
def list_app_role_assignments():
    """App roles assigned to users, per app: what their id tokens' ``roles`` carry."""
    state = get_state()
    with state.lock:
        rows = [{"client_id": app.client_id, "user": state.directory.users[uid].user_principal_name,
                 "roles": list(roles)}
                for app in state.directory.apps.values()
                for uid, roles in app.user_roles.items() if roles and uid in state.directory.users]
    return jsonify({"assignments": rows})


@api_bp.route("/_emulator/identity/app-role-assignments/<client_id>/<user>/<role>",
              methods=["PUT", "DELETE"])
def app_role_assignment(client_id: str, user: str, role: str):
    """Assign (PUT) or remove (DELETE) a user's app role of an app, as an admin does under
    Enterprise applications (Graph's appRoleAssignedTo), until the next reset. Tokens issued
    before keep their ``roles`` until they expire; the next id token (a refresh, a sign-in)
    carries the assignment as it is then."""
    state = get_state()
    app = state.directory.apps.get(client_id)
    if app is None:
        return jsonify({"error": f"client_id: no app registration '{client_id}'"}), 404
    found = state.directory.user(user)
    if found is None:
        return jsonify({"error": f"user: no user '{user}'"}), 404
    if not role or len(role) > 120:
        return jsonify({"error": "role: an app role's value, 1 to 120 characters"}), 400
    with state.lock:
        held = app.user_roles.setdefault(found.id, [])
        if request.method == "PUT" and role not in held:
            held.append(role)
        elif request.method == "DELETE" and role in held:
            held.remove(role)
        roles = list(held)
    return jsonify({"client_id": client_id, "user": found.user_principal_name, "roles": roles})
