"""The compose page's files and background saves: uploads, removals, autosave, copies.

Uploads come one file per request, as the raw request body (``X-File-Name`` carries the name,
percent-encoded UTF-8, Content-Length its size), never through a multipart temp file. While the
message fits one sendMail a file goes into the shared store (it is small: see
sending/draft_files.py); once it does not, the draft lives in the person's mailbox and the file
streams on into it, a large one chunk by chunk through an upload session, so the page's progress
is the progress to Microsoft (sending/mailbox_drafts.py). Without JavaScript the form's file
input still works: Werkzeug spools those to temporary files of the request, which then go the
same way. Every refusal names the file and says why, as JSON for the page.
"""
from __future__ import annotations

import logging
from urllib.parse import unquote

from flask import jsonify, redirect, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from mailer.web.auth import current_user, wants_json
from mailer.sending.compose import sanitize_filename
from mailer.sending.drafts import DraftError, DraftNotFound, FileNotFound, is_file_id
from mailer.sending.sizes import file_refusal, human
from mailer.web.compose import bp
from mailer.web.forms import ComposeForm
from mailer.web.compose.page import odd_id_refusal, render_draft
from mailer.web.compose.services import login_url, owner, services
from mailer.web.compose.mailbox import (CONSENT_WORDS, DRAFT_SCOPES, ConsentNeeded,
                                        consent_answer, graph_answer, mailbox_client, me,
                                        sync_to_mailbox, typed_anything)
from mailer.web.permissions import held
from mailer.graph.errors import GraphError
from mailer.web.words import graph_advice

logger = logging.getLogger(__name__)
NAME_HEADER = "X-File-Name"
SIZE_HEADER = "X-File-Size"  # the check before an upload: the file's size, no body
UPLOAD_ID_HEADER = "X-Upload-Id"  # 32 hex: names the upload whose progress the page polls
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
    """One file (the raw request body) into the draft: into the shared store while the message
    fits one sendMail, else streamed into the draft in the mailbox; JSON with the new list."""
    mail = services()
    name = unquote(request.headers.get(NAME_HEADER, ""))
    try:
        shown = sanitize_filename(name)
    except ValueError as exc:
        return _fail(str(exc))
    size = request.content_length
    if size is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return _fail(f"{shown!r} came without its size (Content-Length); attach it again.", 411)
    size = size or 0  # no body at all: refused below as empty, by name
    limits = mail.limits
    try:
        used = 0 if size > limits.max_file else sum(
            a.size for a in mail.drafts.load(draft_id, owner(),
                                             mail.drafts.ensure(draft_id, owner())).attachments)
        refusal = file_refusal(shown, size, used, limits.max_file, limits.max_message)
        if refusal:  # before a single byte is read, naming the file
            return _fail(refusal, 413)
        to_mailbox = mail.mailbox.needs_mailbox(draft_id, owner(), size)
    except DraftNotFound as exc:
        return _fail(str(exc), 404)
    content_type = (request.headers.get("X-File-Type") or "").strip()[:200]
    inline = request.headers.get(INLINE_HEADER) == "1"
    try:
        if to_mailbox:
            upload_id = request.headers.get(UPLOAD_ID_HEADER, "")
            progress = mail.mailbox.progress_reporter(draft_id, upload_id) \
                if is_file_id(upload_id) else None
            attachment = mail.mailbox.add_file(draft_id, owner(), mailbox_client(draft_id), name,
                                               request.stream, size, content_type, inline, me(),
                                               progress)
        else:
            attachment = mail.drafts.add_file(draft_id, owner(), name, request.stream,
                                              content_type, inline=inline)
    except ConsentNeeded as exc:
        return consent_answer(exc)
    except GraphError as exc:
        return graph_answer(exc, f"put {shown!r} into your draft")
    except DraftNotFound as exc:
        return _fail(str(exc), 404)
    except (DraftError, ValueError) as exc:
        return _fail(str(exc))
    finally:
        mail.mailbox.forget_progress(draft_id, request.headers.get(UPLOAD_ID_HEADER, ""))
    logger.info("draft %s: file of %d bytes attached (%s)", draft_id, attachment.size,
                "mailbox" if to_mailbox else "store")
    return jsonify({"file": _file_json(attachment), **_summary(draft_id)}), 201


