"""The pictures placed in a draft's body, shown to its editor.

    GET /compose/<id>/files/<fid>/inline   one inline picture's bytes, for the compose editor

In the saved and sent HTML an inline picture is ``<img src="cid:<content id>">``, which no
browser can load; the editor (static/compose-editor.js) shows it from this URL instead and
writes ``cid:`` back. Only raster pictures are served, under the type they were stored with
(never SVG, which can carry script), with nosniff and a CSP that lets the response run nothing.
A picture whose bytes are in the shared store is read from there; one the mailbox draft holds (a
forward's or a continued draft's, or any once the draft moved into the mailbox) is streamed from
Graph's ``$value`` piece by piece, so its size never weighs on this instance's memory.
"""
from __future__ import annotations

import logging

from flask import current_app, render_template

from mailer.graph.errors import GraphError
from mailer.graph.mailbox import Mailbox
from mailer.identity.errors import AuthError
from mailer.sending.draft_files import StoredAttachment
from mailer.sending.drafts import DraftError, DraftNotFound
from mailer.web.auth import wants_json
from mailer.web.compose import bp
from mailer.web.compose.mailbox import ConsentNeeded, mailbox_client
from mailer.web.compose.services import owner, services
from mailer.web.words import graph_advice

logger = logging.getLogger(__name__)

PICTURE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PIECE = 64 * 1024  # bytes held at once while a mailbox picture streams through
NO_PICTURE = ("This draft has no such picture in its message (it may have been removed); reload "
              "the page to see the message as it is.")
NO_PERMISSION = ("This picture is kept in your mailbox's Drafts folder, and the app no longer has "
                 "your permission to read your mail, so it cannot be shown. Save or send the "
                 "draft to be asked for that permission again.")


def _refuse(text: str, status: int):
    if wants_json():
        return {"error": text}, status
    return render_template("errors/error.html", title="Picture not shown", text=text,
                           status=status), status


def _picture(body, media: str, length: str | None = None):
    response = current_app.response_class(body, content_type=media,
                                          direct_passthrough=not isinstance(body, bytes))
    if length and length.isdigit():
        response.headers["Content-Length"] = length
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # A file id's bytes never change; kept by this browser only, never by a shared cache.
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = "inline"
    return response


def _from_mailbox(draft_id: str, found, media: str):
    """Stream the mailbox draft's attachment ``found.graph_id`` (an <img> follows no consent
    redirect: a missing permission is said in words)."""
    graph_id = services().mailbox.mailbox_id(draft_id, owner())
    if not graph_id or not found.graph_id:  # an entry from before drafts lived in the mailbox
        return _refuse(f"{found.name!r} is no longer kept with this draft; attach it again.", 404)
    try:
        upstream = Mailbox(mailbox_client(draft_id)).attachment_content(graph_id, found.graph_id)
    except ConsentNeeded:
        return _refuse(NO_PERMISSION, 404)
    except AuthError:
        return _refuse("The sign-in service did not answer, so the picture cannot be shown "
                       "now; reload the page in a moment.", 503)
    except GraphError as exc:
        logger.info("inline picture: Graph said %s %s", exc.status, exc.code)
        if exc.status == 404:
            return _refuse(NO_PICTURE, 404)
        status = 503 if exc.status in (0, 429, 503, 504) else 502
        return _refuse(f"The picture could not be read from your Drafts folder: "
                       f"{graph_advice(exc)}", status)
    response = _picture(upstream.iter_content(PIECE), media,
                        upstream.headers.get("Content-Length"))
    response.call_on_close(upstream.close)
    return response


@bp.get("/compose/<draft_id>/files/<file_id>/inline")
def inline_picture(draft_id, file_id):
    """The bytes of one inline picture of the signed-in person's draft."""
    try:
        files = services().drafts.load(draft_id, owner()).attachments
    except DraftNotFound as exc:
        return _refuse(str(exc), 404)
    found = next((a for a in files if a.file_id == file_id and a.is_inline), None)
    if found is None:
        return _refuse(NO_PICTURE, 404)
    media = (found.content_type or "").split(";")[0].strip().lower()
    if media not in PICTURE_TYPES:
        return _refuse(f"{found.name!r} is not a PNG, JPEG, GIF or WebP picture, so the "
                       "editor does not show it.", 415)
    if not isinstance(found, StoredAttachment):
        return _from_mailbox(draft_id, found, media)
    try:
        data = found.read_bytes()
    except DraftError as exc:
        return _refuse(str(exc), 404)
    return _picture(data, media)
