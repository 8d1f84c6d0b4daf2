"""The jobs of automation's senders: a list (filters: state, sender, kind, dates; paged), a
job's page (where it stands, and what it waits for in words), cancel."""
from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from mailer.web.admin.base import JOB_ID, STATES, bp, day_filter, job_state_words
from mailer.web.admin.forms import ActionForm
from mailer.web.admin.waiting import job_wait
from mailer.web.api import services

PER_PAGE = 50
KINDS = {"api": "API", "cli": "command line", "merge": "merge rows"}
READ = 100  # records read at a time while a page fills


def _choice(name: str, allowed) -> str:
    value = request.args.get(name) or ""
    return value if value in allowed else ""


@bp.get("/jobs")
def jobs():
    """Programs' jobs sent from automation's mailboxes, newest first."""
    rt, senders = services.runtime(), current_app.config["AUTOMATION_SENDERS"] or []
    state, kind = _choice("state", STATES), _choice("kind", KINDS)
    sender = _choice("sender", senders)
    since, until = day_filter("since"), day_filter("until")
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1000))
    candidates = []
    for mailbox in [sender] if sender else senders:
        candidates += [(t, j) for j, t in rt.lanes.index(f"jobs-in:{mailbox}")
                       if JOB_ID.fullmatch(j) and (since is None or t >= since)
                       and (until is None or t < until + 86400)]
    candidates.sort(reverse=True)
    ids = [j for _, j in candidates]
    if state:
        ids = [j for j, s in zip(ids, rt.lanes.states(ids)) if s == state]
    found, wanted = [], page * PER_PAGE + 1  # one more: is there a next page?
    for at in range(0, len(ids), READ):
        for job_id in ids[at:at + READ]:
            record = rt.lanes.get(job_id)
            if record and (not kind or record.get("kind") == kind):
                found.append(record)
        if len(found) >= wanted:
            break
    shown = found[(page - 1) * PER_PAGE:page * PER_PAGE]
    return render_template("admin/jobs.html", jobs=shown, page=page, more=len(found) >= wanted,
                           senders=senders, states=STATES, kinds=KINDS,
                           args={k: v for k, v in request.args.items() if k != "page"},
                           chosen={"state": state, "sender": sender, "kind": kind,
                                   "since": request.args.get("since", ""),
                                   "until": request.args.get("until", "")})


@bp.get("/jobs/<job_id>")
def job(job_id):
    """One job: its message's recipients, where it stands, what it waits for, why it failed."""
    rt = services.runtime()
    record = services.record(rt, job_id) if JOB_ID.fullmatch(job_id) else None
    if record is None:
        abort(404)
    description = record.get("description") or {}
    recipients = [(kind, a) for kind in ("to", "cc", "bcc")
                  for a in _listed(description.get(kind))]
    view = rt.lanes.view(record["mailbox"], job_id) if record["state"] == "queued" else None
    wait = job_wait(record, view, rt.pace.per_minute, rt.pace.interval)
    return render_template("admin/job.html", job=record, description=description,
                           recipients=recipients, cancel=ActionForm(), wait=wait,
                           cancellable=record["state"] in services.CANCELLABLE)


def _listed(value) -> list[str]:
    if isinstance(value, str):
        return [a.strip() for a in re.split(r"[,;]", value) if a.strip()]
    return list(value or [])


@bp.post("/jobs/<job_id>/cancel")
def cancel_job(job_id):
    """Cancel a job that has not gone yet."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    done, outcome = services.cancel(services.runtime(), job_id)
    if done:
        flash("The job was cancelled: it will not be sent.", "success")
    else:
        flash(f"The job was not cancelled: it is {job_state_words(outcome).lower()}.", "warning")
    return redirect(url_for("admin.job", job_id=job_id))
