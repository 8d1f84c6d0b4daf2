"""Admin pages of programs' webhooks: every watched mailbox with its Graph subscription and
webhooks; a webhook's last attempts (status, response time, next try) with "Send test event"
and "Delete" (POST forms with the CSRF token). The work is mailer/automation/webhooks/'s."""
from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, url_for

from mailer.automation.webhooks import service
from mailer.web.admin.forms import ActionForm
from mailer.web.admin.base import bp

WEBHOOK_ID = re.compile(r"wh_[0-9a-f]{16}")
WATCH_STATES = {"starting": "Starting: the workers are making its subscription",
                "watching": "Watching: Graph notifies the app of new mail",
                "polling": "Polling: Graph refused a subscription; a delta round every "
                           "WATCH_EVERY seconds finds new mail",
                "failing": "Failing: Graph refused the last delta round; tried again every "
                           "WATCH_EVERY seconds",
                "stopping": "Stopping: its last webhook was deleted"}


def _hooks() -> service.Webhooks:
    return service.of(current_app.extensions["mailer"]["delivery"])


def _webhook(webhook_id: str) -> dict:
    found = _hooks().records.webhook(webhook_id) if WEBHOOK_ID.fullmatch(webhook_id) else None
    if found is None:
        abort(404)
    return found


@bp.get("/webhooks")
def webhooks():
    """Watched mailboxes, their subscription, their webhooks and what each delivered."""
    hooks = _hooks()
    boxes = []
    for mailbox in hooks.records.watched():
        watch = hooks.records.watch(mailbox) or {}
        listed = [{**w, "counts": hooks.records.log(w["id"])["counts"],
                   "open": len(hooks.records.open_deliveries(w["id"]))}
                  for w in hooks.listed(mailbox)]
        boxes.append({"mailbox": mailbox, "watch": watch, "webhooks": listed,
                      "state": WATCH_STATES.get(watch.get("state"), watch.get("state"))})
    return render_template("admin/webhooks.html", boxes=boxes)


@bp.get("/webhooks/<webhook_id>")
def webhook(webhook_id):
    """One webhook: its last attempts, a test event, delete."""
    found = _webhook(webhook_id)
    log = _hooks().records.log(webhook_id)
    return render_template("admin/webhook.html", webhook=service.public(found), log=log,
                           action=ActionForm())


@bp.post("/webhooks/<webhook_id>/test")
def test_webhook(webhook_id):
    """Queue a signed ``webhook.test`` event to the webhook now."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    sent = _hooks().send_test(_webhook(webhook_id))
    flash(f"A test event ({sent}) is on its way; its attempts show below.", "success")
    return redirect(url_for("admin.webhook", webhook_id=webhook_id))


@bp.post("/webhooks/<webhook_id>/delete")
def delete_webhook(webhook_id):
    """Delete a webhook (a program's own, made with its key): nothing more is sent to it."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    found = _webhook(webhook_id)
    _hooks().delete(found)
    flash(f"The webhook to {found['url']} was deleted.", "success")
    return redirect(url_for("admin.webhooks"))
