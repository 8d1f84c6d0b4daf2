"""``GET /mail/live``: whether the person's Inbox changed since they last asked, and its unread
count, for static/mail-live.js (the Inbox list and the navigation's count, without a reload).

A cheap poll of the Inbox's delta state rather than server-sent events: the page asks every
POLL seconds while it is visible, and each ask is one delta request from the link kept in the
server-side session, which Graph answers from its change log (nothing to read when nothing
changed); only a change costs a second request, the unread count. Server-sent events would
hold a gunicorn thread per open tab for as long as it stays open (an instance runs a few
threads) and would need the app's own subscription per person, fanned out across instances;
a person's mail would then be pushed, but to a page that a poll every 20 s serves nearly as
well. The link covers mail received from the first poll on (``receivedDateTime ge``), so the
first round reads nothing old; a link Graph forgot (410) starts again and counts as a change.
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from flask import jsonify, session

from mailer.graph.changes import MailChanges, needs_full_sync
from mailer.graph.errors import GraphError
from mailer.graph.mailbox import Mailbox
from mailer.graph.retry import RetryPolicy
from mailer.identity.errors import AuthError
from mailer.web.auth import graph_client
from mailer.web.mailbox import bp
from mailer.web.mailbox.access import ME, SESSION_UNREAD, UNREAD_TIMEOUT, read_scopes

logger = logging.getLogger(__name__)
SESSION_LIVE = "mail_live"
POLL = 20  # seconds between asks of a visible page (static/mail-live.js reads it)
START_MARGIN = dt.timedelta(minutes=1)  # our clock and Graph's may differ a little


def _answer(changed: bool, unread, **more):
    response = jsonify({"changed": changed, "unread": unread, "every": POLL, **more})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mail/live")
def live():
    """{"changed", "unread", "every"}: ``stop`` when there is nothing to watch yet (Mail.Read
    not granted: the Inbox was never opened), ``retry`` after a failure."""
    cached = session.get(SESSION_UNREAD) or {}
    if not cached.get("ok"):
        return _answer(False, None, stop=True)
    client = graph_client(read_scopes(ME))
    client.retry = RetryPolicy(max_attempts=1, max_total_wait=0)
    client.timeout = min(client.timeout, UNREAD_TIMEOUT)
    changes, link = MailChanges(client), (session.get(SESSION_LIVE) or {}).get("link")
    try:
        try:
            delta = changes.delta(delta_link=link) if link else changes.delta(
                "inbox", select=["isRead"], page_size=50,
                received_since=dt.datetime.now(dt.timezone.utc) - START_MARGIN)
            changed = bool(link) and bool(delta.changed or delta.removed)
        except GraphError as err:
            if not (link and needs_full_sync(err)):
                raise
            delta, changed = changes.delta("inbox", select=["isRead"], page_size=50,
                                           received_since=changes.graph_now() - START_MARGIN), True
        unread = cached.get("n")
        if changed or unread is None or not link:  # the first ask: a fresh count
            unread = Mailbox(client).unread_count()
            session[SESSION_UNREAD] = {"ok": True, "n": unread, "at": time.time()}
    except (GraphError, AuthError) as err:
        logger.info("live inbox: none (%s)", getattr(err, "code", None) or type(err).__name__)
        return _answer(False, cached.get("n"), retry=POLL * 3)
    if delta.delta_link and (changed or not link):
        session[SESSION_LIVE] = {"link": delta.delta_link}
    return _answer(changed, unread)
