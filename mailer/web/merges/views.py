"""The merge pages: the list, a new merge (form, preview, start), its progress (live), pause,
resume, cancel, and its results as CSV. Views stay thin: automation/merge_*.py does the work."""
from __future__ import annotations

import datetime as dt
import io
import time

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from werkzeug.exceptions import RequestEntityTooLarge

from mailer.automation import csv_export, merge, merge_drafts, merge_runs
from mailer.automation.errors import AutomationError
from mailer.automation.merge_rows import duration
from mailer.delivery.held import shared_key
from mailer.sending import send_later
from mailer.sending.sizes import human
from mailer.web.admin.base import MERGE_ID, day_filter, job_state_words
from mailer.web.admin.forms import ActionForm
from mailer.web.admin.waiting import merge_time
from mailer.web.api import services
from mailer.web.auth import guard
from mailer.web.merges import access
from mailer.web.merges.forms import MergeForm, Refusal, csv_text, files, limits

bp = Blueprint("merges", __name__, url_prefix="/merges")
guard(bp)
bp.before_request(access.merge_people_only)
PER_PAGE, ROWS_PER_PAGE = 20, 100
FIELD_OF = {"from": "sender", "to_column": "to_column", "CSV": "csv_file",
            "file_column": "file_column", "row_files": "row_files", "TEMPLATE": "body"}


@bp.url_value_preprocessor
def _limits(endpoint, values):
    if endpoint == "merges.create":
        limits(request)  # before CSRFProtect parses the form


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(err):
    flash(f"The form was larger than a merge takes: its CSV at most "
          f"{human(merge_drafts.CSV_MAX)}, its files at most {human(merge_drafts.FILES_TOTAL_MAX)}"
          f" together ({merge_drafts.FILES_MAX} files). Nothing was kept.", "danger")
    return _form_page(_form(formdata=None), status=413)  # the body is not read again


def _form(**options) -> MergeForm:
    form = MergeForm(**options)
    form.sender.choices = [(s, s) for s in current_app.config["AUTOMATION_SENDERS"] or []]
    return form


def _form_page(form: MergeForm, draft: dict | None = None, status: int = 200):
    return render_template("merges/new.html", form=form, draft=draft,
                           small_max=services.runtime().limits.small_attachment_max,
                           limits=merge_drafts), status


@bp.get("/")
def index():
    """The merges, newest first: state, sender, dates; a sender sees her own."""
    rt, senders = services.runtime(), current_app.config["AUTOMATION_SENDERS"] or []
    state = request.args.get("state") if request.args.get("state") in merge_runs.MERGE_STATES \
        else None
    sender = request.args.get("sender") if request.args.get("sender") in senders else None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1000))
    since, until = day_filter("since"), day_filter("until")
    shown, more = merge_runs.listed(rt, sender=sender, state=state, since=since,
                                    until=until + 86400 if until else None,
                                    started_by=access.whose(), start=(page - 1) * PER_PAGE,
                                    count=PER_PAGE)
    return render_template("merges/index.html", merges=shown, page=page, more=more,
                           senders=senders, states=merge_runs.MERGE_STATES,
                           args={k: v for k, v in request.args.items() if k != "page"},
                           chosen={"state": state or "", "sender": sender or "",
                                   "since": request.args.get("since", ""),
                                   "until": request.args.get("until", "")})


@bp.get("/new")
def new():
    """The form: the CSV, the sender, the template in the compose page's editor, files."""
    form, draft = _form(), None
    wanted = request.args.get("draft")
    if wanted:
        draft = merge_drafts.load(services.runtime(), wanted, access.me())
        if draft:
            form.process(data={"sender": draft["sender"], "csv_text": draft["csv"],
                               "to_column": draft["to_column"], "subject": draft["subject"],
                               "body": draft["body"], "file_column": draft["file_column"],
                               "body_type": "html" if draft["html"] else "text",
                               "draft": draft["id"]})
    return _form_page(form, draft)


@bp.post("/new")
def create():
    """Keep the merge as a draft, check every row, and show the preview (or the form again,
    the field at fault named)."""
    form, rt = _form(), services.runtime()
    if not form.validate_on_submit():
        return _form_page(form, status=400)
    earlier = merge_drafts.load(rt, form.draft.data or "", access.me())
    try:
        text = csv_text(form)
        small = rt.limits.small_attachment_max
        every = files("attachments", "Files for every row", small)
        own = files("row_files", "Files named by rows", small, sum(len(u.data) for u in every))
        if len(every) + len(own) > merge_drafts.FILES_MAX:
            raise Refusal("row_files", f"Files: {len(every) + len(own)} in all; a merge takes "
                          f"at most {merge_drafts.FILES_MAX}.")
        if earlier and not every:  # changing a merge: its files stay unless new ones came
            every = [_kept(rt, f) for f in earlier["attachments"]]
        if earlier and not own:
            own = [_kept(rt, f) for f in earlier["row_files"].values()]
        not_before = _send_at(form)
        draft = merge_drafts.create(
            rt, access.me(), sender=form.sender.data, to_column=form.to_column.data.strip(),
            subject=form.subject.data or "", body=form.body.data or "",
            html=form.body_type.data == "html", csv_text=text, attachments=every,
            row_files=own, file_column=(form.file_column.data or "").strip(),
            not_before=not_before)
        merge_drafts.preview(rt, draft)
    except Refusal as exc:
        return _refused(form, exc.field, str(exc))
    except AutomationError as exc:
        return _refused(form, FIELD_OF.get(exc.field, "csv_file"), _said(exc))
    return redirect(url_for("merges.preview", draft_id=draft["id"]), 303)


