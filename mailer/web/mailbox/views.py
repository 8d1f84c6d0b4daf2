"""The folder lists, opening another mailbox, the message page, mark read/unread and delete."""
from __future__ import annotations

import logging
import re

from flask import flash, redirect, render_template, request, session, url_for

from mailer.graph.errors import GraphError
from mailer.identity.errors import AuthError
from mailer.web.auth import current_user
from mailer.web.compose.mailbox import sync_held_back, typed_anything
from mailer.web.compose.services import owner, services
from mailer.web.mailbox import bp
from mailer.web.mailbox.access import (FOLDERS, ME, SESSION_BOXES, can_write, error_page,
                                       forget_unread, graph_failure, keep_page, kept_page,
                                       note_inbox_opened, open_box, remember_box, shown,
                                       valid_box, write_scopes)
from mailer.web.mailbox.display import message_view, row_view
from mailer.web.mailbox.sanitize import remote_pictures
from mailer.web.permissions import consent_then_resume
from mailer.web.words import PAGE_EXPIRED

logger = logging.getLogger(__name__)
PAGE_SIZE = 20
MAX_SEARCH = 200


def _folder_arg(default: str = "inbox") -> str:
    folder = request.values.get("f", default)
    return folder if folder in FOLDERS else default


@bp.get("/mail")
def home():
    return redirect(url_for("mailbox.folder", box=ME, folder="inbox"))


@bp.get("/mail/<box>/<folder>")
def folder(box, folder):
    """A folder, newest first; ``unread=1`` unread only, ``q`` a search, ``page`` a kept link."""
    search = " ".join(request.args.get("q", "").split())
    unread = request.args.get("unread") == "1"
    token = request.args.get("page")
    if len(search) > MAX_SEARCH:
        return error_page("Search too long", f"Search: at most {MAX_SEARCH} characters, please "
                          f"(this one has {len(search)}).", 400, box)
    link = None
    if token is not None:
        link = kept_page(box, folder, token)
        if link is None:
            return error_page("Not found", PAGE_EXPIRED, 404, box)
    mailbox = open_box(box)
    # Messages typed here: those only in the app's store, listed too; those in the mailbox
    # brought up to date first (autosave's gate may have held their last words back).
    kept_here = local_drafts() if box == ME and folder == "drafts" and not link else []
    try:
        page = mailbox.follow(link) if link else mailbox.list_folder(
            folder, top=PAGE_SIZE, unread=unread, search=search or None)
    except GraphError as err:
        return graph_failure(err, box)
    if box == ME and folder == "inbox":
        note_inbox_opened()
    if box != ME:
        remember_box(box)
    next_token = keep_page(box, folder, page.next_link)
    args = {"unread": "1" if unread else None, "q": search or None}
    return render_template(
        "mailbox/folder.html", box=box, box_name=shown(box), folder=folder, folders=FOLDERS,
        boxes=session.get(SESSION_BOXES, []), rows=[row_view(m, folder) for m in page.messages],
        search=search, unread=unread, paged=bool(link), args=args, kept_here=kept_here,
        next_url=url_for("mailbox.folder", box=box, folder=folder, page=next_token, **args)
        if next_token else None,
        first_url=url_for("mailbox.folder", box=box, folder=folder, **args))


def local_drafts() -> list[dict]:
    """Messages typed here that are not in the mailbox's Drafts (yet): the app's own store
    holds them (Mail.ReadWrite not granted when they were written), so the Drafts page lists
    them too, with their last save, to continue or discard."""
    found, in_mailbox = [], []
    drafts = services().drafts
    for item in drafts.listed(owner()):
        record = item["record"]
        if (record.get("graph") or {}).get("id"):
            in_mailbox.append(item["id"])  # Graph's list shows it: with what was typed last
            continue
        data = drafts.load(item["id"], owner(), record)
        if not typed_anything(data):
            continue
        found.append({"id": item["id"], "subject": data.subject or "(no subject)",
                      "who": ", ".join(p.strip() for p in (data.to or "").split(",")
                                       if p.strip())[:120] or "(no recipients)",
                      "preview": " ".join(re.sub(r"<[^>]+>", " ", data.body or "").split())[:160],
                      "files": len([a for a in data.attachments if not a.is_inline]),
                      "when": record.get("updated")})
    sync_held_back(in_mailbox)
    return found