@bp.post("/compose/<draft_id>/files/check")
def check_file(draft_id):
    """Before a file's bytes are sent: may it join the draft, and is a permission needed first?
    (``X-File-Name`` and ``X-File-Size``, no body.) A refused body larger than DRAIN_MAX would
    cost the connection before the browser read the answer ("the connection was lost"), so the
    page asks this first and sends the file only when the answer is yes. The answer is a 200
    either way, ``ok`` true or false with the words (as a consent answer is: nothing failed,
    and a 4xx would be a console error in every browser)."""
    mail, name = services(), unquote(request.headers.get(NAME_HEADER, ""))
    size = request.headers.get(SIZE_HEADER, "")
    try:
        shown = sanitize_filename(name)
        if not size.isdigit() or len(size) > 15:
            raise ValueError(f"{shown!r}: its size ({SIZE_HEADER}) was not a number of bytes.")
        record = mail.drafts.ensure(draft_id, owner())
        used = sum(a.size for a in mail.drafts.load(draft_id, owner(), record).attachments)
        refusal = file_refusal(shown, int(size), used, mail.limits.max_file,
                               mail.limits.max_message)
        if refusal:
            raise ValueError(refusal)
        if mail.mailbox.needs_mailbox(draft_id, owner(), int(size)):
            mailbox_client(draft_id)  # ConsentNeeded when Mail.ReadWrite is not granted yet
    except ConsentNeeded as exc:
        return consent_answer(exc)
    except DraftNotFound as exc:
        return _fail(str(exc), 404)
    except ValueError as exc:
        return jsonify({"ok": False, "error": str(exc)})
    return jsonify({"ok": True})


@bp.get("/compose/<draft_id>/uploads/<file_id>")
def upload_progress(draft_id, file_id):
    """How far an upload into the mailbox draft has got at Microsoft (the page's bar): any
    instance answers, from the shared store; nulls before Graph confirmed any of it (a 200:
    the page asks while any upload runs, and a 404 would be a console error each time)."""
    try:
        found = services().mailbox.progress(draft_id, owner(), file_id)
    except DraftNotFound as exc:
        return _fail(str(exc), 404)
    return jsonify(found or {"done": None, "total": None})


@bp.post("/compose/<draft_id>/files/<file_id>/delete")
def delete_file(draft_id, file_id):
    """Remove one file from the draft (and from the mailbox's draft); JSON with the new list."""
    try:
        remove(draft_id, owner(), file_id)
        return jsonify(_summary(draft_id))
    except (DraftNotFound, FileNotFound) as exc:
        return _fail(str(exc), 404)
    except ConsentNeeded as exc:
        return consent_answer(exc)
    except DraftError as exc:
        return _fail(str(exc))


def remove(draft_id: str, who: str, file_id: str) -> None:
    mail = services()
    client = mailbox_client(draft_id) if mail.mailbox.mailbox_id(draft_id, who) else None
    mail.mailbox.remove_file(draft_id, who, client, file_id)


@bp.post("/compose/<draft_id>/autosave")
def autosave(draft_id):
    """Keep the typed fields (the page calls this as you type)."""
    form = ComposeForm()
    drafts = services().drafts
    try:
        before, stored = drafts.typed(draft_id, owner())
        data, problems = form.checked(before)
        saved = drafts.save_fields(draft_id, owner(), data, create=True,  # what is valid
                                   seen=stored)
    except DraftNotFound as exc:
        return _fail(str(exc), 404)
    except DraftError as exc:
        return _fail(str(exc), 409)
    in_mailbox = bool((saved.get("graph") or {}).get("id"))
    if in_mailbox or (held(DRAFT_SCOPES[0]) and typed_anything(data)):
        # As Outlook autosaves into Drafts: once Mail.ReadWrite is held (never asked for
        # here), a message with anything in it becomes, and stays, a draft in the mailbox.
        in_mailbox = sync_to_mailbox(draft_id, now=request.form.get("leaving") == "1") \
            or in_mailbox
    if problems:
        first = next(m for messages in problems.values() for m in messages)
        return jsonify({"saved": "partly", "error": first, "errors": problems}), 400
    return jsonify({"saved": True, "in_mailbox": in_mailbox})


