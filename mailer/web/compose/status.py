"""The send's progress page and the JSON it polls: phases, bytes sent to Graph, the outcome.

The status is the send job's record (mailer/delivery/records.py: state, code, detail), which a
worker writes as it sends; this page only reads it, and the send goes on whether or not anyone
looks (a dead worker's job is settled by the workers' sweep, not here). The page adds the
draft's subject and recipients so the outcome says what was sent, puts the outcome in plain
words (words.py) with the way forward: back to the intact draft, sign in again, check Sent
Items when a lost answer left it unknown, or cancel a scheduled send.
"""
from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, url_for

from mailer.delivery import submit as engine
from mailer.delivery.outcomes import CANCELLED, FAILED, FINAL, SCHEDULED, SENT, UNKNOWN
from mailer.sending import send_later
from mailer.sending.compose import split_addresses
from mailer.sending.drafts import DraftNotFound
from mailer.sending.plan import DRAFT, MAILBOX
from mailer.sending.sizes import human
from mailer.web.compose import bp
from mailer.web.compose.from_field import refusal_note
from mailer.web.compose.services import job_of, owner, seen, services
from mailer.web.job_words import job_advice, job_message

# The steps shown for each kind of plan, as (job phase, words).
STEPS = {
    "sendmail": [("sending", "Sending the message")],
    DRAFT: [("creating draft", "Creating a draft in your mailbox"),
            ("uploading", "Uploading the attachments to Microsoft Graph"),
            ("sending", "Sending the message")],
    MAILBOX: [("saving draft", "Updating your draft in the Drafts folder"),
              ("sending", "Sending the message")],
}
# The page's states: the engine's, as a person sees them.
VIEWS = {SENT: "sent", FAILED: "not_sent", CANCELLED: "not_sent", UNKNOWN: "unknown",
         SCHEDULED: "scheduled"}  # queued, waiting, sending: "running"
TITLES = {"running": "Sending…", "sent": "Sent", "not_sent": "Not sent",
          "unknown": "Not confirmed", "scheduled": "Scheduled"}
SENT_WORDS = "Microsoft 365 accepted your message for delivery."
SCHEDULED_WORDS = ("It waits in your Outbox and is sent at that time, whether or not you are "
                   "here. Cancel it to keep it as a draft.")


def public(job: dict) -> dict:
    """The job as the page needs it (no owner id), with its outcome and sizes in words."""
    files = [{**f, "human": human(f["size"]), "done_human": human(f["done"])}
             for f in job.get("files", [])]
    view = VIEWS.get(job["state"], "running")
    return {
        "state": view, "title": "Cancelled" if job["state"] == CANCELLED else TITLES[view],
        "phase": job.get("phase"), "plan": job.get("plan"), "message": job_message(job),
        "advice": SENT_WORDS if job["state"] == SENT else " ".join(filter(None, (
            refusal_note(job), job_advice(job)))),
        "error_code": job.get("error_code"), "needs_sign_in": bool(job.get("needs_sign_in")),
        "bytes_done": job.get("bytes_done", 0), "bytes_total": job.get("bytes_total", 0),
        "bytes_label": (("Kept in your draft in the Drafts folder, never sent"
                         if job.get("plan") == MAILBOX else
                         "Uploaded to a temporary draft in your mailbox, never sent")
                        if view == "not_sent" else "Attachments sent to Microsoft Graph"),
        "done_human": human(job.get("bytes_done", 0)),
        "total_human": human(job.get("bytes_total", 0)), "files": files,
        "finished": job["state"] in FINAL or job["state"] == SCHEDULED,
        "cancellable": job["state"] == SCHEDULED,
    }


def _summary(draft_id: str) -> dict | None:
    try:
        data = services().drafts.load(draft_id, owner())
    except DraftNotFound:
        return None
    count = sum(len(split_addresses(getattr(data, k))) for k in ("to", "cc", "bcc"))
    return {"subject": data.subject or "(no subject)", "to": split_addresses(data.to),
            "count": count, "from_address": data.from_address,
            "scheduled": send_later.shown(data.send_at, data.send_tz) if data.send_at else None}


def _scheduled(view: dict, summary: dict | None) -> dict:
    """A scheduled send: "Scheduled for <time, in the person's zone>"."""
    if view["state"] == "scheduled" and summary and summary.get("scheduled"):
        view.update(title=f"Scheduled for {summary['scheduled']}", advice=SCHEDULED_WORDS)
    return view


@bp.get("/compose/<draft_id>/status")
def status(draft_id):
    """The send's progress; the outcome in plain words when it is over."""
    job = job_of(draft_id)
    summary = _summary(draft_id)
    if job is None:
        if summary is None:
            return redirect(url_for("mail.compose"))
        if not services().drafts.is_sent(draft_id, owner()):
            return redirect(url_for("mail.draft", draft_id=draft_id))
        # sent long ago: the job record expired, the draft still says so
        job = {"state": SENT, "phase": "done", "plan": "sendmail", "code": None,
               "files": [], "bytes_done": 0, "bytes_total": 0}
    view = _scheduled(public(job), summary)
    if view["finished"]:
        seen(draft_id)
    steps = STEPS.get(view["plan"], STEPS["sendmail"])
    reached = [phase for phase, _ in steps].index(view["phase"]) \
        if view["phase"] in [p for p, _ in steps] else (len(steps) if view["finished"] else -1)
    return render_template("mail/status.html", draft_id=draft_id, job=view, summary=summary,
                           steps=steps, reached=reached,
                           viewer=current_app.config["DEMO_PAGES_URL"])


@bp.get("/compose/<draft_id>/status.json")
def status_json(draft_id):
    """The same, as JSON for the page's polling."""
    job = job_of(draft_id)
    if job is None:
        return jsonify({"error": "No send was started for this draft."}), 404
    view = _scheduled(public(job), _summary(draft_id))
    if view["finished"]:
        seen(draft_id)
    return jsonify(view)


@bp.post("/compose/<draft_id>/cancel")
def cancel(draft_id):
    """Cancel a scheduled (or still queued) send: the message stays a draft, untouched."""
    job = job_of(draft_id)
    done, state = engine.cancel(services().rt, draft_id) if job else (False, "missing")
    if done:
        flash("Cancelled: it will not be sent. Your message is kept as a draft.", "success")
        return redirect(url_for("mail.draft", draft_id=draft_id), 303)
    flash({"sending": "Too late to cancel: it is being sent right now.",
           "sent": "Too late to cancel: it has been sent.",
           "missing": "There is no send of this message to cancel."}.get(
              state, f"It cannot be cancelled now ({state})."), "warning")
    return redirect(url_for("mail.status", draft_id=draft_id), 303)

