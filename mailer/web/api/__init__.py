"""The JSON API under /api/v1/ and its OpenAPI description (/api/v1/openapi.json).

flask-smorest builds the description from the routes' marshmallow schemas as an extension of
this plain Flask app (APIFlask would have the app be its own Flask subclass). Its app-wide
HTTPException handler is not installed: the app's other pages keep their HTML error pages, and
the API's blueprint answers errors in its own JSON shape (errors.py).

    views.py     the routes: submit, a job (read, cancel), a mailbox's messages
    webhooks.py  a mailbox's webhooks: make (its secret shown once), list, delete
    docs.py      /api/v1/docs: Swagger UI over the OpenAPI document, served locally
    bodies.py    a submit's body: JSON (nesting bounded) or multipart, checked by the schema
    schemas.py   the bodies and answers as marshmallow schemas (the OpenAPI document's source)
    examples.py  an example of each body and answer, for the OpenAPI document and docs page
    errors.py    the one error shape, and Graph's and Werkzeug's errors in it
    keys.py      API keys: made, stored as their SHA-256, verified, revoked
    uploads.py   a submit's files, named and measured for the intake
    services.py  the automation runtime, the queue and the keys, built once per app
"""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from mailer.web.api import docs
from mailer.web.api.errors import http_error  # noqa: F401  (the app's error pages use it)
from mailer.web.api.schemas import ErrorSchema
from mailer.web.api.views import bp
from mailer.web.api import webhooks  # noqa: F401,E402  (its routes join the blueprint)

DESCRIPTION = (
    "Send mail app-only as a mailbox of the organisation, follow the job, and read mailboxes. "
    "Every request carries an API key (Authorization: Bearer mk_...) that an administrator made "
    "for some mailboxes; a key acts for those mailboxes only (403 otherwise).\n\n"
    "Who may see a job: a job belongs to the mailbox it sends from, so any live key scoped to "
    "that mailbox may read it (GET /jobs/{job_id}) and cancel it, whichever key submitted it. "
    "A mailbox's scope is the unit an administrator grants; a key replaced by a new one for "
    "the same mailbox keeps its jobs reachable; revoking a key does not cancel its jobs.\n\n"
    "Idempotency-Key: 1 to 180 visible ASCII characters; the same key (per API key) with the "
    "same message is the same job, with a different message 422.\n\n"
    "Errors are always {\"error\": {\"code\", \"message\", \"field\", \"graph_code\"}}, "
    "from a malformed body to a method a path does not take (405, with Allow) or an address "
    "longer than 4,094 bytes (414).")


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema  # the documented default error: this API's one shape

    def _register_error_handlers(self):
        """None app-wide (see above)."""


def owns(path: str) -> bool:
    """Whether ``path`` is the API's: its errors are answered in the API's JSON shape."""
    return path == "/api" or path.startswith("/api/")


def init_app(app: Flask, csrf) -> Api:
    """Register the API and its document; exempt it (only it) from CSRF: it takes no cookie."""
    app.config.setdefault("API_TITLE", "Mail sender API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = _Api(app, spec_kwargs={"security": [{"apiKey": []}], "info": {
        "description": DESCRIPTION}})
    api.spec.components.security_scheme("apiKey", {
        "type": "http", "scheme": "bearer",
        "description": "an API key (mk_...) an admin made on the API keys page"})
    api.register_blueprint(bp)
    csrf.exempt(bp)
    app.register_blueprint(docs.bp)
    return api
