"""The compose page's files and background saves: uploads, removals, autosave, copies.

Uploads come one file per request, as the raw request body (``X-File-Name`` carries the name,
percent-encoded UTF-8), so the bytes stream from the socket straight into the draft store in
1 MB pieces, never through a multipart temp file (memory holds at most a small file: see
sending/draft_files.py). Without JavaScript the
form's file input still works: Werkzeug spools those to temporary files, which are then copied
into the draft the same way. Every refusal names the file and says why, as JSON for the page.
"""
from __future__ import annotations

import logging
from urllib.parse import unquote

from flask import jsonify, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from mailer.web.auth import current_user, wants_json
from mailer.sending.compose import sanitize_filename
from mailer.sending.drafts import DraftError, DraftNotFound, FileNotFound
from mailer.sending.sizes import file_refusal, human
from mailer.web.compose import bp
from mailer.web.forms import ComposeForm
from mailer.web.compose.page import PENDING, PENDING_MAX, odd_id_refusal, render_draft
from mailer.web.compose.services import login_url, owner, services

logger = logging.getLogger(__name__)
NAME_HEADER = "X-File-Name"
INLINE_HEADER = "X-File-Inline"  # "1": a picture placed in the body (cid:), not listed


def _fail(message: str, status: int = 400):
    return jsonify({"error": message}), status


def _file_json(attachment) -> dict:
    return {"id": attachment.file_id, "name": attachment.name, "size": attachment.size,
            "human": human(attachment.size), "inline": attachment.is_inline,
            "content_id": attachment.content_id}


def _summary(draft_id: str) -> dict:
    files = services().drafts.load(draft_id, owner()).attachments
    total = sum(a.size for a in files)
    return {"files": [_file_json(a) for a in files], "total": total, "total_human": human(total)}


@bp.post("/compose/<draft_id>/files")
def upload(draft_id):
    """Store one file (the raw request body) in the draft; JSON with the new list."""
    mail = services()
    name = unquote(request.headers.get(NAME_HEADER, ""))
    try:
        shown = sanitize_filename(name)
    except ValueError as exc:
        return _fail(str(exc))
    size = request.content_length
    if size is not None:  # refuse before a single byte is written, naming the file
        limits = mail.limits
        try:
            used = 0 if size > limits.max_file else sum(
                a.size for a in mail.drafts.load(draft_id, owner()).attachments)
        except DraftNotFound as exc:
            return _fail(str(exc), 404)
        refusal = file_refusal(shown, size, used, limits.max_file, limits.max_message)
        if refusal:
            return _fail(refusal, 413)
    content_type = (request.headers.get("X-File-Type") or "").strip()[:200]
    try:
        attachment = mail.drafts.add_file(draft_id, owner(), name, request.stream, content_type,
                                          inline=request.headers.get(INLINE_HEADER) == "1")
    except DraftNotFound as exc:
        return _fail(str(exc), 404)
    except (DraftError, ValueError) as exc:
        return _fail(str(exc))
    logger.info("draft %s: file of %d bytes attached", draft_id, attachment.size)
    return jsonify({"file": _file_json(attachment), **_summary(draft_id)}), 201


@bp.post("/compose/<draft_id>/files/<file_id>/delete")
def delete_file(draft_id, file_id):
    """Remove one file from the draft; JSON with the new list."""
    try:
        remove(draft_id, owner(), file_id)
        return jsonify(_summary(draft_id))
    except (DraftNotFound, FileNotFound) as exc:
        return _fail(str(exc), 404)
    except DraftError as exc:
        return _fail(str(exc))


def remove(draft_id: str, who: str, file_id: str) -> None:
    services().drafts.remove_file(draft_id, who, file_id)