@bp.post("/compose/<draft_id>/copy")
def copy(draft_id):
    """A new draft with this one's fields and files (after an unconfirmed send, say)."""
    try:
        new_id = services().drafts.copy(draft_id, owner())
    except DraftNotFound:
        return redirect(url_for("mail.compose"))
    return redirect(url_for("mail.draft", draft_id=new_id), 303)


def add_posted_files(draft_id: str, who: str, files) -> dict[str, list[str]]:
    """Files sent with the form itself (no JavaScript): stored, or one error each. Werkzeug
    has spooled each to a temporary file of this request; a large one goes on into the
    mailbox's draft (the page offers the permission before the file is picked)."""
    errors, mail = [], services()
    for storage in files:
        if not storage or not storage.filename:
            continue  # the empty part a file input sends when nothing was picked
        try:
            stream = storage.stream
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(0)
            if mail.mailbox.needs_mailbox(draft_id, who, size):
                mail.mailbox.add_file(draft_id, who, mailbox_client(draft_id, popup=False),
                                      storage.filename, stream, size, storage.mimetype or "",
                                      me_address=me())
            else:
                mail.drafts.add_file(draft_id, who, storage.filename, stream,
                                     storage.mimetype or "")
        except ConsentNeeded:
            errors.append(f"{storage.filename!r} was not attached: {CONSENT_WORDS} Use the "
                          f"link below to allow it, then attach the file again.")
        except GraphError as exc:
            errors.append(f"{storage.filename!r} was not attached: {graph_advice(exc)}")
        except (DraftError, ValueError, OSError) as exc:
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
        drafts = services().drafts
        data = drafts.load(draft_id, owner(), drafts.owned_or_blank(draft_id, owner()))
    except DraftNotFound:
        return _fail(text, 413)
    return render_draft(draft_id, ComposeForm.from_data(data), status=413,
                        errors={"attachments": [text]})


@bp.errorhandler(CSRFError)
def csrf_failed(err: CSRFError):
    """An expired or missing form token: the typed message comes back, never a dead end."""
    odd = odd_id_refusal(request.view_args)  # such an id is never keyed, stored or redirected to
    draft_id = None if odd else (request.view_args or {}).get("draft_id")
    if wants_json():
        if draft_id and not current_user():  # the session expired: the page says so; what was
            # typed since stays in the browser (compose-rescue.js)
            return jsonify({"error": "You are signed out. Sign in again; your draft is kept.",
                            "sign_in": login_url(draft_id)}), 401
        return _fail("This page has expired. Reload it; your draft is kept.", 400)
    if odd:
        return odd
    if request.endpoint != "mail.submit" or not draft_id:
        return _fail("This form has expired. Go back, reload the page and try again.", 400)
    if not current_user():  # no session: nothing posted is read or kept (it may be a cross-site
        return redirect(login_url(draft_id), 303)  # form); the page's script has what was typed
    typed = ComposeForm(meta={"csrf": False})  # read, never trusted: shown, not sent or saved
    values = {name: typed[name].data for name in ("from_address", "to", "cc", "bcc", "reply_to",
                                                  "subject", "body", "body_type", "importance",
                                                  "save_to_sent_items")}
    try:
        services().drafts.owned_or_blank(draft_id, owner())  # a new message's id too
    except DraftNotFound:
        return redirect(url_for("mail.compose"), 303)
    return render_draft(draft_id, ComposeForm(formdata=None, data=values), status=400,
                        alert="This page was open too long to be sent as it was. Check your "
                              "message and press Send again.")

