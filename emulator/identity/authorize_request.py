"""Validating an authorization request, and answering the app's redirect URI.

Two kinds of refusal, as Microsoft draws the line: while the client or its redirect URI is in
doubt the error is shown on a page (``PageError``: nothing is sent to an unverified address);
once both are known good, errors go back to the app as ``error`` / ``error_description`` on the
redirect URI (``RedirectError``), in the response mode the app asked for.

PKCE is required where Microsoft requires it: a public client (no secret) must send
``code_challenge``; a confidential web app may leave it out and redeem its code with its secret
alone. Whenever a challenge was sent, the token request must carry the matching verifier.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Response, redirect, render_template

from . import scopes as scope_mod, tenancy
from ..directory import AppRegistration, Directory
from ..errors import aadsts_body

RESPONSE_MODES = ("query", "fragment", "form_post")
PROMPTS = ("login", "none", "consent", "select_account")
LOOPBACK = ("localhost", "127.0.0.1")
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.2


class PageError(Exception):
    """An error shown on the sign-in page itself (the app is not redirected to)."""

    def __init__(self, code: int, message: str, status: int = 400, title: str | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.title = title or "Sorry, but we're having trouble signing you in."


class RedirectError(Exception):
    """An error sent back to the app's redirect URI."""

    def __init__(self, error: str, code: int, message: str):
        super().__init__(message)
        self.error, self.code, self.message = error, code, message
        self.request: AuthorizeRequest | None = None  # set once the redirect URI is trusted


@dataclass
class AuthorizeRequest:
    tenant: str  # path segment as the flow goes on (alias or tenant GUID)
    client_id: str
    redirect_uri: str
    response_mode: str
    state: str | None
    scope: str  # as sent; parsed again when needed
    nonce: str | None
    prompt: str | None
    login_hint: str | None
    domain_hint: str | None
    code_challenge: str
    code_challenge_method: str
    client_info: bool
    max_age: int | None

    @property
    def scopes(self) -> scope_mod.Scopes:
        return scope_mod.parse(self.scope)


def safe_split(uri: str):
    """urlsplit, or None for a URI it cannot parse (e.g. a broken IPv6 literal)."""
    try:
        parts = urlsplit(uri)
        parts.hostname  # noqa: B018 - raises for a malformed host
        return parts
    except ValueError:
        return None


def redirect_uri_registered(app: AppRegistration, uri: str) -> bool:
    """Exact match, except that a loopback URI's port is ignored (Azure's localhost exception)."""
    if uri in app.redirect_uris:
        return True
    given = safe_split(uri)
    if given is None or given.hostname not in LOOPBACK:
        return False
    for registered in app.redirect_uris:
        reg = safe_split(registered)
        if reg is not None and (reg.scheme, reg.hostname, reg.path, reg.query) == (
                given.scheme, given.hostname, given.path, given.query):
            return True
    return False


def validate(directory: Directory, tenant: str, args, pkce: bool = True
             ) -> tuple[tenancy.TenantPath, AppRegistration, AuthorizeRequest]:
    """The parsed request; PageError or RedirectError when Microsoft would refuse it.

    ``pkce=False`` for requests that issue no code (admin consent)."""
    path = tenancy.resolve(directory, tenant)
    if path is None:
        raise PageError(90002, tenancy.unknown_tenant_message(tenant))
    client_id = args.get("client_id", "")
    if not client_id:
        raise PageError(900144, "The request body must contain the following parameter: 'client_id'.")
    app = directory.apps.get(client_id)
    if app is None:
        raise PageError(700016, tenancy.unknown_app_message(client_id, path, tenant))
    redirect_uri = args.get("redirect_uri", "")
    if not redirect_uri:
        raise PageError(900144, "The request body must contain the following parameter: "
                        "'redirect_uri'.")
    parts = safe_split(redirect_uri)
    insecure = parts is not None and parts.scheme == "http" and parts.hostname not in LOOPBACK
    if (parts is None or insecure or parts.scheme not in ("http", "https")
            or not redirect_uri_registered(app, redirect_uri)):
        raise PageError(50011, f"The redirect URI '{redirect_uri}' specified in the request does not "
                        f"match the redirect URIs configured for the application '{client_id}'. "
                        "Make sure the redirect URI sent in the request matches one added to your "
                        "application in the Azure portal."
                        + (" (http is allowed only for localhost and 127.0.0.1.)" if insecure else ""))
    problem = tenancy.app_path_error(app, path)
    if problem:
        raise PageError(*problem)
    mode = args.get("response_mode") or "query"
    request = AuthorizeRequest(
        tenant=path.segment, client_id=client_id, redirect_uri=redirect_uri,
        response_mode=mode if mode in RESPONSE_MODES else "query", state=args.get("state"),
        scope=args.get("scope", ""), nonce=args.get("nonce"), prompt=args.get("prompt") or None,
        login_hint=args.get("login_hint") or None, domain_hint=args.get("domain_hint") or None,
        code_challenge=args.get("code_challenge", ""),
        code_challenge_method=args.get("code_challenge_method") or "plain",
        client_info=args.get("client_info") == "1", max_age=None)
    try:
        _check_parameters(request, args, mode, app if pkce else None)
    except RedirectError as exc:
        exc.request = request
        raise
    return path, app, request