@bp.post("/compose/<draft_id>/autosave")
def autosave(draft_id):
    """Keep the typed fields (the page calls this as you type)."""
    form = ComposeForm()
    drafts = services().drafts
    try:
        data, problems = form.checked(drafts.load(draft_id, owner()))
        drafts.save_fields(draft_id, owner(), data)  # what is valid, even beside a problem
    except DraftNotFound as exc:
        return _fail(str(exc), 404)
    except DraftError as exc:
        return _fail(str(exc), 409)
    if problems:
        first = next(m for messages in problems.values() for m in messages)
        return jsonify({"saved": "partly", "error": first, "errors": problems}), 400
    return jsonify({"saved": True})


@bp.post("/compose/<draft_id>/copy")
def copy(draft_id):
    """A new draft with this one's fields and files (after an unconfirmed send, say)."""
    try:
        new_id = services().drafts.copy(draft_id, owner())
    except DraftNotFound:
        return redirect(url_for("mail.compose"))
    return redirect(url_for("mail.draft", draft_id=new_id), 303)


def add_posted_files(draft_id: str, who: str, files) -> dict[str, list[str]]:
    """Files sent with the form itself (no JavaScript): stored, or one error each."""
    errors = []
    for storage in files:
        if not storage or not storage.filename:
            continue  # the empty part a file input sends when nothing was picked
        try:
            services().drafts.add_file(draft_id, who, storage.filename, storage.stream,
                                       storage.mimetype or "")
        except (DraftError, ValueError) as exc:
            errors.append(str(exc))
    return {"attachments": errors} if errors else {}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(err):
    """Werkzeug's 413 in words: what the limit is and what to do, never a crash."""
    mail = services()
    if (request.content_length or 0) > mail.max_request:
        text = (f"That was more than this app accepts in one go ({human(mail.max_request)}). A "
                f"single attachment can be at most {human(mail.limits.max_file)} and a message "
                f"{human(mail.limits.max_message)}; attach large files one at a time.")
    else:  # the form parser's part count, or framing it cannot hold (form_parser.py)
        text = (f"That form had more parts than this app accepts (at most "
                f"{request.max_form_parts or 0:,} fields and files), or a part whose headers "
                "never ended. Nothing of it was saved; reload the page and try again.")
    if wants_json():
        return _fail(text, 413)
    draft_id = (request.view_args or {}).get("draft_id")
    if not draft_id or not current_user():
        return _fail(text, 413) if not draft_id else redirect(login_url(draft_id))
    try:
        data = services().drafts.load(draft_id, owner())
    except DraftNotFound:
        return _fail(text, 413)
    return render_draft(draft_id, ComposeForm.from_data(data), status=413,
                        errors={"attachments": [text]})


@bp.errorhandler(CSRFError)
def csrf_failed(err: CSRFError):
    """An expired or missing form token: the typed message comes back, never a dead end."""
    if wants_json():
        return _fail("This page has expired. Reload it; your draft is kept.", 400)
    if refusal := odd_id_refusal(request.view_args):  # never keyed, stored or redirected to
        return refusal
    draft_id = (request.view_args or {}).get("draft_id")
    if request.endpoint != "mail.submit" or not draft_id:
        return _fail("This form has expired. Go back, reload the page and try again.", 400)
    typed = ComposeForm(meta={"csrf": False})  # read, never trusted: shown, not sent or saved
    values = {name: typed[name].data for name in ("from_address", "to", "cc", "bcc", "reply_to",
                                                  "subject", "body", "body_type", "importance",
                                                  "save_to_sent_items")}
    if not current_user():  # the session itself expired: keep the text across the sign-in
        if sum(len(str(v)) for v in values.values()) <= PENDING_MAX:
            session[PENDING] = {**(session.get(PENDING) or {}), draft_id: values}
        return redirect(login_url(draft_id), 303)
    try:
        services().drafts.load(draft_id, owner())
    except DraftNotFound:
        return redirect(url_for("mail.compose"), 303)
    return render_draft(draft_id, ComposeForm(formdata=None, data=values), status=400,
                        alert="This page was open too long to be sent as it was. Check your "
                              "message and press Send again.")

