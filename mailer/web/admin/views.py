"""Admin pages: app-only status and admin consent; API keys (make, shown once; revoke); a job's
page, a merge's page and CSV."""
from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)

from mailer.automation import csv_export, merge
from mailer.web.admin import consent
from mailer.web.admin.forms import ActionForm, KeyForm
from mailer.web.api import services
from mailer.web.auth import current_roles, current_user, guard, redirect_uri
from mailer.web.times import local_time

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard(bp)
ADMIN_ROLE = "Mailer.Admin"
STATES = {"queued": "Queued: its turn comes at the mailbox's pace",
          "scheduled": "Scheduled: held until its time",
          "waiting": "Waiting: a throttle, Graph unavailable, or a lost answer to confirm",
          "sending": "Being sent", "sent": "Sent", "failed": "Not sent",
          "unknown": "Not confirmed: check the sender's Sent Items",
          "cancelled": "Cancelled", "missing": "Not found",
          "receiving": "Receiving its files from the program that submitted it"}
JOB_ID, MERGE_ID = re.compile(r"j[0-9a-f]{24}"), re.compile(r"m[0-9a-f]{16}")


@bp.before_request
def _admins_only():
    # Checked again with the identity platform every ROLE_CHECK_EVERY seconds: a role taken
    # away ends admin access at the next check, in the session already open.
    if ADMIN_ROLE not in current_roles():
        every = int(current_app.config["ROLE_CHECK_EVERY"])
        return render_template(
            "errors/error.html", title="For administrators only", status=403,
            text=f"These pages are for people holding the app role {ADMIN_ROLE}, and your "
                 "account does not hold it now (the app asks Microsoft's identity platform "
                 f"again every {every} seconds, so a role given or taken away since shows "
                 "within that time)."), 403
    return None


@bp.app_template_filter("when")
def when(epoch):
    return local_time(epoch) if epoch else ""  # in the browser's time zone (mailer/web/times.py)


@bp.app_template_global()
def job_state_words(state: str) -> str:
    return STATES.get(state, state)


@bp.get("/")
def index():
    """Open jobs and merges, and a box to open one by id."""
    wanted = (request.args.get("id") or "").strip()
    if wanted:
        if JOB_ID.fullmatch(wanted):
            return redirect(url_for("admin.job", job_id=wanted))
        if MERGE_ID.fullmatch(wanted):
            return redirect(url_for("admin.merge_page", merge_id=wanted))
        flash("Id: a job id starts with j and has 24 more letters or digits; a merge id starts "
              "with m and has 16.", "warning")
    return render_template("admin/index.html", batches=_running(), wanted=wanted,
                           app_only=_app_only_status(), grant=ActionForm())


def _running() -> list[str]:
    """Recent merges, and the automation senders' jobs still to go ("merge:<id>", "job:<id>")."""
    rt = services.runtime()
    shown = [f"merge:{m}" for m in merge.recent(rt)]
    for sender in rt.senders:
        shown += [f"job:{r['id']}" for r in rt.lanes.listed(f"jobs-in:{sender}", 0, 100)
                  if r.get("kind") == "api" and r["state"] in services.CANCELLABLE + ("sending",)]
    return shown


def _app_only_status() -> consent.Status:
    return consent.app_only_status(current_app.config, current_app.extensions["mailer"]["http"])


def _consent_redirect_uri() -> str:
    """The consent callback's absolute URL: on REDIRECT_URI's origin when that is set (so a
    forged Host header cannot choose it), else as sign-in derives its own (same host checks)."""
    configured = current_app.config["REDIRECT_URI"]
    if configured:
        parts = urlsplit(configured)
        return f"{parts.scheme}://{parts.netloc}{url_for('admin.consent_callback')}"
    redirect_uri()
    return url_for("admin.consent_callback", _external=True)


@bp.post("/consent")
def start_consent():
    """To the identity platform's admin-consent page, for Graph's permissions of this app."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    url = consent.consent_url(current_app.config, _consent_redirect_uri(),
                              consent.new_state(session), current_app.extensions["mailer"]["http"])
    return redirect(url, 303)


@bp.get("/consent/callback")
def consent_callback():
    """The identity platform's answer: checked against the state kept here, said in words."""
    problem = consent.state_problem(session, request.args.get("state"))
    if problem:
        return render_template("admin/consent.html", granted=False, words=problem,
                               app_only=None, grant=ActionForm()), 400
    granted, words = consent.outcome(request.args)
    return render_template("admin/consent.html", granted=granted, words=words,
                           app_only=_app_only_status(), grant=ActionForm())


def _keys_page(form: KeyForm, new_key: str | None = None, status: int = 200):
    return render_template("admin/keys.html", form=form, keys=services.api_keys().listed(),
                           new_key=new_key, revoke=ActionForm(), admin_role=ADMIN_ROLE), status


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
    user = current_user() or {}
    key, _ = services.api_keys().create(form.name.data.strip(), form.senders.data,
                                        user.get("username") or "")
    return _keys_page(_key_form(), new_key=key, status=201)


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


@bp.get("/jobs/<job_id>")
def job(job_id):
    """One job: its message's recipients, where it stands, why it failed."""
    record = services.record(services.runtime(), job_id) if JOB_ID.fullmatch(job_id) else None
    if record is None:
        abort(404)
    description = record.get("description") or {}
    recipients = [(kind, a) for kind in ("to", "cc", "bcc")
                  for a in _listed(description.get(kind))]
    return render_template("admin/job.html", job=record, description=description,
                           recipients=recipients, cancel=ActionForm())


def _listed(value) -> list[str]:
    if isinstance(value, str):
        return [a.strip() for a in re.split(r"[,;]", value) if a.strip()]
    return list(value or [])


@bp.post("/jobs/<job_id>/cancel")
def cancel_job(job_id):
    """Cancel a queued job."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    done, outcome = services.cancel(services.runtime(), job_id)
    if done:
        flash("The job was cancelled: it will not be sent.", "success")
    else:
        flash(f"The job was not cancelled: it is {job_state_words(outcome).lower()}.", "warning")
    return redirect(url_for("admin.job", job_id=job_id))


def _merge(merge_id: str) -> dict:
    found = merge.status(services.runtime(), merge_id) if MERGE_ID.fullmatch(merge_id) else None
    if found is None:
        abort(404)
    return found


@bp.get("/merges/<merge_id>")
def merge_page(merge_id):
    """A merge: progress, each recipient's state, failures in words, CSV, cancel."""
    found = _merge(merge_id)
    done = sum(n for s, n in found["counts"].items() if s in ("sent", "failed", "cancelled"))
    return render_template("admin/merge.html", merge=found, done=done, cancel=ActionForm(),
                           failures=[r for r in found["rows"] if r["state"] == "failed"])


@bp.get("/merges/<merge_id>.csv")
def merge_csv(merge_id):
    """Every row's state as CSV (cells that a spreadsheet would run as a formula are quoted)."""
    found = _merge(merge_id)
    out = io.StringIO()
    csv_export.write_rows(out, found["rows"])
    return current_app.response_class(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="merge-{merge_id}.csv"'})


@bp.post("/merges/<merge_id>/cancel")
def cancel_merge(merge_id):
    """Cancel every row not yet sent or being sent."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    rt = services.runtime()
    outcomes = [services.cancel(rt, r["job"])[0] for r in _merge(merge_id)["rows"]
                if r["state"] in services.CANCELLABLE]
    flash(f"{sum(outcomes)} message(s) cancelled; {len(outcomes) - sum(outcomes)} were "
          "already under way.", "success")
    return redirect(url_for("admin.merge_page", merge_id=merge_id))
