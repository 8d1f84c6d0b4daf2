"""The device authorization grant (RFC 8628) as the identity platform v2.0 serves it.

``POST /{tenant}/oauth2/v2.0/devicecode`` hands out a ``device_code`` (kept by the client) and a
short ``user_code`` that the person types at ``/devicelogin`` on the sign-in pages origin (see
``device_login_page``). Meanwhile the client polls the token endpoint with
``grant_type=urn:ietf:params:oauth:grant-type:device_code`` (or ``device_code``, as Microsoft's
JavaScript and Java libraries send it: ``GRANT_TYPES``); ``redeem`` answers
``authorization_pending`` until the person has signed in and consented, then the tokens, once.
The lifetime (15 minutes) and polling interval (5 s) are Microsoft's defaults; tests shorten
them through ``/_emulator/identity/settings``.
"""
from __future__ import annotations

import secrets
import time

from flask import jsonify, request

from . import grants, scopes as scope_mod, tenancy
from ..errors import aadsts_response
from ..state import State, get_state
from .tokens import b64url

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
# The short spelling: msal-common's GrantType.DEVICE_CODE_GRANT (msal-node, and @azure/identity's
# DeviceCodeCredential through it) and msal4j's DeviceCodeAuthorizationGrant redeem with it, and
# Entra serves them. UNCONFIRMED in Microsoft's docs: the v2.0 device-code page says grant_type
# "Must be urn:ietf:params:oauth:grant-type:device_code", and no Microsoft doc shows the short
# form; it is accepted here because Microsoft's own libraries send it.
SHORT_GRANT_TYPE = "device_code"
GRANT_TYPES = (GRANT_TYPE, SHORT_GRANT_TYPE)
# RFC 8628 §6.1: no vowels (no words), none of the look-alike 0/O/1/I.
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789"
_USER_CODE_LENGTH = 9  # Microsoft's codes look like "FRWQDE7YL"
_POLL_TOLERANCE = 0.25  # seconds of clock jitter forgiven before answering slow_down


class DeviceCodeError(Exception):
    """A refusal of a device-code token request: ``error``, AADSTS ``code``, ``message``."""

    def __init__(self, error: str, code: int, message: str):
        super().__init__(message)
        self.error, self.code, self.message = error, code, message


def records(state: State) -> dict[str, dict]:
    """device_code -> its record (client, tenant, scope, user code, status, user, ...)."""
    return state.extension("identity.device_codes", dict)


def by_user_code(state: State, user_code: str) -> tuple[str, dict] | tuple[None, None]:
    """The pending, unexpired flow a person's typed code names (spaces, dashes, case ignored)."""
    wanted = "".join(ch for ch in user_code.upper() if ch.isalnum())
    now = time.time()
    with state.lock:
        for device_code, record in records(state).items():
            if record["user_code"] == wanted and record["status"] == "pending" \
                    and record["expires_at"] > now:
                return device_code, record
    return None, None


def devicecode(tenant: str):
    """Start a device flow: device_code, user_code, verification_uri, expires_in, interval."""
    state = get_state()
    path = tenancy.resolve(state.directory, tenant)
    if path is None:
        return aadsts_response("invalid_tenant", 90002, tenancy.unknown_tenant_message(tenant))
    client_id = request.form.get("client_id", "")
    if not client_id:
        return _missing("client_id")
    app = state.directory.apps.get(client_id)
    if app is None:
        return aadsts_response("unauthorized_client", 700016,
                               tenancy.unknown_app_message(client_id, path, tenant))
    problem = tenancy.app_path_error(app, path)
    if problem:
        return aadsts_response("invalid_request", *problem)
    try:
        scope_mod.parse(request.form.get("scope"))
    except scope_mod.ScopeError as exc:
        return aadsts_response(exc.error, exc.code, exc.message)
    cfg = grants.settings(state)
    device_code = "DAQABAAEAAA" + b64url(secrets.token_bytes(96))
    user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(_USER_CODE_LENGTH))
    verification_uri = f"{state.urls.pages}/devicelogin"
    now = time.time()
    with state.lock:
        store = records(state)
        for stale in [c for c, r in store.items() if r["expires_at"] < now - 3600]:
            del store[stale]
        store[device_code] = {
            "client_id": client_id, "tenant": path.segment, "scope": request.form["scope"],
            "user_code": user_code, "expires_at": now + cfg.device_code_lifetime,
            "interval": cfg.device_code_interval, "last_poll": None, "status": "pending",
            "user_id": None, "session_id": None, "auth_time": None,
        }
    response = jsonify({
        "user_code": user_code, "device_code": device_code, "verification_uri": verification_uri,
        "expires_in": cfg.device_code_lifetime, "interval": cfg.device_code_interval,
        "message": f"To sign in, use a web browser to open the page {verification_uri} and enter "
                   f"the code {user_code} to authenticate.",
    })
    response.headers["Cache-Control"] = "no-store, no-cache"
    return response


