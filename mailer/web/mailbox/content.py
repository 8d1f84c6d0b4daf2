"""What is served from inside a message: the body's own document (for a sandboxed frame, under
its own CSP), its inline pictures, and its attachments as streamed downloads.

Nothing from a message is ever rendered as a page of this app's origin: the body document is
sanitized (sanitize.py), sandboxed by the frame and by its CSP's ``sandbox``, and loads nothing
but its own inline pictures (carried in it as data: URLs) and, once asked, the remote hosts it
names; the cid route serves an inline picture opened on its own; an attachment is always
a download, with a type that cannot run (HTML, SVG, XML, scripts go as octet-stream).
"""
from __future__ import annotations

import base64
import html
import re
from urllib.parse import quote

from flask import current_app, render_template, request

from mailer.graph.errors import GraphError
from mailer.sending.compose import sanitize_filename
from mailer.web.mailbox import bp
from mailer.web.mailbox.access import error_page, graph_failure, open_box
from mailer.web.mailbox.sanitize import clean
from mailer.web.words import MAILBOX_NOT_FOUND

CHUNK = 64 * 1024
_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,63}/[a-z0-9][a-z0-9.+-]{0,127}$")
_ACTIVE = re.compile(r"html|xml|svg|javascript|ecmascript|x-sh|xhtml")
PICTURE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}
SANDBOX = "sandbox allow-popups allow-popups-to-escape-sandbox"
INLINE_MAX, INLINE_TOTAL = 4 * 1024 * 1024, 16 * 1024 * 1024  # bytes of inline pictures


def _body_csp(hosts: set[str]) -> str:
    images = " ".join(["data:", *sorted(hosts)])
    return ("default-src 'none'; "
            f"img-src {images}; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
            f"frame-ancestors 'self'; {SANDBOX}")


def _inline_pictures(mailbox, message_id: str, attachments: list[dict]) -> dict[str, str]:
    """The message's inline pictures as data: URLs by content id.

    They go into the frame's document itself: the frame is sandboxed without
    allow-same-origin, so its own requests are cross-site and carry no session cookie
    (SameSite=Lax), and a route could not know whose mailbox to read without a capability
    in its URL. Raster types only (never SVG), within INLINE_MAX each and INLINE_TOTAL in all;
    their bytes come in one round trip.
    """
    wanted, total = {}, 0
    for item in attachments:
        cid, size = (item.get("contentId") or "").strip("<>"), item.get("size") or 0
        media = _safe_type(item.get("contentType"), False)
        if not cid or media not in PICTURE_TYPES or size > INLINE_MAX or total + size > INLINE_TOTAL:
            continue
        total += size
        wanted[item["id"]] = (cid, media)
    found, total = {}, 0
    for attachment_id, data in mailbox.attachment_contents(message_id, list(wanted)).items():
        cid, media = wanted[attachment_id]
        if len(data) <= INLINE_MAX and total + len(data) <= INLINE_TOTAL:
            total += len(data)
            found[cid] = f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"
    return found


@bp.get("/mail/<box>/m/<message_id>/body")
def body(box, message_id):
    """The message's body as its own document, for the reading page's sandboxed frame."""
    mailbox = open_box(box)
    try:
        # The message and its attachments in one round trip (not hasAttachments: Graph leaves
        # it false when every attachment is inline), then the pictures' bytes in another.
        found, attachments = mailbox.message_and_attachments(message_id)
        content = found.get("body") or {}
        is_html = (content.get("contentType") or "").lower() == "html"
        pictures = (_inline_pictures(mailbox, message_id, attachments)
                    if is_html and "cid:" in (content.get("content") or "").lower() else {})
    except GraphError as err:
        return graph_failure(err, box)
    if is_html:
        cleaned = clean(content.get("content") or "", lambda cid: pictures.get(cid.strip("<>"), ""),
                        request.args.get("images") == "1")
        markup, hosts = cleaned.html, cleaned.remote_hosts
    else:
        markup, hosts = f'<pre class="text">{html.escape(content.get("content") or "")}</pre>', set()
    response = current_app.make_response(render_template("mailbox/frame.html", markup=markup))
    response.headers["Content-Security-Policy"] = _body_csp(hosts)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "no-referrer"  # remote pictures learn nothing of us
    return response


def _safe_type(given: str | None, download: bool) -> str:
    media = (given or "").split(";")[0].strip().lower()
    if not _TYPE.match(media) or (download and _ACTIVE.search(media)):
        return "application/octet-stream"
    return media


def _disposition(name: str) -> str:
    """attachment; filename="ascii fallback"; filename*=UTF-8''… (RFC 6266 and RFC 5987), of
    the name's last part only: a sender's ``../../evil.html`` is offered as ``evil.html``."""
    try:
        name = sanitize_filename(name)
    except ValueError:  # nothing left once folders and control characters are gone
        name = "attachment"
    plain = re.sub(r'[^\x20-\x7e]|["\\%]', "_", name).strip() or "attachment"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _stream(box, message_id, attachment_id, media, disposition=None, length=None):
    try:
        upstream = open_box(box).attachment_content(message_id, attachment_id)
    except GraphError as err:
        return graph_failure(err, box)
    response = current_app.response_class(
        upstream.iter_content(CHUNK), content_type=media,
        direct_passthrough=True)
    response.call_on_close(upstream.close)
    length = upstream.headers.get("Content-Length") or length
    if length and str(length).isdigit():
        response.headers["Content-Length"] = str(length)
    if disposition:
        response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = f"default-src 'none'; {SANDBOX}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/mail/<box>/m/<message_id>/a/<attachment_id>")
def attachment(box, message_id, attachment_id):
    """One attachment, streamed from Graph as a download with its own name."""
    try:
        meta = open_box(box).attachment(message_id, attachment_id)
    except GraphError as err:
        return graph_failure(err, box)
    name = (meta.get("name") or "attachment")[:255]
    return _stream(box, message_id, attachment_id, _safe_type(meta.get("contentType"), True),
                   _disposition(name), meta.get("size"))


@bp.get("/mail/<box>/m/<message_id>/cid/<path:cid>")
def inline_picture(box, message_id, cid):
    """The message's own inline picture named ``cid`` (a picture type only)."""
    try:
        found = open_box(box).attachments(message_id)
    except GraphError as err:
        return graph_failure(err, box)
    wanted = cid.strip("<>")
    for item in found:
        if (item.get("contentId") or "").strip("<>") == wanted:
            media = _safe_type(item.get("contentType"), False)
            if media in PICTURE_TYPES:
                return _stream(box, message_id, item["id"], media, length=item.get("size"))
    return error_page("Not found", MAILBOX_NOT_FOUND, 404, box)
