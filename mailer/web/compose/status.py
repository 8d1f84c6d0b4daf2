"""The send's progress page and the JSON it polls: phases, bytes sent to Graph, the outcome.

The status is the send job's record (sending/jobs.py: state, code, detail), readable by any
worker; the page adds the draft's subject and recipients so the outcome says what was sent.
The outcome is put in plain words here (words.py) with the way forward: back to the intact
draft, sign in again, or check Sent Items when a lost answer left it unknown. A send whose
instance died (its lease expired) is taken over here, with the person's token, and settled
with Graph in the background: the page keeps polling and moves on by itself.
"""
from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, url_for

from mailer.sending import send_later
from mailer.sending.compose import split_addresses
from mailer.sending.drafts import DraftNotFound
from mailer.sending.jobs import NOT_SENT, RUNNING, SENT, UNKNOWN
from mailer.sending.plan import DRAFT, MAILBOX
from mailer.sending.sizes import human
from mailer.web.compose import bp
from mailer.web.compose.from_field import refusal_note
from mailer.web.compose.services import background_client, owner, services
from mailer.web.words import job_advice, job_message

# The steps shown for each kind of plan, as (job phase, words).
STEPS = {
    "sendmail": [("sending", "Sending the message")],
    DRAFT: [("creating draft", "Creating a draft in your mailbox"),
            ("uploading", "Uploading the attachments to Microsoft Graph"),
            ("sending", "Sending the message")],
    MAILBOX: [("saving draft", "Updating your draft in the Drafts folder"),
              ("sending", "Sending the message")],
}
TITLES = {RUNNING: "Sending…", SENT: "Sent", NOT_SENT: "Not sent", UNKNOWN: "Not confirmed"}
SENT_WORDS = "Microsoft 365 accepted your message for delivery."
SCHEDULED_WORDS = ("Microsoft 365 keeps your message in your Outbox and sends it at that time; "
                   "delete it from the Outbox to cancel it.")


def public(job: dict) -> dict:
    """The job as the page needs it (no owner id), with its outcome and sizes in words."""
    files = [{**f, "human": human(f["size"]), "done_human": human(f["done"])}
             for f in job.get("files", [])]
    return {
        "state": job["state"], "title": TITLES.get(job["state"], job["state"]),
        "phase": job.get("phase"), "plan": job.get("plan"), "message": job_message(job),
        "advice": SENT_WORDS if job["state"] == SENT else " ".join(filter(None, (
            refusal_note(job), job_advice(job)))),
        "error_code": job.get("error_code"), "needs_sign_in": bool(job.get("needs_sign_in")),
        "bytes_done": job.get("bytes_done", 0), "bytes_total": job.get("bytes_total", 0),
        "bytes_label": (("Kept in your draft in the Drafts folder, never sent"
                         if job.get("plan") == MAILBOX else
                         "Uploaded to a temporary draft in your mailbox, never sent")
                        if job["state"] == NOT_SENT else "Attachments sent to Microsoft Graph"),
        "done_human": human(job.get("bytes_done", 0)),
        "total_human": human(job.get("bytes_total", 0)), "files": files,
        "finished": job["state"] != RUNNING,
    }


def _job(draft_id: str) -> dict | None:
    """The send's record; one whose lease expired (its instance died) is taken over first."""
    jobs = services().jobs
    job = jobs.status(draft_id, owner())
    if jobs.orphaned(job):
        scopes = job.get("scopes") or ["Mail.Send", "Mail.ReadWrite"]  # a record from before
        job = jobs.recover(draft_id, owner(), background_client(scopes))
    return job


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
    """A sent message with a send-later time: "Scheduled for <time>" rather than "Sent"."""
    if view["state"] == SENT and summary and summary.get("scheduled"):
        view.update(title=f"Scheduled for {summary['scheduled']}", advice=SCHEDULED_WORDS)
    return view


@bp.get("/compose/<draft_id>/status")
def status(draft_id):
    """The send's progress; the outcome in plain words when it is over."""
    job = _job(draft_id)
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
    steps = STEPS.get(view["plan"], STEPS["sendmail"])
    reached = [phase for phase, _ in steps].index(view["phase"]) \
        if view["phase"] in [p for p, _ in steps] else (len(steps) if view["finished"] else -1)
    return render_template("mail/status.html", draft_id=draft_id, job=view, summary=summary,
                           steps=steps, reached=reached,
                           viewer=current_app.config["DEMO_PAGES_URL"])


@bp.get("/compose/<draft_id>/status.json")
def status_json(draft_id):
    """The same, as JSON for the page's polling."""
    job = _job(draft_id)
    if job is None:
        return jsonify({"error": "No send was started for this draft."}), 404
    return jsonify(_scheduled(public(job), _summary(draft_id)))

