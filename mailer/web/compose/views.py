"""The compose page and its Send: a new draft, the draft's page, and the form's submission.

Sending never loses anything: the fields are saved to the draft before they are checked, and a
failed check, a consent round trip, an expired session or a refused send all come back to the
same draft. Send hands the message to the send engine (mailer/delivery/) as a job keyed by the
draft id, so a double click or a refresh can never send twice; a worker sends it whether or not
the person waits, and these views only check, plan, submit and, for a small message, wait a
moment for its outcome.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app, flash, g, redirect, request, session, url_for

from mailer.delivery import records
from mailer.delivery import submit as engine
from mailer.delivery.outcomes import ACTIVE, SENT, UNKNOWN
from mailer.identity.errors import AuthError
from mailer.sending.compose import ComposeInvalid, prepare
from mailer.sending.drafts import DraftError, DraftNotFound, FileNotFound
from mailer.sending.from_history import address_key
from mailer.sending.plan import SENDMAIL, PlanRefused, plan
from mailer.sending.send_later import parse_utc, property_json
from mailer.web import sessions
from mailer.web.auth import current_user, get_token
from mailer.web.compose import bp
from mailer.web.compose import files, mailbox
from mailer.web.compose.from_field import CONFIRMED, personal_error
from mailer.web.compose.page import render_draft
from mailer.web.compose.services import acting_for, job_of, login_url, owner, services
from mailer.web.forms import ComposeForm

logger = logging.getLogger(__name__)
DAY = 86400.0
FROM_NOTICE = "Not sent yet: check the From address below."
ACTIONS = ("send", "save")  # and "remove:<file id>": the form's buttons


@bp.get("/compose")
def compose():
    """Start a new message: its page under a fresh id (stored at its first save, so a visit
    that types nothing leaves no draft behind)."""
    return redirect(url_for("mail.draft", draft_id=services().drafts.fresh_id()))


@bp.get("/compose/<draft_id>")
def draft(draft_id):
    """The draft's page, filled with what was typed and attached (empty for a new one)."""
    mail = services()
    try:
        record = mail.drafts.owned_or_blank(draft_id, owner())
        data, sent = mail.drafts.load(draft_id, owner(), record), bool(record.get("sent"))
    except DraftNotFound as exc:
        flash(f"{exc} A new message was started.", "warning")
        return redirect(url_for("mail.compose"))
    job = job_of(draft_id)
    if sent or (job and job["state"] in (*ACTIVE, SENT)):
        if sent or job["state"] == SENT:
            flash("This message has already been sent; it will not be sent again.", "info")
        return redirect(url_for("mail.status", draft_id=draft_id))
    # What was typed after the session expired is offered back by the page's own script, from
    # this browser's storage (static/compose-rescue.js): never kept here, where a cross-site
    # form could have put it.
    resume = request.args.get("resume")  # back from a consent: the click that asked goes on
    return render_draft(draft_id, ComposeForm.from_data(data), job=job,
                        resume=resume if resume in ACTIONS else "")


@bp.post("/compose/<draft_id>")
def submit(draft_id):
    """Send the draft (or save it, or remove one of its files when JavaScript is off)."""
    mail, who = services(), owner()
    job = job_of(draft_id)
    if job and job["state"] in (*ACTIVE, SENT, UNKNOWN):  # a resubmit or a double click
        if job["state"] == SENT:
            flash("This message has already been sent; it was not sent again.", "info")
        return redirect(url_for("mail.status", draft_id=draft_id), 303)
    form = ComposeForm()
    try:
        # First: every valid field is saved, whatever else is wrong; an invalid one keeps its
        # last saved value and is named on the page beside what was typed.
        before, stored = mail.drafts.typed(draft_id, who)
        data, problems = form.checked(before)
        saved = mail.drafts.save_fields(draft_id, who, data, create=True, seen=stored)
    except DraftNotFound as exc:
        flash(str(exc), "warning")
        return redirect(url_for("mail.compose"), 303)
    except DraftError:  # already sent
        return redirect(url_for("mail.status", draft_id=draft_id), 303)
    posted = [f for f in request.files.getlist("attachments") if f and f.filename]
    errors = files.add_posted_files(draft_id, who, posted)
    if not posted:  # the record as just saved: _send reads it without asking the store again
        g.draft_record = saved
    action = request.form.get("action", "send")
    if action.startswith("remove:"):
        try:
            files.remove(draft_id, who, action.split(":", 1)[1])
        except FileNotFound as exc:
            errors.setdefault("attachments", []).append(str(exc))
        if errors or problems:
            return render_draft(draft_id, form, errors=errors, status=400)
        return redirect(url_for("mail.draft", draft_id=draft_id), 303)
    if action not in ACTIONS:
        shown = repr(action if len(action) <= 40 else action[:40] + "…")
        return render_draft(draft_id, form, errors=errors, status=400, alert=(
            f"The button pressed ({shown}) is not one this page has: Send, Save draft or remove "
            "a file. Nothing was sent; what you typed is kept."))
    if action == "save" and not errors and not problems:
        try:
            trouble = mailbox.save_to_mailbox(draft_id)
        except mailbox.ConsentNeeded as exc:
            return redirect(exc.url, 303)  # granted, the page comes back to this draft
        flash(trouble or "Draft saved to your Drafts folder.", "warning" if trouble else "success")
        return redirect(url_for("mail.draft", draft_id=draft_id), 303)
    if action == "send":  # files the page still lists: the message never goes without them
        errors.setdefault("attachments", []).extend(_not_attached())
        errors = {k: v for k, v in errors.items() if v}
    if errors or problems:
        return render_draft(draft_id, form, errors=errors, status=400)
    return _send(draft_id, form)


