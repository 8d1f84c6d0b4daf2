"""What every mailbox view shares: which mailbox and scopes, odd values, pages of a listing kept
server-side, error pages in words, and the Inbox's unread count for the navigation."""
from __future__ import annotations

import logging
import re
import secrets
import time

from flask import render_template, session, url_for

from mailer.graph.errors import GraphError
from mailer.graph.mailbox import Mailbox
from mailer.graph.retry import RetryPolicy
from mailer.identity.errors import AuthError
from mailer.web.auth import current_user, get_token, graph_client
from mailer.web.permissions import held, read_scope
from mailer.web.words import MAILBOX_NOT_FOUND, mailbox_advice

logger = logging.getLogger(__name__)

FOLDERS = {"inbox": "Inbox", "sentitems": "Sent Items", "drafts": "Drafts",
           "deleteditems": "Deleted Items"}
ME = "me"
_ADDRESS = re.compile(r"^[^@\s/\\<>\"',;]{1,64}@[A-Za-z0-9.-]{1,190}$")
_ID = re.compile(r"^[A-Za-z0-9_+=-]{1,512}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16}$")
_CID = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")
SESSION_BOXES, SESSION_PAGES, SESSION_UNREAD = "mail_boxes", "mail_pages", "mail_unread"
KEPT_BOXES, KEPT_PAGES = 10, 30
UNREAD_MAX_AGE = 60  # seconds the navigation's unread count is reused
UNREAD_TIMEOUT = 3.0  # a count is not worth a long wait, nor a retry
# A page someone is looking at retries a throttled read once, briefly, then says so in words
# (a send may wait up to RETRY_MAX_WAIT in the background; a person at a page should not).
PAGE_ATTEMPTS, PAGE_MAX_WAIT = 2, 5.0


def read_scopes(box: str) -> list[str]:
    """What reading needs: the write scope once held (a consent asks for it: permissions.py),
    else the read one."""
    if box == ME:
        return [read_scope("Mail.Read", "Mail.ReadWrite")]
    return [read_scope("Mail.Read.Shared", "Mail.ReadWrite.Shared")]


def write_scopes(box: str) -> list[str]:
    # Microsoft documents Mail.ReadWrite as the least privilege for PATCH (isRead) and move.
    return ["Mail.ReadWrite"] if box == ME else ["Mail.ReadWrite.Shared"]


def can_write(box: str) -> bool:
    """True when changing this mailbox needs no prompt (marking a message read as it opens)."""
    return held(write_scopes(box)[0])


def valid_box(box: str) -> bool:
    return box == ME or bool(_ADDRESS.match(box or ""))


def odd_values(args: dict):
    """A 404 in words for a URL value that no mailbox, folder, message or picture can have."""
    checks = {"box": valid_box, "folder": FOLDERS.__contains__,
              "message_id": lambda v: bool(_ID.match(v)),
              "attachment_id": lambda v: bool(_ID.match(v)),
              "cid": lambda v: bool(_CID.match(v))}
    for name, value in args.items():
        if name in checks and not checks[name](value):
            return error_page("Not found", MAILBOX_NOT_FOUND, 404)
    return None


def open_box(box: str, write: bool = False) -> Mailbox:
    """The mailbox ``box`` with a client holding the scopes this use needs; raises AuthError
    (interaction_required) before any Graph call when consent is still to be asked."""
    scopes = write_scopes(box) if write else read_scopes(box)
    get_token(scopes)
    client = graph_client(scopes)
    client.retry = RetryPolicy(max_attempts=min(client.retry.max_attempts, PAGE_ATTEMPTS),
                               max_total_wait=min(client.retry.max_total_wait, PAGE_MAX_WAIT))
    return Mailbox(client, None if box == ME else box)


def shown(box: str) -> str:
    return "Your mailbox" if box == ME else box


def error_page(title: str, text: str, status: int, box: str | None = None):
    return render_template("mailbox/error.html", title=title, text=text, box=box,
                           folders=FOLDERS), status


def graph_failure(err: GraphError, box: str):
    """The page for a failed Graph call: plain words, never a 500."""
    logger.info("mailbox: Graph said %s %s", err.status, err.code)
    other = None if box == ME else box
    if err.code in ("ErrorItemNotFound", "ErrorInvalidIdMalformed") or err.status == 404:
        status, title = 404, "Not found"
    elif err.status == 403:
        status, title = 403, "Not allowed"
    elif err.status in (429, 503, 504) or err.status == 0:
        status, title = 503, "Try again shortly"
    else:
        status, title = 502, "Microsoft Graph could not do that"
    return error_page(title, mailbox_advice(err, other), status, box)


def remember_box(address: str) -> None:
    boxes = [b for b in session.get(SESSION_BOXES, []) if b.lower() != address.lower()]
    session[SESSION_BOXES] = ([address] + boxes)[:KEPT_BOXES]


def keep_page(box: str, folder: str, link: str | None) -> str | None:
    """An opaque token standing for Graph's next link, which stays in the session."""
    if not link:
        return None
    pages = dict(session.get(SESSION_PAGES) or {})
    token = secrets.token_urlsafe(12)
    pages[token] = {"box": box, "folder": folder, "link": link}
    session[SESSION_PAGES] = dict(list(pages.items())[-KEPT_PAGES:])
    return token


def kept_page(box: str, folder: str, token: str) -> str | None:
    """The next link a token stands for, if it is this person's and for this folder."""
    if not _TOKEN.match(token or ""):
        return None
    page = (session.get(SESSION_PAGES) or {}).get(token)
    if not page or page["box"] != box or page["folder"] != folder:
        return None
    return page["link"]


def forget_unread() -> None:
    session.pop(SESSION_UNREAD, None)


def note_inbox_opened() -> None:
    """Mail.Read is granted now: the navigation may show the Inbox's unread count."""
    if not (session.get(SESSION_UNREAD) or {}).get("ok"):
        session[SESSION_UNREAD] = {"ok": True, "n": None, "at": 0}


def nav_info() -> dict:
    """The navigation's Mail link and the Inbox's unread count (None when unknown). The count is
    asked only once Mail.Read was granted, reused for a minute, and never fails a page."""
    info = {"url": url_for("mailbox.folder", box=ME, folder="inbox"), "unread": None}
    cached = session.get(SESSION_UNREAD) or {}
    if not current_user() or not cached.get("ok"):
        return info
    if time.time() - cached.get("at", 0) < UNREAD_MAX_AGE:
        info["unread"] = cached.get("n")
        return info
    try:
        client = graph_client(read_scopes(ME))
        client.retry = RetryPolicy(max_attempts=1, max_total_wait=0)
        client.timeout = min(client.timeout, UNREAD_TIMEOUT)
        count = Mailbox(client).unread_count()
    except (GraphError, AuthError) as err:
        logger.info("unread count: none (%s)", getattr(err, "code", None) or type(err).__name__)
        count = None
    session[SESSION_UNREAD] = {"ok": True, "n": count, "at": time.time()}
    info["unread"] = count
    return info
