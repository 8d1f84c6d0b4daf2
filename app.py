"""The Flask app. ``create_app()`` builds it; ``gunicorn 'app:create_app()'`` serves it.

``create_app(config)`` merges ``config`` over the environment's settings (config.py) and checks
the result; tests pass everything explicitly. Here are the extensions (server-side sessions,
CSRF, Bootstrap served locally), the blueprints, the error pages (never a stack trace) and the
security headers. ``python app.py`` runs Werkzeug's server on PORT (never in debug mode).
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import sys
from datetime import timedelta
from urllib.parse import urlsplit

import redis
from flask import Flask, g, render_template, request
from flask_bootstrap import Bootstrap5
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module
from mailer.graph.client import GraphError
from mailer.identity.errors import AuthError
from mailer.web import (admin, api, auth, compose, mailbox, merges, notifications, outbox,
                        permissions, sessions)
from mailer.web import pages as views
from mailer.web import people
from mailer.web.compose.services import REQUEST_OVERHEAD, graph_clients
from mailer.web.drain import drain_unread_body
from mailer.web.request_line import refuse_long_request_lines
from mailer.web.sessions import SessionStoreUnavailable
from mailer.web.words import graph_advice
from mailer.graph.http import build_session
from mailer.identity.msal_results import silence_form_post_warning
from mailer.identity.service import Settings
from mailer.identity.tokens import CacheCipher
from mailer.sending.store import redis_client

logger = logging.getLogger(__name__)
csrf = CSRFProtect()
bootstrap = Bootstrap5()
STATIC_ENDPOINTS = {"static", "bootstrap.static"}


def create_app(config: dict | None = None, *, environ=None) -> Flask:
    """Build the app from the environment (``environ``, default os.environ) and ``config``."""
    environ = os.environ if environ is None else environ
    if config is None:
        try:
            settings = config_module.load_config(environ)
        except config_module.ConfigError as exc:  # one clear line, no traceback
            print(f"Configuration error: {exc}", file=sys.stderr, flush=True)
            raise SystemExit(3) from None  # gunicorn's "worker failed to boot": it stops
    else:
        settings = _merged(config, environ)
    app = Flask(__name__)
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings["SESSION_LIFETIME"]),
        BOOTSTRAP_SERVE_LOCAL=True,
        SESSION_COOKIE_SECURE=bool((settings.get("REDIRECT_URI") or "").startswith("https:")),
        MAX_CONTENT_LENGTH=settings["MAX_FILE_SIZE"] + REQUEST_OVERHEAD, WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(settings)
    app.before_request(_request_id)  # first, so that every error page can show it
    app.before_request(refuse_long_request_lines)  # 414 in words (JSON under /api/)
    if app.config["TRUST_PROXY"]:
        hops = app.config["TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops, x_prefix=hops)
    # One Redis client (one pool, bounded timeouts) for the sessions and the send jobs alike.
    store_client = redis_client(app.config["REDIS_URL"]) if app.config["REDIS_URL"] else None
    sessions.init_app(app, store_client)
    csrf.init_app(app)
    bootstrap.init_app(app)
    http = build_session(app.config["CA_FILE"])
    app.extensions["mailer"] = {
        "http": http,
        "redis": store_client,
        "graph": graph_clients(app.config, http),  # graph(token_provider) -> GraphClient
        "cipher": CacheCipher(app.config["TOKEN_CACHE_KEY"]),
        "identity": Settings(app.config["CLIENT_ID"], app.config["CLIENT_SECRET"],
                             app.config["AUTHORITY"], tuple(app.config["SCOPES"]), http,
                             timeout=app.config["HTTP_TIMEOUT"]),
    }
    silence_form_post_warning()
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(compose.bp)
    app.register_blueprint(mailbox.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(permissions.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(merges.bp)
    api.init_app(app, csrf)  # /api/v1/: by API key, CSRF-exempt (it takes no cookie)
    notifications.init_app(app, csrf)  # Graph's POSTs for watched mailboxes; webhooks' tasks
    _register_error_pages(app)
    app.after_request(_security_headers(app.config))
    app.after_request(drain_unread_body)
    if app.config["DEMO_MODE"]:
        logger.info("demo mode: identity and Graph are the local emulator at %s",
                    app.config["AUTHORITY"])
    elif not app.config["REDIRECT_URI"]:
        logger.info("redirect URI taken from each request, for the hosts in TRUSTED_HOSTS only "
                    "(%s)%s", ", ".join(app.config["TRUSTED_HOSTS"]),
                    "" if app.config["TRUST_PROXY"] else "; behind a TLS proxy set TRUST_PROXY=1")
    return app


def _merged(overrides: dict, environ) -> dict:
    """load_config over the environment with ``overrides`` applied, so they are checked too."""
    env = dict(environ)
    for key, value in overrides.items():
        if key in config_module.ENV_KEYS and value is not None:
            env[key] = " ".join(value) if isinstance(value, (list, tuple)) else str(value)
    settings = config_module.load_config(env)
    settings.update({k: v for k, v in overrides.items() if k not in config_module.ENV_KEYS})
    return settings


def _request_id():
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if re.fullmatch(r"[\w.-]{1,64}", given) else secrets.token_hex(6)


def _page(title: str, text: str, status: int):
    return render_template("errors/error.html", title=title, text=text, status=status), status


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if err.code is None or err.code < 400:
            return err
        if api.owns(request.path):  # a route it lacks, a method it does not take: its JSON
            return api.http_error(err)
        words = {
            400: ("Bad request", err.description),
            403: ("Not allowed", "You may not open this page."),
            404: ("Page not found", "There is nothing at this address."),
            405: ("Not allowed here", "This page cannot be used that way."),
            413: ("Too large", "What you sent is larger than this app accepts."),
            414: ("Address too long", err.description),
        }
        title, text = words.get(err.code, (err.name, err.description))
        return _page(title, text, err.code)

    @app.errorhandler(SecurityError)
    def untrusted_host(err: SecurityError):
        # A Host header outside TRUSTED_HOSTS: no URL can be built for it, so no page template.
        return app.response_class("Bad request: this app does not answer to that host name.\n",
                                  400, content_type="text/plain; charset=utf-8")

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return _page("This form has expired",
                     "The page was open too long, or came from somewhere else. Go back, reload "
                     "the page and try again.", 400)

    @app.errorhandler(SessionStoreUnavailable)
    @app.errorhandler(redis.exceptions.RedisError)
    def store_down(err):
        logger.error("session store unavailable: %s", type(err).__name__)
        return _page("Temporarily unavailable",
                     "The app cannot reach its session store right now, so it cannot sign you "
                     "in or remember you. Try again in a minute.", 503)

    @app.errorhandler(AuthError)
    def auth_error(err: AuthError):
        if err.interaction_required and request.method == "GET":
            return auth.sign_in_again(err.scopes)
        return auth.auth_error_page(err)

    @app.errorhandler(GraphError)
    def graph_error(err: GraphError):
        return _page("Microsoft Graph could not do that", graph_advice(err), 502)

    @app.errorhandler(500)
    def server_error(err):
        original = getattr(err, "original_exception", None)
        if isinstance(original, (SessionStoreUnavailable, redis.exceptions.RedisError)):
            return store_down(original)
        logger.error("unhandled error (request %s)", g.get("request_id"), exc_info=original)
        return _page("Something went wrong",
                     "An unexpected error happened on our side. It has been logged; "
                     "try again in a moment.", 500)


def _security_headers(cfg):
    sources = {"'self'"}
    for url in (cfg.get("AUTHORITY"), cfg.get("DEMO_PAGES_URL")):
        if url:  # the sign-out form's POST ends in a redirect to the identity provider
            parts = urlsplit(url)
            sources.add(f"{parts.scheme}://{parts.netloc}")
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
           f"frame-ancestors 'none'; form-action {' '.join(sorted(sources))}")

    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Pages may show tokens or a profile: never stored, unless the view chose its own
        # caching (the profile photo: private, for a while).
        if request.endpoint not in STATIC_ENDPOINTS and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        if g.get("request_id"):
            headers.setdefault("X-Request-ID", g.request_id)
        return response
    return add_headers


def main() -> None:
    """``python app.py``: Werkzeug's threaded server on PORT, for local use."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    app.run(host="127.0.0.1", port=app.config["PORT"], debug=False, threaded=True)


if __name__ == "__main__":
    main()
