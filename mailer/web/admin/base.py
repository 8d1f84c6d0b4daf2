"""The admin blueprint itself: its role check, and what its pages and the merge pages share
(a job's state in words, times shown in the reader's own zone)."""
from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, current_app, flash, render_template, request
from markupsafe import Markup

from mailer.web import times
from mailer.web.auth import current_roles, guard

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard(bp)
ADMIN_ROLE = "Mailer.Admin"
STATES = {"queued": "Queued: its turn comes at the mailbox's pace",
          "scheduled": "Scheduled: held until its time",
          "waiting": "Waiting: a throttle, Graph unavailable, or a lost answer to confirm",
          "sending": "Being sent", "sent": "Sent", "failed": "Not sent",
          "unknown": "Not confirmed: check the sender's Sent Items",
          "cancelled": "Cancelled", "missing": "Not found",
          "held": "Paused with its merge", "refused": "Left out: the preview refused it",
          "receiving": "Receiving its files from the program that submitted it"}
JOB_ID, MERGE_ID = re.compile(r"j[0-9a-f]{24}"), re.compile(r"m[0-9a-f]{16}")


def refused_page(role_words: str):
    """The 403 page of a signed-in person without the role, in words."""
    every = int(current_app.config["ROLE_CHECK_EVERY"])
    return render_template(
        "errors/error.html", title="Not for your account", status=403,
        text=f"These pages are for people holding {role_words}, and your account does not "
             "hold it now (the app asks Microsoft's identity platform again every "
             f"{every} seconds, so a role given or taken away since shows within that "
             "time)."), 403


@bp.before_request
def _admins_only():
    # Checked again with the identity platform every ROLE_CHECK_EVERY seconds: a role taken
    # away ends admin access at the next check, in the session already open.
    if ADMIN_ROLE not in current_roles():
        return refused_page(f"the app role {ADMIN_ROLE} (administrators)")
    return None


def day_filter(name: str) -> float | None:
    """A list's date filter ``name`` (YYYY-MM-DD, a UTC day) as epoch seconds at its start;
    one that is not a date is said in words and left out."""
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        flash(f"{'From' if name == 'since' else 'To'}: {value[:20]!r} is not a date such as "
              "2026-12-07.", "warning")
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()


@bp.app_template_filter("when")
@bp.app_template_filter("local_time")
def when(epoch) -> Markup:
    """A moment as a ``<time>`` static/app.js shows in the reader's zone (web/times.py)."""
    return times.local_time(epoch) if epoch else Markup("")


@bp.app_template_global()
def job_state_words(state: str) -> str:
    return STATES.get(state, state)
