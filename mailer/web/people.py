"""Blueprint ``people``: the compose page's people picker.

    GET /people?q=<typed text>   JSON suggestions: {"people": [{name, address, source, group}]}
    GET /people/consent          the picker's permissions, asked in a small window (then "done")

The permissions are asked only when the picker is first used: until they are granted, /people
answers ``consent`` (where to ask them) and, in ``error``, why and the page opens that in a popup, so the
message being written stays as it is. A work or school account is asked People.Read and
User.ReadBasic.All; a personal account People.Read only, as Microsoft documents no directory
listing for personal accounts. Graph's failures come back as JSON in plain words, never a 500.
Nothing is kept on the instance: each request asks Graph.
"""
from __future__ import annotations

import logging
import re

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from mailer.graph.errors import GraphError
from mailer.graph.people import suggestions
from mailer.graph.retry import RetryPolicy
from mailer.identity.errors import AuthError
from mailer.web.auth import current_user, get_token, graph_client, guard, login_required
from mailer.web.words import auth_advice

logger = logging.getLogger(__name__)
bp = Blueprint("people", __name__)
guard(bp, words="You are signed out, so no suggestions. Sign in again: what you typed is kept.")

WORK_SCOPES = ["People.Read", "User.ReadBasic.All"]
PERSONAL_SCOPES = ["People.Read"]
Q_MAX = 100
# Suggestions are worth a short wait at most, and no retry: the next keystroke asks again.
PICKER_TIMEOUT = 5.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

CONSENT_WORDS = ("Suggestions need your permission to read the people you work with and your "
                 "organisation's directory. Allow it in the small window that opens; what you "
                 "typed stays here.")
BUSY_WORDS = ("No suggestions for now: Microsoft Graph is {what}. Type the address in full, or "
              "try again in a moment.")
DENIED_WORDS = ("Microsoft 365 did not let this app look up people ({code}). Type the address in "
                "full; an administrator may have restricted the app.")
EXPIRED_WORDS = "Your sign-in has expired, so no suggestions. Sign in again: what you typed is kept."
FAILED_WORDS = "Microsoft Graph could not suggest people ({status} {code}). Type the address in full."


def scopes_for(user: dict | None) -> list[str]:
    return PERSONAL_SCOPES if (user or {}).get("personal") else WORK_SCOPES


def _json(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # names and addresses from the directory
    return response


def _problem_with(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text:
        return "Search (q): type at least 1 character."
    if len(text) > Q_MAX:
        return f"Search (q): at most {Q_MAX} characters; {len(text)} were sent."
    if _CONTROL.search(text):
        return "Search (q): line breaks and control characters are not allowed."
    return None


def _graph_failure(err: GraphError):
    logger.info("people: Graph said %s %s", err.status, err.code)
    if err.status in (0, 429, 503, 504):
        what = {0: "out of reach", 429: "busy (throttling)"}.get(err.status, "unavailable")
        text, status = BUSY_WORDS.format(what=what), 503
    elif err.status == 401:
        return _json({"error": EXPIRED_WORDS, "consent": url_for("people.consent")}, 401)
    elif err.status == 403:
        text, status = DENIED_WORDS.format(code=err.code), 403
    else:
        text, status = FAILED_WORDS.format(status=err.status, code=err.code), 502
    if err.request_id:
        text += f" (request id {err.request_id})"
    return _json({"error": text}, status)


def _auth_failure(err: AuthError):
    if err.interaction_required:
        # Not an error but the next step, so 200: the page offers to ask.
        return _json({"error": CONSENT_WORDS, "consent": url_for("people.consent")})
    title, text, status = auth_advice(err)
    return _json({"error": f"{title}. {text}"}, status if status >= 400 else 502)


@bp.get("/people")
def suggest():
    """Suggestions for the typed text, people first, then the directory."""
    problem = _problem_with(request.args.get("q"))
    if problem:
        return _json({"error": problem, "field": "q"}, 400)
    user = current_user()
    scopes = scopes_for(user)
    try:
        get_token(scopes)  # consent still to be asked: say so before any Graph call
        client = graph_client(scopes)
        client.retry = RetryPolicy(max_attempts=1, max_total_wait=0)
        client.timeout = min(client.timeout, PICKER_TIMEOUT)
        found = suggestions(client, request.args["q"].strip(), directory=not user.get("personal"))
    except AuthError as err:
        return _auth_failure(err)
    except GraphError as err:
        return _graph_failure(err)
    return _json({"people": [s.as_json() for s in found]})


GRANTED_WORDS = "Suggestions are on."


@bp.get("/people/consent")
def consent():
    """The popup's first stop: on to the sign-in asking this account's permissions."""
    personal = (current_user() or {}).get("personal")
    return redirect(url_for("people.consent_personal" if personal else "people.consent_work"))


# login_required asks the scopes (incremental consent) and declares them to /login.
@bp.get("/people/consent/work")
@login_required(scopes=WORK_SCOPES)
def consent_work():
    """Permissions granted: the popup says so and closes."""
    return render_template("mail/consented.html", words=GRANTED_WORDS)


@bp.get("/people/consent/personal")
@login_required(scopes=PERSONAL_SCOPES)
def consent_personal():
    """Permissions granted (personal account): the popup says so and closes."""
    return render_template("mail/consented.html", words=GRANTED_WORDS)
