"""Blueprint ``outbox``: every send a person started and has not seen end, and what ended while
they were away.

    GET  /outbox                     your sends: queued, sending, waiting on Graph, scheduled
                                     (Cancel keeps it a draft), failed or unconfirmed (why, and
                                     Open draft), recently sent or cancelled (Open draft)
    GET  /outbox?box=<mailbox>       the sends from a shared mailbox you opened (Graph must let
                                     you read it: Full Access), whoever started them
    POST /outbox/<job_id>/cancel     cancel one of your sends still waiting for its turn

The records are the send engine's (mailer/delivery/); this page only reads them, and a send
goes on whether or not anyone looks. ``outbox_notices()`` (for base.html) gives the outcomes
that ended since the person's last page ("Sent: …", "Not sent: … — open it"), once each; the
send's own status page counts as seeing it.
"""
from __future__ import annotations

import logging
import time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from mailer.delivery import submit as engine
from mailer.delivery.outcomes import (ACTIVE, CANCELLED, FAILED, QUEUED, SCHEDULED, SENT, UNKNOWN,
                                      WAITING)
from mailer.graph.errors import GraphError
from mailer.web.auth import guard
from mailer.web.compose.services import owner, services
from mailer.web.mailbox.access import error_page, graph_failure, open_box, valid_box
from mailer.web.job_words import job_message

logger = logging.getLogger(__name__)
bp = Blueprint("outbox", __name__)
guard(bp)
SHOWN = 100  # sends listed, newest first
RECENT = 24 * 3600  # seconds a sent or cancelled one stays listed
LABELS = {QUEUED: "Queued", SCHEDULED: "Scheduled", WAITING: "Waiting", "sending": "Sending",
          SENT: "Sent", FAILED: "Not sent", UNKNOWN: "Not confirmed", CANCELLED: "Cancelled",
          "receiving": "Receiving its files", "held": "Paused"}


def _listed(key: str, now: float) -> list[dict]:
    jobs = services().rt.lanes.listed(key, 0, SHOWN)
    return [j for j in jobs if j["state"] in ACTIVE + (FAILED, UNKNOWN, "receiving")
            or (j["state"] == SENT and now - (j.get("sent_at") or 0) < RECENT)
            or (j["state"] == CANCELLED and now - (j.get("cancelled_at") or 0) < RECENT)]


def _row(job: dict, mine: bool) -> dict:
    compose = job.get("compose") or {}
    when = {SCHEDULED: job.get("not_before"), CANCELLED: job.get("cancelled_at")}.get(
        job["state"]) or job.get("created")
    return {"id": job["id"], "state": job["state"], "label": LABELS.get(job["state"], job["state"]),
            "subject": job.get("subject") or "(no subject)", "to": job.get("to") or [],
            "mailbox": job.get("mailbox"), "kind": job.get("kind"), "when": when,
            "words": job_message(job), "mine": mine,
            "cancellable": mine and job["state"] in (QUEUED, SCHEDULED, WAITING),
            "draft": compose.get("draft_id") if mine else None,
            "status": url_for("mail.status", draft_id=job["id"]) if mine and compose else None}


def still_to_go(me: str) -> tuple[int, float]:
    """(how many of ``me``'s sends have not ended, until when they may need the person's
    tokens: the latest one's time, or now, plus a day of retries)."""
    jobs = [j for j in services().rt.lanes.listed(f"jobs-of:{me}", 0, SHOWN)
            if j["state"] in ACTIVE]
    return len(jobs), max([j.get("not_before") or 0 for j in jobs] + [time.time()]) + 86400


@bp.get("/outbox")
def index():
    """Your sends (or a shared mailbox's, ``box``), newest first."""
    box, now, me = (request.args.get("box") or "").strip().lower(), time.time(), owner()
    if box:
        if not valid_box(box):
            return error_page("Check the address", "Mailbox address: type an address such as "
                              "sales@contoso.example.", 400)
        try:  # Graph decides who may see a shared mailbox's sends: Full Access to it
            open_box(box).list_folder("outbox", top=1)
        except GraphError as err:
            return graph_failure(err, box)
        jobs = _listed(f"jobs-in:{box}", now)
    else:
        jobs = _listed(f"jobs-of:{me}", now)
    rows = [_row(j, j.get("owner") == me) for j in jobs]
    waiting = sum(1 for j in jobs if j["state"] in ACTIVE and (  # the page follows these
        j["state"] != SCHEDULED or (j.get("not_before") or 0) - now < 300))
    return render_template("outbox.html", rows=rows, box=box, waiting=waiting)


@bp.post("/outbox/<job_id>/cancel")
def cancel(job_id):
    """Cancel one of your sends that still waits for its turn; it stays a draft."""
    rt = services().rt
    job = rt.lanes.get(job_id) if len(job_id) <= 64 else None
    if not job or job.get("owner") != owner():
        abort(404)
    done, state = engine.cancel(rt, job_id)
    if done:
        flash(f"Cancelled: {job.get('subject') or '(no subject)'} will not be sent; it is kept "
              "as a draft.", "success")
    else:
        flash(f"Too late to cancel {job.get('subject') or '(no subject)'!r}: it is "
              f"{LABELS.get(state, state).lower()}.", "warning")
    return redirect(url_for("outbox.index"), 303)


@bp.app_context_processor
def _notices():
    return {"outbox_notices": notices}


def notices() -> list[dict]:
    """Outcomes that ended while the person was away, once each (base.html shows them)."""
    me = owner()
    if not me or request.headers.get("X-Mailer-Follow"):  # a page's script, not the person
        return []
    rt, shown = services().rt, []
    try:
        for job_id in rt.lanes.notices(me):
            job = rt.lanes.get(job_id)
            if job and job.get("owner") == me and job["state"] in (SENT, FAILED, UNKNOWN):
                shown.append({"state": job["state"], "subject": job.get("subject") or
                              "(no subject)", "url": url_for("mail.status", draft_id=job_id)})
    except Exception:  # noqa: BLE001 - a notice is not worth a failed page
        logger.exception("could not read the person's notices")
    return shown
