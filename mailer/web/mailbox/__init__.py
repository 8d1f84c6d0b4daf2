"""Blueprint ``mailbox``: the person's mail folders, and the other mailboxes they may open.

    GET  /mail                                   to the Inbox
    GET  /mail/<box>/<folder>[?unread=1&q=&page=] a folder, newest first, paged
    POST /mail/open                              open another mailbox by its address
    GET  /mail/<box>/m/<id>                      one message (its body in a sandboxed frame)
    GET  /mail/<box>/m/<id>/body[?images=1]      the frame's document, under its own CSP
    GET  /mail/<box>/m/<id>/cid/<cid>            an inline picture of the message
    GET  /mail/<box>/m/<id>/a/<aid>              an attachment, streamed as a download
    POST /mail/<box>/m/<id>/read | /delete       mark read or unread; move to Deleted Items
    POST /mail/me/m/<id>/respond                 reply, reply all, forward: opens compose
    POST /mail/me/m/<id>/continue | /discard     a draft of Drafts: opened in compose; deleted
    GET  /mail/live                              the Inbox's delta state and unread count (JSON)

``box`` is ``me`` or another mailbox's address. The first mail page asks, once, for what all
of them need (Mail.ReadWrite covers reading; permissions.py); a person who granted only
Mail.Read earlier reads with it and is asked when a change needs more, the change then made
(permissions.consent_then_resume). With Mail.ReadWrite held, opening a message marks it read. views.py has the lists and the message page, content.py what is
served from a message (frame, pictures, attachments), reply.py reply,
forward and drafts to continue, access.py the checks every view shares, live.py what keeps the
Inbox and its count current without a reload (static/mail-live.js), display.py Graph's message
JSON as the pages show it (names, "on behalf of"), sanitize.py a received message's HTML made
safe (nh3, cid: pictures, remote pictures held back).
"""
from __future__ import annotations

from flask import Blueprint, request

from mailer.web.auth import guard
from mailer.web.mailbox.access import nav_info, odd_values

bp = Blueprint("mailbox", __name__)
guard(bp, not_pages={"mailbox.body", "mailbox.inline_picture"})


@bp.before_request
def _odd_values():  # a box, folder, id or picture name no mailbox can have: 404 in words
    return odd_values(request.view_args or {})


@bp.app_context_processor
def _nav():
    return {"mailbox_nav": nav_info}


from mailer.web.mailbox import content, live, reply, views  # noqa: E402,F401  (their routes register)
