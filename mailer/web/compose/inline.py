"""The pictures placed in a draft's body, shown to its editor.

    GET /compose/<id>/files/<fid>/inline   one inline picture's bytes, for the compose editor

In the saved and sent HTML an inline picture is ``<img src="cid:<content id>">``, which no
browser can load; the editor (static/compose-editor.js) shows it from this URL instead and
writes ``cid:`` back. Only raster pictures are served, under the type they were stored with
(never SVG, which can carry script), with nosniff and a CSP that lets the response run nothing.
"""
from __future__ import annotations

from flask import current_app, render_template

from mailer.sending.draft_files import StoredAttachment
from mailer.sending.drafts import DraftError, DraftNotFound
from mailer.web.auth import wants_json
from mailer.web.compose import bp
from mailer.web.compose.services import owner, services

PICTURE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
NO_PICTURE = ("This draft has no such picture in its message (it may have been removed); reload "
              "the page to see the message as it is.")


def _refuse(text: str, status: int):
    if wants_json():
        return {"error": text}, status
    return render_template("errors/error.html", title="Picture not shown", text=text,
                           status=status), status


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
    if not isinstance(found, StoredAttachment):  # 3 MB or more: the page never places those
        return _refuse(f"{found.name!r} is too large to show in the message; attach it "
                       "instead.", 413)
    try:
        data = found.read_bytes()
    except DraftError as exc:
        return _refuse(str(exc), 404)
    response = current_app.response_class(data, content_type=media)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # A file id's bytes never change; kept by this browser only, never by a shared cache.
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = "inline"
    return response