@bp.post("/mail/open")
def open_other():
    """Open another mailbox by its address (Full Access needed; Graph says so if not)."""
    address = request.form.get("address", "").strip()
    if not valid_box(address) or address == ME:
        return error_page("Check the address", "Mailbox address: type an address such as "
                          "sales@contoso.example.", 400)
    if address.lower() == (current_user() or {}).get("username", "").lower():
        address = ME
    return redirect(url_for("mailbox.folder", box=address, folder="inbox"), 303)


@bp.get("/mail/<box>/m/<message_id>")
def message(box, message_id):
    """One message: who, when, importance, attachments; the body in a sandboxed frame."""
    folder = _folder_arg()
    mailbox = open_box(box)
    try:
        # One round trip: Graph's hasAttachments is false when every attachment is inline, and
        # the listing shows only the others.
        found, attachments = mailbox.message_and_attachments(message_id)
    except GraphError as err:
        return graph_failure(err, box)
    body = found.get("body") or {}
    remote = (body.get("contentType") or "").lower() == "html" and \
        remote_pictures(body.get("content") or "") > 0
    marks = can_write(box)
    if marks and found.get("isRead") is False and not found.get("isDraft"):
        found = {**found, "isRead": _read_on_open(box, message_id)}
    images = request.args.get("images") == "1"
    return render_template(
        "mailbox/message.html", box=box, box_name=shown(box), folder=folder, folders=FOLDERS,
        boxes=session.get(SESSION_BOXES, []), m=message_view(found), images=images, marks=marks,
        remote_images=remote,
        attachments=[a for a in attachments if not a.get("isInline")],
        body_url=url_for("mailbox.body", box=box, message_id=message_id,
                         images="1" if images else None))


def _change(box, message_id, folder, change, label: str):
    """Run one change on the mailbox (write access asked on first use, then the change is
    made: permissions.consent_then_resume); a response if it failed."""
    try:
        change(open_box(box, write=True))
    except AuthError as err:
        if err.interaction_required:
            return consent_then_resume(write_scopes(box), label)
        raise
    except GraphError as err:
        return graph_failure(err, box)
    forget_unread()
    return None


def _read_on_open(box: str, message_id: str) -> bool:
    """Opening marks a message read, as Outlook and Gmail do (with Mail.ReadWrite held only:
    never a prompt for it); a failure leaves it unread and the page says so by its button."""
    try:
        open_box(box, write=True).set_read(message_id, True)
    except (AuthError, GraphError) as err:
        logger.info("not marked read on open (%s)", getattr(err, "code", None) or type(err).__name__)
        return False
    forget_unread()
    return True


@bp.post("/mail/<box>/m/<message_id>/read")
def mark(box, message_id):
    """Mark read (``read=1``) or unread (``read=0``)."""
    folder, value = _folder_arg(), request.form.get("read")
    if value not in ("0", "1"):
        return error_page("Check the form", "Read: the form must say 1 (read) or 0 (unread).",
                          400, box)
    failed = _change(box, message_id, folder, lambda mb: mb.set_read(message_id, value == "1"),
                     "Mark as read" if value == "1" else "Mark as unread")
    if failed:
        return failed
    flash("Marked as read." if value == "1" else "Marked as unread.", "success")
    return redirect(url_for("mailbox.message", box=box, message_id=message_id, f=folder), 303)


@bp.post("/mail/<box>/m/<message_id>/delete")
def delete(box, message_id):
    """Move the message to Deleted Items, as Outlook's Delete does."""
    folder = _folder_arg()
    failed = _change(box, message_id, folder, lambda mb: mb.delete(message_id), "Delete")
    if failed:
        return failed
    flash("Moved to Deleted Items.", "success")
    return redirect(url_for("mailbox.folder", box=box, folder=folder), 303)
