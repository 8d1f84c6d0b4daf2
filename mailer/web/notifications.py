"""``POST /graph/notifications``: where Microsoft Graph posts change and lifecycle notifications
for the mailboxes the app watches (mailer/automation/webhooks/).

Public, as Graph needs it: no session is read or written and CSRF does not apply (nothing
here trusts a cookie); a POST is believed only as far as its ``clientState`` matches, and even
then it only queues a delta round. It answers at once (202; Graph wants an answer within 3
seconds, and retries otherwise): the work is the workers'. ``init_app`` also builds the
webhooks' tasks on the app's huey, so that a worker started in this process (the tests') or
any other runs them.
"""
from __future__ import annotations

import json
import logging

from flask import Blueprint, Flask, current_app, request

from mailer.automation.webhooks import receiver, service

logger = logging.getLogger(__name__)
bp = Blueprint("graph_notifications", __name__)
BODY_MAX = 4 * 1024 * 1024  # a collection of notifications is small; more is not Graph's


def webhooks() -> service.Webhooks:
    return service.of(current_app.extensions["mailer"]["delivery"])


def _text(body: str, status: int):
    return current_app.response_class(body, status, content_type="text/plain; charset=utf-8")


@bp.post(service.RECEIVER_PATH)
def notifications():
    """Graph's validation handshake, or a collection of notifications: 202 at once."""
    token = request.args.get("validationToken")
    if token is not None:
        answer = receiver.validation_answer(token)
        return _text(answer, 200) if answer is not None else _text("Bad token.\n", 400)
    raw = request.stream.read(BODY_MAX + 1)
    if len(raw) > BODY_MAX:
        return _text("Too large.\n", 413)
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        return _text("Not JSON.\n", 400)
    counted = receiver.receive(webhooks(), body)
    logger.debug("notifications: %s", counted)
    return _text("", 202)


def init_app(app: Flask, csrf) -> None:
    """Register the receiver (CSRF-exempt: Graph has no form token) and the webhooks'
    tasks on the app's delivery runtime."""
    app.register_blueprint(bp)
    csrf.exempt(bp)
    service.of(app.extensions["mailer"]["delivery"])
