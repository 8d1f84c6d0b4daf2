"""The API keys page: make a key (its secret shown once, with a curl line that sends a test
mail with it), revoke one."""
from __future__ import annotations

import json
import shlex

from flask import abort, current_app, flash, redirect, render_template, url_for

from mailer.web.admin.base import ADMIN_ROLE, bp
from mailer.web.admin.forms import ActionForm, KeyForm
from mailer.web.admin.views import public_url
from mailer.web.api import services
from mailer.web.auth import current_user

TEST_SUBJECT = "Test from the Mail sender API"


def curl_line(key: str, key_id: str, senders: list[str], me: str) -> str:
    """A shell line sending a test mail with ``key`` to ``me`` (from the admin's own mailbox
    when the key may send as it). Every part is quoted for the shell; the Idempotency-Key
    makes running it twice the same job."""
    sender = me if me in senders else senders[0]
    body = json.dumps({"from": sender, "to": [me or sender], "subject": TEST_SUBJECT,
                       "text": "This message was sent app-only with an API key: it works."})
    parts = ["curl", "-sS", "-X", "POST", public_url("api.submit"),
             "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
             "-H", f"Idempotency-Key: test-{key_id}", "-d", body]
    return " ".join(shlex.quote(p) for p in parts)


def _keys_page(form: KeyForm, new_key: str | None = None, curl: str = "", status: int = 200):
    return render_template("admin/keys.html", form=form, keys=services.api_keys().listed(),
                           new_key=new_key, curl=curl, revoke=ActionForm(),
                           admin_role=ADMIN_ROLE), status


def _key_form() -> KeyForm:
    form = KeyForm()
    form.senders.choices = [(s, s) for s in current_app.config["AUTOMATION_SENDERS"] or []]
    return form


@bp.get("/keys")
def keys():
    """The API keys: who made each, its mailboxes, when last used; a form for a new one."""
    return _keys_page(_key_form())


@bp.post("/keys")
def create_key():
    """Make a key; its secret is on this answer only (never stored, never shown again)."""
    form = _key_form()
    if not form.senders.choices:
        flash("No mailbox can be chosen: set AUTOMATION_SENDERS first.", "warning")
        return _keys_page(form, status=400)
    if not form.validate_on_submit():
        return _keys_page(form, status=400)
    me = (current_user() or {}).get("username") or ""
    key, made = services.api_keys().create(form.name.data.strip(), form.senders.data, me)
    return _keys_page(_key_form(), new_key=key, status=201,
                      curl=curl_line(key, made["id"], made["senders"], me.lower()))


@bp.post("/keys/<key_id>/revoke")
def revoke_key(key_id):
    """Revoke a key: it stops working at once."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    if services.api_keys().revoke(key_id):
        flash("The key was revoked: programs using it are refused from now on.", "success")
    else:
        flash("There is no such key (already revoked?).", "warning")
    return redirect(url_for("admin.keys"))