def _send(draft_id: str, form: ComposeForm):
    mail, user = services(), current_user()
    data = form.to_data()
    record = g.pop("draft_record", None)
    data.attachments = mail.drafts.load(draft_id, owner(), record).attachments
    # Everything that can be known about From is checked here, before consent and uploads:
    # Graph itself only refuses a mailbox at the final send (see from_field.py).
    personal = personal_error(user, data.from_address)
    errors = {"from_address": [personal]} if personal else {}
    try:
        prepared = prepare(data, me_address=user.get("username"),
                           max_recipients=mail.limits.max_recipients)
        in_mailbox = (record.get("graph") or {}).get("id") if record else \
            mail.mailbox.mailbox_id(draft_id, owner())
        if in_mailbox and not prepared.from_address and user.get("username"):
            # A From set earlier in the mailbox draft must not outlive its removal here.
            prepared.message["from"] = {"emailAddress": {"address": user["username"]}}
        if in_mailbox:
            prepared.message.setdefault("replyTo", [])  # cleared here: cleared there
            if not data.send_at:  # a send-later time set there before: now (past: at once)
                prepared.message["singleValueExtendedProperties"] = [property_json(
                    dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))]
        the_plan = plan(prepared, mail.limits, draft_id=draft_id, mailbox_draft=in_mailbox)
    except ComposeInvalid as exc:
        errors = {**errors, **exc.errors}
    except PlanRefused as exc:
        errors["attachments"] = exc.errors
    if errors:
        return render_draft(draft_id, form, errors=errors, status=400)
    if prepared.from_address and not _from_confirmed(draft_id, prepared.from_address):
        return render_draft(draft_id, form, status=409, notice=FROM_NOTICE)
    try:
        token = get_token(the_plan.scopes)  # incremental consent: only what this send needs
    except AuthError as err:
        if err.interaction_required and form.resume.data != "1":
            logger.info("send needs consent to %s", " ".join(the_plan.scopes))
            return redirect(login_url(draft_id, the_plan.scopes, resume=True), 303)
        words = ("Microsoft did not grant the permissions this message needs "
                 f"({', '.join(the_plan.scopes)})." if err.interaction_required else
                 "The sign-in service could not be reached.")
        return render_draft(draft_id, form, status=400,
                            alert=f"{words} Your message is kept; try again.")
    not_before = parse_utc(data.send_at).timestamp() if data.send_at else None
    if not_before and in_mailbox:  # it waits in Drafts as it was written (Outlook shows it)
        trouble = mailbox.save_to_mailbox(draft_id)
        if trouble:
            return render_draft(draft_id, form, status=502, alert=trouble)
    if not_before:  # what it is sent from, and with, lives until then
        mail.drafts.keep_until(draft_id, owner(), not_before)
        sessions.keep_for_sends(user["account_id"], not_before + DAY)
    entries = (record or mail.drafts.owned(draft_id, owner()))["files"]
    job = records.compose_job(draft_id, owner(), prepared.from_address or user["username"],
                              prepared, the_plan, acting_for(the_plan.scopes, token), entries,
                              not_before)
    job, started, due_in = engine.submit_due(mail.rt, job)
    if session.get(CONFIRMED, {}).get(draft_id):  # used: a new refusal asks again
        session[CONFIRMED] = {k: v for k, v in session[CONFIRMED].items() if k != draft_id}
    logger.info("send %s: %s (%s)", draft_id, "submitted" if started else "already under way",
                the_plan.reason)
    quick = current_app.config["QUICK_SEND_WAIT"]
    if started and the_plan.kind == SENDMAIL and due_in is not None and due_in <= quick / 2:
        # One quick request that goes at once: answer with its outcome rather than a progress
        # page that flashes. One behind others in its lane (a merge from the same mailbox, the
        # minute's limit reached), or a slow one (throttled, say), goes on in a worker and the
        # status page follows it: no request thread waits for a slot.
        engine.wait(mail.rt, draft_id, quick)
    return redirect(url_for("mail.status", draft_id=draft_id), 303)


def _not_attached() -> list[str]:
    """One message per file the page listed but the draft lacks (compose-files.js posts their
    names in ``unattached`` while they upload or after they failed)."""
    names = [n.strip()[:200] for n in request.form.get("unattached", "").splitlines() if n.strip()]
    return [f"{name!r} is not attached: it was still uploading, or its upload failed. Nothing was "
            "sent. Attach it again or remove it from the list, then press Send."
            for name in names[:20]]


def _from_confirmed(draft_id: str, address: str) -> bool:
    """False when Graph refused ``address`` for this user before and the person has not ticked
    "send anyway" for it; a tick is kept for this draft across a consent round trip."""
    if not services().from_history.refused_at(owner(), address):
        return True
    if address_key(request.form.get(CONFIRMED, "")) != address_key(address):
        return False
    kept = dict(session.get(CONFIRMED) or {})
    kept[draft_id] = address_key(address)
    session[CONFIRMED] = dict(list(kept.items())[-10:])
    return True

