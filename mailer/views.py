"""Blueprint ``main``: the home page (landing or dashboard), the profile and the token page."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for

from . import tokens
from .auth import current_identity, current_user, graph_client, login_required
from .graph import GraphError, explain
from .graph_errors import needs_sign_in
from .identity import SESSION_USER

logger = logging.getLogger(__name__)
bp = Blueprint("main", __name__)

# The navigation bar and the dashboard's tiles: (endpoint, label, Bootstrap icon, blurb). An item
# shows only when its endpoint is registered: a feature's blueprint appears by being registered.
NAV_ITEMS = [
    ("main.index", "Home", "house", ""),
    ("mail.compose", "Compose", "envelope-plus", "Write and send a message, with attachments."),
    ("main.profile", "Profile", "person-vcard", "Your Microsoft profile, read from Graph."),
    ("main.token", "Tokens", "key", "Claims, scopes and expiry of your tokens."),
]
# GET /me's default properties, in the order a person reads them.
PROFILE_FIELDS = [
    ("displayName", "Display name"), ("givenName", "Given name"), ("surname", "Surname"),
    ("jobTitle", "Job title"), ("mail", "Email"), ("userPrincipalName", "User principal name"),
    ("businessPhones", "Business phones"), ("mobilePhone", "Mobile phone"),
    ("officeLocation", "Office"), ("preferredLanguage", "Preferred language"),
    ("id", "User id (object id)"),
]


@bp.app_context_processor
def _template_globals():
    functions = current_app.view_functions
    return {
        "current_user": session.get(SESSION_USER),
        "nav_items": [{"endpoint": e, "label": label, "icon": icon, "blurb": blurb}
                      for e, label, icon, blurb in NAV_ITEMS if e in functions],
        "demo_mode": current_app.config.get("DEMO_MODE", False),
    }


@bp.get("/")
def index():
    """Signed out: what the app does and a Sign in button; signed in: the dashboard."""
    user = current_user()
    if not user:
        return render_template("landing.html")
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
                               advice=explain(err), reauth=needs_sign_in(err)), 502
    rows = []
    for key, label in PROFILE_FIELDS:
        value = me.get(key)
        rows.append({"key": key, "label": label,
                     "value": ", ".join(value) if isinstance(value, list) else value})
    return render_template("profile.html", me=me, rows=rows, error=None)


@bp.get("/token")
@login_required
def token():
    """The id token and the access token, decoded for debugging; the raw access token masked."""
    details = current_identity().token_details()
    access = tokens.describe(details["access_token"])
    scopes = access.get("scopes") or details["scopes"]
    return render_template("token.html", details=details, access=access, scopes=scopes,
                           id_token=tokens.describe(details["id_token"]),
                           raw_access_token=details["access_token"])


@bp.post("/token/refresh")
@login_required
def refresh():
    """Fetch a new access token now with the refresh token, then show the token page."""
    current_identity().get_token(force_refresh=True)
    flash("A new access token was fetched with the refresh token.", "success")
    return redirect(url_for("main.token"), 303)
