"""The mailbox viewer on the HTTP pages server: see what the emulator delivered.

``/mailbox`` lists the demo mailboxes; ``/mailbox/<user>/<folder>`` a folder (Inbox, Sent Items,
Drafts, Deleted Items); ``/mailbox/<user>/messages/<id>`` one message with From, Sender, To, Cc
(Bcc only where Exchange keeps it: the sender's copy) and its attachments, downloadable
byte-for-byte; inline pictures (``cid:``) show in place from the message's own attachments.
Outbox holds what waits for its deferred send time. ``/owa/?ItemID=`` (the messages'
``webLink``) leads to the message. No authentication: it is a local emulator's window, served
on loopback like the sign-in pages.
"""
from __future__ import annotations

import re
from urllib.parse import quote, unquote

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from .graph.mail.store import mail_store
from .graph.mail.json_out import body_as, preview, recipient, recipients
from .state import get_state

viewer_bp = Blueprint("viewer", __name__)
_CID_SRC = re.compile(r"""(\bsrc\s*=\s*)(["']?)cid:([^"'\s>]+)\2""", re.I)
FOLDERS = (("inbox", "Inbox"), ("sentitems", "Sent Items"), ("drafts", "Drafts"),
           ("outbox", "Outbox"), ("deleteditems", "Deleted Items"))


def _mailboxes():
    users = [u for u in get_state().directory.users.values() if u.has_mailbox]
    return sorted(users, key=lambda u: (u.kind != "user", u.display_name.lower()))


def _owner(user_ref: str):
    user = get_state().directory.user(user_ref)
    if user is None or not user.has_mailbox:
        abort(404)
    return user


def _row(message) -> dict:
    props = message.props
    sender = recipient(props.get("from")) or recipient(props.get("sender"))
    return {
        "id": message.id, "subject": props.get("subject") or "(no subject)",
        "from": sender["emailAddress"] if sender else None,
        "to": [r["emailAddress"] for r in recipients(props.get("toRecipients"))],
        "preview": preview(props.get("body")), "when": message.received,
        "unread": not message.is_read, "draft": message.is_draft,
        "attachments": len(message.attachments),
    }


@viewer_bp.get("/mailbox")
def index():
    """Pick a mailbox."""
    store = mail_store()
    boxes = []
    for user in _mailboxes():
        box = store.mailboxes.get(user.id)
        counts = {name: len(box.in_folder(name)) if box else 0 for name, _ in FOLDERS}
        boxes.append({"user": user, "counts": counts})
    return render_template("viewer/index.html", boxes=boxes, folders=FOLDERS, owner=None)


@viewer_bp.get("/mailbox/<user_ref>")
def mailbox(user_ref: str):
    """A mailbox opens on its Inbox."""
    return redirect(url_for("viewer.folder", user_ref=_owner(user_ref).id, folder="inbox"))


@viewer_bp.get("/mailbox/<user_ref>/<folder>")
def folder(user_ref: str, folder: str):
    """The messages of one folder, newest first."""
    owner = _owner(user_ref)
    names = dict(FOLDERS)
    if folder.lower() not in names:
        abort(404)
    box = mail_store().mailbox(owner.id)
    rows = [_row(m) for m in box.in_folder(folder.lower())]
    return render_template("viewer/folder.html", owner=owner, folder=folder.lower(),
                           folder_name=names[folder.lower()], folders=FOLDERS, rows=rows)


@viewer_bp.get("/mailbox/<user_ref>/messages/<message_id>")
def message(user_ref: str, message_id: str):
    """One message: addresses, body, attachments."""
    owner = _owner(user_ref)
    box = mail_store().mailbox(owner.id)
    item = box.messages.get(message_id)
    if item is None:
        abort(404)
    props = item.props
    body = body_as(props.get("body"), None if (props.get("body") or {}).get("contentType") == "html"
                   else "text")
    fields = {
        "from": recipient(props.get("from")), "sender": recipient(props.get("sender")),
        "to": recipients(props.get("toRecipients")), "cc": recipients(props.get("ccRecipients")),
        "bcc": recipients(props.get("bccRecipients")),
        "reply_to": recipients(props.get("replyTo")),
    }
    if body["contentType"] == "html":
        body = dict(body, content=_inline_images(body["content"], owner.id, item))
    on_behalf = (fields["from"] and fields["sender"] and
                 fields["from"]["emailAddress"]["address"].lower()
                 != fields["sender"]["emailAddress"]["address"].lower())
    return render_template("viewer/message.html", owner=owner, message=item, props=props,
                           fields=fields, on_behalf=on_behalf, body=body, folders=FOLDERS,
                           folder=item.folder, headers=item.headers)


def _inline_images(content: str, owner_id: str, item) -> str:
    """``src="cid:x"`` pointed at the message's own attachment with Content-ID x (RFC 2392:
    the cid URL is the Content-ID, URL-encoded); an unknown cid is left as it is."""
    by_cid = {a.content_id.strip("<>"): a for a in item.attachments if a.content_id}

    def swap(match):
        wanted = unquote(match.group(3))
        found = by_cid.get(wanted) or next(
            (a for cid, a in by_cid.items() if cid.lower() == wanted.lower()), None)
        if found is None:
            return match.group(0)
        url = url_for("viewer.attachment", user_ref=owner_id, message_id=item.id,
                      attachment_id=found.id, inline=1)
        return f'{match.group(1)}"{url}"'
    return _CID_SRC.sub(swap, content)


@viewer_bp.get("/mailbox/<user_ref>/messages/<message_id>/attachments/<attachment_id>")
def attachment(user_ref: str, message_id: str, attachment_id: str):
    """Download an attachment exactly as stored."""
    owner = _owner(user_ref)
    item = mail_store().mailbox(owner.id).messages.get(message_id)
    found = next((a for a in (item.attachments if item else []) if a.id == attachment_id), None)
    if found is None:
        abort(404)
    name = found.name or "attachment"
    response = Response(found.blob.chunks(),
                        content_type=found.content_type or "application/octet-stream")
    response.headers["Content-Length"] = str(found.size)
    # ?inline=1 is how the message page shows an inline picture; only images are shown inline.
    inline = request.args.get("inline") == "1" and (found.content_type or "").startswith("image/")
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(name, safe='')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@viewer_bp.get("/owa/")
def owa():
    """Where a message's webLink points: find it in whichever mailbox holds it."""
    item_id = request.args.get("ItemID", "")
    for user_id, box in mail_store().mailboxes.items():
        if item_id in box.messages:
            return redirect(url_for("viewer.message", user_ref=user_id, message_id=item_id))
    abort(404)
