"""Blueprint ``main``: home page (landing or dashboard), profile and its photo, token page."""
from __future__ import annotations

import hashlib
import logging

from flask import (Blueprint, current_app, flash, redirect, render_template, request,
                   session, url_for)

from mailer.web import avatar
from mailer.web.admin.base import ADMIN_ROLE
from mailer.web.merges.access import SENDER_ROLE
from mailer.identity import tokens
from mailer.web.auth import (SIGNED_OUT_COOKIE, current_identity, current_user, graph_client,
                             guard, login_required)
from mailer.identity.errors import AuthError
from mailer.graph.client import GraphError
from mailer.graph.errors import needs_sign_in
from mailer.identity.service import SESSION_USER
from mailer.graph.retry import RetryPolicy
from mailer.sending.sizes import human
from mailer.web.times import local_time
from mailer.web.words import graph_advice

logger = logging.getLogger(__name__)
bp = Blueprint("main", __name__)
# Signed out: the home page is the landing page; a photo is not found; the rest sign in first.
guard(bp, public={"main.index"}, not_pages={"main.profile_photo"})

# The navigation bar and the dashboard's tiles: (endpoint, label, Bootstrap icon, blurb). An item
# shows only when its endpoint is registered: a feature's blueprint appears by being registered.
NAV_ITEMS = [
    ("main.index", "Home", "house", ""),
    ("mail.compose", "Compose", "envelope-plus", "Write and send a message, with attachments."),
    ("outbox.index", "Outbox", "send", "What you sent that is still on its way, or did not go."),
    ("main.profile", "Profile", "person-vcard", "Your Microsoft profile, read from Graph."),
    ("main.token", "Tokens", "key", "Claims, scopes and expiry of your tokens."),
    ("merges.index", "Merges", "people", "Mail merge: a CSV, a template, one message each."),
    ("admin.index", "Admin", "shield-lock", "API keys, automation's jobs, consent."),
]
# Items shown only to people holding an app role (the id token's ``roles``): endpoint -> any
# of these roles.
NAV_ROLES = {"merges.index": {ADMIN_ROLE, SENDER_ROLE}, "admin.index": {ADMIN_ROLE}}
# GET /me's default properties, in the order a person reads them.
PROFILE_FIELDS = [
    ("displayName", "Display name"), ("givenName", "Given name"), ("surname", "Surname"),
    ("jobTitle", "Job title"), ("mail", "Email"), ("userPrincipalName", "User principal name"),
    ("businessPhones", "Business phones"), ("mobilePhone", "Mobile phone"),
    ("officeLocation", "Office"), ("preferredLanguage", "Preferred language"),
    ("id", "User id (object id)"),
]
# The photo route is cached by the browser, never fetched while a page renders: the nav shows
# it on every page, and a page must not wait for Graph (or hold megabytes in the session) for a
# decoration. Its URL carries a key per user, so another account signing in on the same browser
# never sees the cached picture of the last one. Ages in seconds:
PHOTO_MAX_AGE = 3600  # a photo: a new one shows within the hour
NO_PHOTO_MAX_AGE = 600  # initials, as the user has no photo
FAILED_MAX_AGE = 30  # initials, as Graph failed: ask again soon, but not on every page
PHOTO_TIMEOUT = 5.0  # a picture is not worth a long wait, nor a retry


@bp.app_context_processor
def _template_globals():
    functions, user = current_app.view_functions, session.get(SESSION_USER)
    roles = (user or {}).get("roles") or []
    return {
        "current_user": user,
        "nav_items": [{"endpoint": e, "label": label, "icon": icon, "blurb": blurb}
                      for e, label, icon, blurb in NAV_ITEMS
                      if e in functions and (e not in NAV_ROLES or NAV_ROLES[e] & set(roles))],
        "demo_mode": current_app.config["DEMO_MODE"],
        "photo_url": _photo_url,
        "human": human,  # the one size formatter of every page
        "local_time": local_time,  # every moment, shown in the browser's time zone
    }


