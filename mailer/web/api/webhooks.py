"""``/api/v1/mailboxes/{mailbox}/webhooks``: a program's webhooks on a mailbox (make, list,
delete), on the API's blueprint and in its OpenAPI document. A webhook belongs to its
mailbox, as a job does: any live key scoped to the mailbox may list and delete it.
The work is mailer/automation/webhooks/'s; here are the routes, their schemas and words.
"""
from __future__ import annotations

import re

from flask import current_app, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from mailer.automation.webhooks import service, signing, targets
from mailer.web.api.bodies import loads
from mailer.web.api.errors import ApiError, first_problem
from mailer.web.api.schemas import ErrorSchema
from mailer.web.api.views import authenticated, bp, errors, in_scope

WEBHOOK_ID = re.compile(r"wh_[0-9a-f]{16}")
BODY_MAX = 16 * 1024
CONFLICT = {"409": {"description": "the mailbox has as many webhooks as it may",
                    "content": {"application/json": {"schema": ErrorSchema}}}}


class WebhookInSchema(Schema):
    class Meta:
        unknown = RAISE

    url = fields.String(required=True, validate=validate.Length(1, targets.URL_MAX), metadata={
        "description": "where events are POSTed: https (http and loopback only where the "
                       "app's WEBHOOK_LOCAL is on: the demo); never this app, a link-local "
                       "or metadata address"})
    events = fields.List(fields.String(validate=validate.OneOf(signing.EVENTS)),
                         load_default=[signing.MESSAGE_RECEIVED],
                         validate=validate.Length(1, len(signing.EVENTS)),
                         metadata={"description": "message.received (the default)"})


class WatchSchema(Schema):
    state = fields.String(metadata={"description": "starting, watching (a Graph subscription "
                                                   "is live), polling (none could be made: "
                                                   "rounds every WATCH_EVERY), failing"})
    expires = fields.String(allow_none=True, metadata={
        "description": "the Graph subscription's expiry (renewed by the workers)"})
    last_round = fields.Float(allow_none=True, metadata={"description": "epoch seconds"})


class WebhookSchema(Schema):
    id = fields.String()
    mailbox = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    created = fields.Float(metadata={"description": "epoch seconds"})
    watch = fields.Nested(WatchSchema, allow_none=True)


class NewWebhookSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "whsec_…: verifies webhook-signature "
                                     "(Standard Webhooks); shown only in this answer"})


class WebhookListSchema(Schema):
    mailbox = fields.String()
    webhooks = fields.List(fields.Nested(WebhookSchema))


def _hooks() -> service.Webhooks:
    return service.of(current_app.extensions["mailer"]["delivery"])


def _with_watch(hooks: service.Webhooks, webhook: dict) -> dict:
    watch = hooks.records.watch(webhook["mailbox"]) or {}
    sub = watch.get("subscription") or {}
    return {**webhook, "watch": {"state": watch.get("state"), "expires": sub.get("expires"),
                                 "last_round": watch.get("last_round")}}


def _body() -> dict:
    """The JSON body, bounded and checked (nesting included: bodies.loads), as a 400."""
    if (request.content_length or 0) > BODY_MAX:
        raise ApiError(413, f"body: at most {BODY_MAX} bytes", field="body")
    try:
        return WebhookInSchema().load(loads(request.get_data(cache=False) or b"null", "body"))
    except ValidationError as exc:
        field, problem = first_problem(exc.messages)
        raise ApiError(400, f"{field}: {problem}", field=field) from None


@bp.post("/mailboxes/<mailbox>/webhooks")
@bp.doc(summary="Make a webhook", requestBody={"required": True, "content": {
    "application/json": {"schema": WebhookInSchema}}}, responses=CONFLICT)
@bp.response(201, NewWebhookSchema, description="made; its secret is in this answer only")
@errors(400, 401, 403)
def create_webhook(mailbox):
    """Send each new message of the mailbox to ``url`` as a signed event.

    Events follow Standard Webhooks: headers webhook-id (one per message, the same on every
    retry: dedupe by it), webhook-timestamp and webhook-signature (HMAC-SHA256 with the
    secret); a JSON body {"type": "message.received", "timestamp", "data": {"mailbox",
    "message": {...}}}. Answer 2xx within WEBHOOK_TIMEOUT; anything else is tried again,
    the wait doubling, for WEBHOOK_RETRY_FOR (a day)."""
    key = authenticated()
    address = in_scope(key, mailbox, "mailbox")
    body = _body()
    hooks = _hooks()
    try:
        made, secret = hooks.create(address, body["url"], body["events"],
                                    f"key {key['id']} ({key.get('name', '')})",
                                    request.host_url.rstrip("/"))
    except service.WebhookRefused as exc:
        raise ApiError(409 if exc.field == "mailbox" else 400, exc.message,
                       field=exc.field) from None
    return {**_with_watch(hooks, made), "secret": secret}, 201


@bp.get("/mailboxes/<mailbox>/webhooks")
@bp.doc(summary="List a mailbox's webhooks")
@bp.response(200, WebhookListSchema)
@errors(401, 403)
def list_webhooks(mailbox):
    """The mailbox's webhooks (their secrets are never shown again)."""
    address = in_scope(authenticated(), mailbox, "mailbox")
    hooks = _hooks()
    return {"mailbox": address,
            "webhooks": [_with_watch(hooks, w) for w in hooks.listed(address)]}


@bp.delete("/mailboxes/<mailbox>/webhooks/<webhook_id>")
@bp.doc(summary="Delete a webhook")
@bp.response(204)
@errors(401, 403, 404)
def delete_webhook(mailbox, webhook_id):
    """Stop sending to this webhook (deliveries still waiting are dropped); the mailbox's
    Graph subscription ends with its last webhook."""
    address = in_scope(authenticated(), mailbox, "mailbox")
    hooks = _hooks()
    found = hooks.records.webhook(webhook_id) if WEBHOOK_ID.fullmatch(webhook_id) else None
    if found is None or found["mailbox"] != address:
        raise ApiError(404, f"{address} has no webhook {webhook_id}.", field="webhook_id")
    hooks.delete(found)
    return "", 204
