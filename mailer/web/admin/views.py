"""Admin pages: the first screen (app-only consent, a key, a test mail, a merge: where each
stands), admin consent's round trip, and the old addresses of the merge pages."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from mailer.automation import merge_runs
from mailer.web.admin import consent
from mailer.web.admin.base import ADMIN_ROLE, JOB_ID, MERGE_ID, bp  # noqa: F401 (pages.py)
from mailer.web.admin.forms import ActionForm
from mailer.web.api import services
from mailer.web.auth import current_user, redirect_uri

EXAMPLES = "docs/examples"  # the example merge, in the project folder


def public_url(endpoint: str, **values) -> str:
    """An absolute URL of this app: on REDIRECT_URI's origin when that is set (so a forged
    Host header cannot choose it), else as sign-in derives its own (the same host checks)."""
    configured = current_app.config["REDIRECT_URI"]
    if configured:
        parts = urlsplit(configured)
        return f"{parts.scheme}://{parts.netloc}{url_for(endpoint, **values)}"
    redirect_uri()
    return url_for(endpoint, _external=True, **values)


@bp.get("/")
def index():
    """Where automation stands, step by step; a box to open a job or a merge by id."""
    wanted = (request.args.get("id") or "").strip()
    if wanted:
        if JOB_ID.fullmatch(wanted):
            return redirect(url_for("admin.job", job_id=wanted))
        if MERGE_ID.fullmatch(wanted):
            return redirect(url_for("merges.page", merge_id=wanted))
        flash("Id: a job id starts with j and has 24 more letters or digits; a merge id starts "
              "with m and has 16.", "warning")
    rt, senders = services.runtime(), current_app.config["AUTOMATION_SENDERS"] or []
    keys = services.api_keys().listed()
    recent, _ = merge_runs.listed(rt, count=5)
    return render_template(
        "admin/index.html", wanted=wanted, app_only=_app_only_status(), grant=ActionForm(),
        senders=senders, keys=keys, recent=recent,
        me=(current_user() or {}).get("username") or "",
        dry_run=f"python -m mailer merge {EXAMPLES}/recipients.csv {EXAMPLES}/invitation.html "
                f"--from {senders[0] if senders else 'MAILBOX'} --dry-run")


def _app_only_status() -> consent.Status:
    return consent.app_only_status(current_app.config, current_app.extensions["mailer"]["http"])


@bp.post("/consent")
def start_consent():
    """To the identity platform's admin-consent page, for Graph's permissions of this app."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    url = consent.consent_url(current_app.config, public_url("admin.consent_callback"),
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


@bp.get("/merges/<merge_id>")
def merge_page(merge_id):
    """A merge's page lives with the merge pages now."""
    return redirect(url_for("merges.page", merge_id=merge_id), 301)


@bp.get("/merges/<merge_id>.csv")
def merge_csv(merge_id):
    return redirect(url_for("merges.results", merge_id=merge_id), 301)