def _check_parameters(req: AuthorizeRequest, args, mode: str, app: AppRegistration | None) -> None:
    """Everything checked after the redirect URI is trusted: errors go back to the app."""
    if mode not in RESPONSE_MODES:
        raise RedirectError("invalid_request", 70007, f"The app requested an unsupported "
                            f"response_mode '{mode}'.")
    response_type = args.get("response_type", "")
    if not response_type:
        raise RedirectError("invalid_request", 900144, "The request body must contain the "
                            "following parameter: 'response_type'.")
    if response_type != "code":
        kind = "token" if "token" in response_type.split() else response_type
        raise RedirectError("unsupported_response_type", 700054 if "id_token" in kind else 700051,
                            f"response_type '{kind}' is not enabled for the application.")
    try:
        req.scopes  # noqa: B018 - parse now so that a bad scope is refused before sign-in
    except scope_mod.ScopeError as exc:
        raise RedirectError(exc.error, exc.code, exc.message) from None
    if req.code_challenge:
        _check_challenge(req)
    elif app is not None and not app.secrets:  # a confidential client may go without PKCE
        # UNCONFIRMED: Microsoft documents this text for single-page apps (cross-origin
        # redemption); the emulator asks the same of public desktop and CLI clients.
        raise RedirectError("invalid_request", 9002325, "Proof Key for Code Exchange is "
                            "required for cross-origin authorization code redemption.")
    _check_prompt(req, args)


def _check_challenge(req: AuthorizeRequest) -> None:
    if req.code_challenge_method not in ("S256", "plain"):
        raise RedirectError("invalid_request", 90100, "The code_challenge_method "
                            f"'{req.code_challenge_method}' is not supported. Use S256 or plain.")
    if not _CHALLENGE.match(req.code_challenge):
        raise RedirectError("invalid_request", 501491, "Invalid size of Code_Challenge parameter.")


def _check_prompt(req: AuthorizeRequest, args) -> None:
    if req.prompt is not None and req.prompt not in PROMPTS:
        raise RedirectError("invalid_request", 90023, f"Invalid prompt value '{req.prompt}'.")
    if args.get("max_age"):
        try:
            req.max_age = int(args["max_age"])
            if req.max_age < 0:
                raise ValueError
        except ValueError:
            raise RedirectError("invalid_request", 90100, "The parameter 'max_age' is empty or "
                                "not valid.") from None


def respond(req: AuthorizeRequest, params: dict) -> Response:
    """Send ``params`` (plus ``state``) to the app's redirect URI in its response mode."""
    params = {k: v for k, v in params.items() if v is not None}
    if req.state is not None:
        params["state"] = req.state
    uri = req.redirect_uri
    parts = urlsplit(uri)
    if req.response_mode == "form_post":
        return Response(render_template("signin/form_post.html", action=uri, fields=params),
                        headers={"Cache-Control": "no-store"})
    path = parts.path or "/"  # a URI with no path comes back with "/" (reply-url docs)
    if req.response_mode == "fragment":
        target = urlunsplit((parts.scheme, parts.netloc, path, parts.query, urlencode(params)))
    else:
        query = urlencode(parse_qsl(parts.query, keep_blank_values=True) + list(params.items()))
        target = urlunsplit((parts.scheme, parts.netloc, path, query, ""))
    response = redirect(target, 302)
    response.headers["Cache-Control"] = "no-store"
    return response


def respond_error(req: AuthorizeRequest, error: RedirectError | str, code: int | None = None,
                  message: str | None = None) -> Response:
    """An error redirect: error, error_description (AADSTS text), error_uri, state."""
    if isinstance(error, RedirectError):
        error, code, message = error.error, error.code, error.message
    body = aadsts_body(error, code, message)
    return respond(req, {"error": body["error"], "error_description": body["error_description"],
                         "error_uri": body["error_uri"]})
