"""Blueprint ``mail``: the compose page, its send button, uploads and the send's progress.

    GET  /compose                          a new message's page (stored at its first save)
    GET  /compose/<id>                     the draft's page: every field and file as left
    POST /compose/<id>                     send (or save, or remove a file without JavaScript)
    POST /compose/<id>/autosave            keep what was typed (XHR)
    POST /compose/<id>/files/check         may a file of this size join, is a permission needed
    POST /compose/<id>/files               one file, streamed to disk (XHR, raw body)
    POST /compose/<id>/files/<fid>/delete  remove one file (XHR)
    POST /compose/<id>/copy                a new draft with the same fields and files
    POST /compose/<id>/discard             delete the draft (in the mailbox too)
    GET  /compose/consented                where a consent popup ends: tells the page
    GET  /compose/<id>/status[.json]       the send's progress and outcome
    POST /compose/<id>/cancel              cancel a scheduled send (the draft stays)

The views sit side by side: the page and its Send (views.py), attachments, autosave and copies
(files.py), the pictures placed in its body (inline.py), the send's progress (status.py), the
mailbox draft's Save and Discard (mailbox.py); rendering a draft (page.py), the From field's
words (from_field.py) and the services they share (services.py: drafts, the send engine's
runtime, Graph clients built from the app's settings). Every route is registered by its decorator on ``bp``;
what holds for all of them (request limits, odd ids, the signed-in guard) is set here.
"""
from __future__ import annotations

from functools import partial

from flask import Blueprint, g, request, url_for

from mailer.web.auth import guard
from mailer.web.compose.page import odd_id_refusal
from mailer.web.compose.services import init_app, login_url, set_request_limits
from mailer.web.form_parser import LenientFormDataParser
from mailer.web.forms import OVERFLOW, byte_caps

bp = Blueprint("mail", __name__)


@bp.record_once
def _setup(state):
    init_app(state.app)


@bp.url_value_preprocessor
def _limits(endpoint, values):
    set_request_limits()  # before CSRFProtect parses the form
    # A field over its limit is dropped and named (forms.py), not a 413 that loses the rest.
    g.setdefault(OVERFLOW, {})
    request.form_data_parser_class = partial(LenientFormDataParser, caps=byte_caps(),
                                             overflow=g.get(OVERFLOW))


@bp.before_request
def _odd_ids():  # first: an id no draft can have is never keyed, stored or redirected to
    return odd_id_refusal(request.view_args)


def _sign_in_url() -> str:
    """Sign in, then back to this draft (or to a new one)."""
    draft_id = (request.view_args or {}).get("draft_id")
    return login_url(draft_id) if draft_id else url_for("auth.login",
                                                        next=url_for("mail.compose"))


guard(bp, sign_in_url=_sign_in_url, words="You are signed out. Sign in again; your draft is kept.")

from mailer.web.compose import files, inline, mailbox, status, views  # noqa: E402,F401  (routes register)