def _missing(name: str):
    return aadsts_response("invalid_request", 900144,
                           f"The request body must contain the following parameter: '{name}'.")


def redeem(state: State, app, path: tenancy.TenantPath, form) -> dict:
    """The token response for a device code the person approved; DeviceCodeError otherwise."""
    device_code = form.get("device_code", "")
    if not device_code:
        raise DeviceCodeError("invalid_request", 900144, "The request body must contain the "
                              "following parameter: 'device_code'.")
    now = time.time()
    with state.lock:
        store = records(state)
        record = store.get(device_code)
        if record is None or record["client_id"] != app.client_id:
            # UNCONFIRMED: the code Microsoft pairs with bad_verification_code (70018 names a
            # mistyped user code in its reference).
            raise DeviceCodeError("bad_verification_code", 70018, "The provided value for the "
                                  "input parameter 'device_code' is not valid.")
        if record["expires_at"] <= now:
            del store[device_code]
            raise DeviceCodeError("expired_token", 70019, "Verification code expired. Have the "
                                  "user retry the sign-in.")
        if record["status"] == "declined":
            del store[device_code]
            # UNCONFIRMED: which AADSTS code accompanies authorization_declined.
            raise DeviceCodeError("authorization_declined", 65004, "User declined to consent to "
                                  "access the app.")
        if record["status"] == "pending":
            last, record["last_poll"] = record["last_poll"], now
            if last is not None and now - last < record["interval"] - _POLL_TOLERANCE:
                # UNCONFIRMED: Microsoft's docs list no slow_down; RFC 8628 §3.5 defines it.
                raise DeviceCodeError("slow_down", 70016, "OAuth 2.0 device flow error. The "
                                      f"client polled too fast: wait {record['interval']} "
                                      "seconds between requests.")
            raise DeviceCodeError("authorization_pending", 70016, "OAuth 2.0 device flow error. "
                                  "Authorization is pending. Continue polling.")
        del store[device_code]  # approved: redeemed once
    user = state.directory.users[record["user_id"]]
    if not tenancy.same_authority(record["tenant"], path, state.directory, user):
        raise DeviceCodeError("invalid_grant", 700005, "Provided grant is intended to use "
                              "against other tenant, thus rejected.")
    requested = scope_mod.parse(record["scope"])
    return grants.token_response(
        state, user=user, client_id=app.client_id, tenant=record["tenant"],
        oidc=set(requested.oidc), graph=grants.graph_only(
            grants.consented(state, user.id, app.client_id)),
        spelled=requested.spelled, nonce=None, session_id=record["session_id"], auth_time=None,
        want_client_info=form.get("client_info") == "1")


def settle(state: State, device_code: str, *, user=None, session: dict | None = None,
           declined: bool = False) -> dict | None:
    """Record the person's answer at /devicelogin; the record, or None when it is gone."""
    with state.lock:
        record = records(state).get(device_code)
        if record is None or record["status"] != "pending" or record["expires_at"] <= time.time():
            return None
        if declined:
            record["status"] = "declined"
        else:
            record.update(status="approved", user_id=user.id,
                          session_id=session["session_state"] if session else None,
                          auth_time=int(time.time()))
        return record
