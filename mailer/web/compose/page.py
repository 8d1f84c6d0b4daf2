"""Rendering the compose page, shared by the views that show a draft (and its errors)."""
from __future__ import annotations

from flask import jsonify, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from mailer.web.auth import current_user, wants_json
from mailer.sending.drafts import is_draft_id, is_file_id
from mailer.delivery.outcomes import FAILED, UNKNOWN
from mailer.sending.sizes import human
from mailer.web.compose.from_field import CONFIRMED, page_state, refusal_note
from mailer.web.compose.services import job_of, owner, services
from mailer.web.forms import ComposeForm
from mailer.web.job_words import job_advice, job_message

NO_DRAFT = "This draft does not exist: {shown} is not a draft's id. Start a new message instead."
NO_FILE = ("There is no such attachment in this draft: {shown} is not an attachment's id. Reload "
           "the page to see its attachments.")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def odd_id_refusal(values: dict | None):
    """A 404 in words when a route's draft or file id has a shape no id has, else None: such
    an id never reaches the draft store, the job store or the disk."""
    values = values or {}
    if "draft_id" in values and not is_draft_id(values["draft_id"]):
        words = NO_DRAFT.format(shown=_shown(values["draft_id"]))
    elif "file_id" in values and not is_file_id(values["file_id"]):
        words = NO_FILE.format(shown=_shown(values["file_id"]))
    else:
        return None
    if wants_json():
        return jsonify({"error": words}), 404
    return render_template("errors/error.html", title="Not found", text=words, status=404), 404


def render_draft(draft_id: str, form: ComposeForm, errors: dict | None = None,
                 status: int = 200, job: dict | None = None, notice: str | None = None,
                 alert: str | None = None, resume: str = ""):
    """The compose page for ``draft_id`` with ``form`` (and its errors) and the stored files."""
    mail = services()
    if errors:
        form.add_errors(errors)
    record = mail.drafts.owned_or_blank(draft_id, owner())  # read once: files, where they live
    files = mail.drafts.load(draft_id, owner(), record).attachments
    total = sum(a.size for a in files)
    if job is None:
        job = job_of(draft_id)
    if job and job["state"] == FAILED and not alert:
        alert = " ".join(filter(None, (refusal_note(job), job_advice(job))))
    if job:
        job = {**job, "message": job_message(job)}
    from mailer.web.mailbox.access import SESSION_BOXES  # (the mailbox blueprint imports ours)
    sender = page_state(mail.from_history, current_user() or {}, owner(),
                        form.from_address.data or "", _confirmed(draft_id),
                        opened=session.get(SESSION_BOXES) or [])
    return render_template(
        "mail/compose.html", form=form, draft_id=draft_id, files=files, total=total,
        human=human, limits=mail.limits, job=job, notice=notice, alert=alert, resume=resume,
        sender=sender, me=(current_user() or {}).get("username") or "",
        needs_sign_in=bool(job and job.get("needs_sign_in")),
        in_mailbox=bool((record.get("graph") or {}).get("id")),
        draft_consent_url=url_for("auth.login", next=url_for("mail.draft", draft_id=draft_id),
                                  scopes="Mail.ReadWrite"),
        unknown=bool(job and job["state"] == UNKNOWN)), status


def _confirmed(draft_id: str) -> str:
    """The From a "send anyway" tick was given for: kept when a POST is shown again, and for
    this draft across a consent round trip."""
    posted = ""
    if request.method == "POST":
        try:
            posted = request.form.get(CONFIRMED, "")
        except HTTPException:  # the page for a body too large to parse (413)
            posted = ""
    return posted or (session.get(CONFIRMED) or {}).get(draft_id, "")
