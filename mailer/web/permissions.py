"""Permissions as a person meets them: asked once for what they are doing, and the click that
needed one completes after it.

- **Families.** A mail page asks for what every mail page needs, together: read and write the
  mail (``Mail.ReadWrite`` covers reading), send it, and the people picker's permissions; a
  shared mailbox adds its ``.Shared`` pair. ``widen`` is applied by /login to whatever scope a
  page asks, so one prompt covers the day. A read chooses the scope the person holds
  (``read_scope``): ``Mail.ReadWrite`` once granted, else ``Mail.Read`` (an older grant).
- **What is held** comes from the account's tokens (``Identity.granted``), no round trip.
- **Resuming a click.** A form POST that needs a permission is kept in the session under a
  one-use token (never its CSRF token); after the sign-in, ``GET /resume/<token>`` shows the
  same form with a fresh CSRF token, which static/resume.js submits at once. So nothing is
  replayed on the server's side: the browser posts the person's own form again, checked as
  any other.

    GET /resume/<token>    the kept form, posted again by the browser
"""
from __future__ import annotations

import secrets
import time

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from mailer.web.auth import current_identity, current_user, guard

bp = Blueprint("consent", __name__)
guard(bp)

MAIL = ("Mail.ReadWrite", "Mail.Send")
PEOPLE_WORK, PEOPLE_PERSONAL = ("People.Read", "User.ReadBasic.All"), ("People.Read",)
SHARED = ("Mail.ReadWrite.Shared", "Mail.Send.Shared")
_MAIL_TRIGGERS = {"mail.read", "mail.readwrite", "mail.send", "people.read",
                  "user.readbasic.all"}
_SHARED_TRIGGERS = {"mail.read.shared", "mail.readwrite.shared", "mail.send.shared"}
SESSION_RESUME = "resume_forms"
KEPT, RESUME_TTL = 5, 15 * 60  # forms kept at once; seconds one waits for its sign-in
FIELD_MAX, FIELDS_MAX = 2000, 20  # what a kept form may hold (the mailbox forms are small)


def family(user: dict | None, shared: bool = False) -> list[str]:
    """Everything the mail pages need, for this kind of account."""
    personal = bool((user or {}).get("personal"))
    scopes = [*MAIL, *(PEOPLE_PERSONAL if personal else PEOPLE_WORK)]
    if shared and not personal:  # a personal account has no shared mailboxes
        scopes += SHARED
    return scopes


def widen(scopes: list[str], user: dict | None) -> list[str]:
    """``scopes`` and the family any of them belongs to (so a person is asked once)."""
    lowered = {s.lower() for s in scopes}
    extra: list[str] = []
    if lowered & (_MAIL_TRIGGERS | _SHARED_TRIGGERS):
        extra = family(user, shared=bool(lowered & _SHARED_TRIGGERS))
    return list(dict.fromkeys([*scopes, *extra]))


def held(scope: str) -> bool:
    """True when the signed-in person has granted ``scope`` (as their tokens say)."""
    return bool(current_user()) and scope.lower() in current_identity().granted()


def read_scope(read: str, read_write: str) -> str:
    """The scope to read with: ``read_write`` once granted (a consent asks for it), else the
    narrower ``read`` when only that was granted (before the families)."""
    if held(read_write) or not held(read):
        return read_write
    return read


# -- resuming the click that needed a permission -------------------------------------------------
def consent_then_resume(scopes: list[str], label: str):
    """Sign in for ``scopes``, then post this request's form again (see the module's doc)."""
    form = {k: v[:FIELD_MAX] for k, v in list(request.form.items())[:FIELDS_MAX]
            if k != "csrf_token"}
    token = secrets.token_urlsafe(16)
    kept = {k: v for k, v in (session.get(SESSION_RESUME) or {}).items()
            if time.time() - v.get("at", 0) < RESUME_TTL}
    kept[token] = {"action": request.path, "form": form, "label": label[:80], "at": time.time()}
    session[SESSION_RESUME] = dict(list(kept.items())[-KEPT:])
    return redirect(url_for("auth.login", next=url_for("consent.resume", token=token),
                            scopes=" ".join(scopes)), 303)


@bp.get("/resume/<token>")
def resume(token):
    """The kept form, with a fresh CSRF token; resume.js posts it at once (used up here)."""
    kept = dict(session.get(SESSION_RESUME) or {})
    found = kept.pop(token, None)
    session[SESSION_RESUME] = kept
    if not found or time.time() - found.get("at", 0) > RESUME_TTL:
        abort(404, description="This step was already done, or waited too long: go back and "
                               "press the button again.")
    return render_template("resume.html", action=found["action"], form=found["form"],
                           label=found["label"])