def _kept(rt, held: dict) -> merge_drafts.Upload:
    data = rt.store.get_bytes(shared_key(held["sha256"]))
    if data is None:
        raise Refusal("attachments", f"{held['name']} is no longer kept: pick it again.")
    return merge_drafts.Upload(held["name"], held["content_type"], data)


def _said(exc: AutomationError) -> str:
    label = {"from": "Send as", "to_column": "Column of the addresses", "CSV": "CSV",
             "TEMPLATE": "Template", "file_column": "Column naming each row's files",
             "row_files": "Files named by rows"}.get(exc.field, exc.field)
    return f"{label}: {exc.message}"


def _refused(form: MergeForm, field: str, words: str):
    form[field].errors = [words]  # shown beside the field
    return _form_page(form, status=400)


def _send_at(form: MergeForm) -> float | None:
    """The time to start at (a time in the browser's zone), or None for now."""
    if form.when.data != "later":
        return None
    try:
        stamp = send_later.to_utc(form.send_at.data or "", form.send_tz.data or "")
    except ValueError as exc:
        raise Refusal("send_at", str(exc).replace("Send later", "Send at")) from None
    if not stamp:
        raise Refusal("send_at", "Send at: pick the date and time to start, or Now.")
    at = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    furthest = current_app.config["JOB_TTL"] - 86400
    if at - time.time() > furthest:
        raise Refusal("send_at", f"Send at: at most {furthest // 86400:.0f} days ahead (a "
                      "merge's rows are kept JOB_TTL, and a day to send them).")
    return at if at > time.time() else None


def _draft(draft_id: str) -> dict:
    found = merge_drafts.load(services.runtime(), draft_id, access.me())
    if found is None:
        abort(404)
    return found


@bp.get("/drafts/<draft_id>")
def preview(draft_id):
    """The first rows as the recipients will see them, every refused row and why, how many
    go and how long that takes; Start."""
    draft, rt = _draft(draft_id), services.runtime()
    if draft.get("started"):
        return redirect(url_for("merges.page", merge_id=draft["started"]))
    shown = draft.get("preview") or merge_drafts.preview(rt, draft)
    took = merge_time(duration(rt, draft["sender"], shown["good"]))
    return render_template("merges/preview.html", draft=draft, preview=shown, took=took,
                           start=ActionForm())


@bp.post("/drafts/<draft_id>/start")
def start(draft_id):
    """Queue the good rows, once (a second press finds the first)."""
    draft = _draft(draft_id)
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    merge_id = merge_drafts.start(services.runtime(), draft, access.me())
    return redirect(url_for("merges.page", merge_id=merge_id), 303)


def _merge(merge_id: str) -> dict:
    found = merge.batch(services.runtime(), merge_id) if MERGE_ID.fullmatch(merge_id) else None
    if not access.may_see(found):
        abort(404)
    return found


def _progress(merge_id: str) -> dict:
    _merge(merge_id)
    state = request.args.get("state") or None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))
    return merge_runs.progress(services.runtime(), merge_id, (page - 1) * ROWS_PER_PAGE,
                               ROWS_PER_PAGE, state if state in job_states() else None)


def job_states() -> tuple:
    return ("queued", "scheduled", "waiting", "sending", "held", "sent", "failed", "unknown",
            "cancelled", "refused", "missing")


@bp.get("/<merge_id>")
def page(merge_id):
    """A merge's progress, row by row (live: static/merge-progress.js polls status.json)."""
    found = _progress(merge_id)
    return render_template("merges/merge.html", merge=found, act=ActionForm(),
                           page=request.args.get("page", 1, type=int) or 1,
                           rows_per_page=ROWS_PER_PAGE, only=request.args.get("state") or "")


@bp.get("/<merge_id>/status.json")
def status(merge_id):
    """The same, as JSON for the page's script: counts, state, and the page's rows."""
    found = _progress(merge_id)
    for row in found["rows"]:
        row["state_words"] = job_state_words(row["state"])
    return jsonify(found)


def _act(merge_id: str, action) -> None:
    _merge(merge_id)
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and try again.")
    action(services.runtime(), merge_id)


@bp.post("/<merge_id>/pause")
def pause(merge_id):
    """Hold the rows not yet sent (a row being sent now finishes)."""
    _act(merge_id, lambda rt, m: flash(f"Paused: {merge_runs.pause(rt, m):,} row(s) held; a "
                                       "row being sent at this moment still goes.", "success"))
    return redirect(url_for("merges.page", merge_id=merge_id), 303)


@bp.post("/<merge_id>/resume")
def resume(merge_id):
    """Put the held rows back where they were."""
    _act(merge_id, lambda rt, m: flash(f"Resumed: {merge_runs.resume(rt, m):,} row(s) back in "
                                       "the queue.", "success"))
    return redirect(url_for("merges.page", merge_id=merge_id), 303)


@bp.post("/<merge_id>/cancel")
def cancel(merge_id):
    """Cancel every row not yet sent or being sent."""
    def act(rt, m):
        done, busy = merge_runs.cancel(rt, m)
        flash(f"{done:,} message(s) cancelled; {busy:,} were already under way.", "success")
    _act(merge_id, act)
    return redirect(url_for("merges.page", merge_id=merge_id), 303)


@bp.get("/<merge_id>.csv")
def results(merge_id):
    """Every row's outcome as CSV: times in UTC, cells a spreadsheet would run quoted."""
    _merge(merge_id)
    found = merge.status(services.runtime(), merge_id)
    out = io.StringIO()
    csv_export.write_rows(out, found["rows"])
    return current_app.response_class(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="merge-{merge_id}.csv"'})