def _photo_key(user: dict) -> str:
    return hashlib.sha256(f"{user.get('tid')}.{user.get('oid')}".encode()).hexdigest()[:16]


def _photo_url(user: dict | None) -> str | None:
    """The photo route's URL for ``user`` (the session's user dict), keyed to that user."""
    return url_for("main.profile_photo", u=_photo_key(user)) if user else None


@bp.get("/")
def index():
    """Signed out: what the app does and a Sign in button; signed in: the dashboard."""
    user = current_user()
    if not user:
        note = request.cookies.get(SIGNED_OUT_COOKIE) or ""
        signed_out = note.isdigit() and 0 < len(note) < 4
        response = current_app.make_response(render_template(
            "landing.html", signed_out=signed_out, still_going=int(note) - 1 if signed_out else 0))
        if signed_out:
            response.delete_cookie(SIGNED_OUT_COOKIE)  # said once
        return response
    return render_template("dashboard.html", user=user)


@bp.get("/profile")
@login_required(scopes=["User.Read"])
def profile():
    """The signed-in user's Microsoft profile (GET /me)."""
    try:
        me = graph_client(["User.Read"]).me()
    except GraphError as err:
        logger.info("profile: Graph said %s %s", err.status, err.code)
        return render_template("profile.html", me=None, rows=[], error=err,
                               advice=graph_advice(err), reauth=needs_sign_in(err)), 502
    rows = []
    for key, label in PROFILE_FIELDS:
        value = me.get(key)
        rows.append({"key": key, "label": label,
                     "value": ", ".join(value) if isinstance(value, list) else value})
    return render_template("profile.html", me=me, rows=rows, error=None)


@bp.get("/profile/photo")
def profile_photo():
    """The signed-in user's photo from Graph, or their initials in a coloured circle (SVG)."""
    user = current_user()
    picture, max_age = _graph_photo()
    if picture is None:
        picture = (avatar.initials_svg(user.get("name") or user.get("username"),
                                       user.get("oid") or ""), "image/svg+xml")
    response = current_app.response_class(picture[0], content_type=picture[1])
    if request.args.get("u") == _photo_key(user):
        response.headers["Cache-Control"] = f"private, max-age={max_age}"
    else:  # not this user's URL: caching it would show this picture to whoever uses it next
        response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
    return response


def _graph_photo() -> tuple[tuple[bytes, str] | None, int]:
    """((bytes, image type) or None, how long the answer may be cached); never raises for Graph."""
    client = graph_client(["User.Read"])
    client.retry = RetryPolicy(max_attempts=1, max_total_wait=0)  # one try: no wait
    client.timeout = min(client.timeout, PHOTO_TIMEOUT)
    try:
        found = client.photo()
    except (GraphError, AuthError) as err:
        logger.info("photo: none from Graph (%s)", getattr(err, "code", None) or type(err).__name__)
        return None, FAILED_MAX_AGE
    if found is None:
        return None, NO_PHOTO_MAX_AGE
    media = avatar.image_type(found[1])
    if media is None:
        logger.warning("photo: Graph sent %r, not an image type: not served", found[1][:60])
        return None, FAILED_MAX_AGE
    return (found[0], media), PHOTO_MAX_AGE


@bp.get("/token")
def token():
    """The id token and the access token, decoded for debugging; the raw access token masked."""
    details = current_identity().token_details()
    access = tokens.describe(details["access_token"])
    scopes = access.get("scopes") or details["scopes"]
    return render_template("token.html", details=details, access=access, scopes=scopes,
                           id_token=tokens.describe(details["id_token"]),
                           raw_access_token=details["access_token"])


@bp.post("/token/refresh")
def refresh():
    """Fetch a new access token now with the refresh token, then show the token page."""
    current_identity().get_token(force_refresh=True)
    flash("A new access token was fetched with the refresh token.", "success")
    return redirect(url_for("main.token"), 303)
