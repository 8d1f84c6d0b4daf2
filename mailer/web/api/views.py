"""``/api/v1/``: submit a message, read or cancel its job, read a mailbox. Keys, not sessions.

Every route but the OpenAPI document wants ``Authorization: Bearer mk_...``; the key is checked
before a body is read, and names the mailboxes it may act for. The browser session is never
read or written here (no cookie), and CSRF does not apply: nothing here trusts a cookie.
A submit is queued for the automation worker, which sends it app-only, once; its files are
kept off this host (the shared store, or a draft in the sender's mailbox: intake.py).
"""
from __future__ import annotations

import copy
import re
import uuid

from flask import current_app, g, request, url_for
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from mailer.automation import intake, jobs
from mailer.automation.errors import AutomationError, NotAllowed, StillReceiving
from mailer.graph.errors import SIGN_IN_UNAVAILABLE, GraphError
from mailer.sending.description import check
from mailer.graph.mailbox import Mailbox
from mailer.sending.plan import PlanRefused
from mailer.web.api import bodies, examples, schemas, services, uploads
from mailer.web.api.errors import ApiError, crash, error_response, from_graph, http_error

bp = Blueprint("api", __name__, url_prefix="/api/v1",
               description="Send mail as a mailbox of the organisation, app-only, and read it.")
bp.register_error_handler(ApiError, error_response)
bp.register_error_handler(HTTPException, http_error)
bp.register_error_handler(Exception, crash)
IDEMPOTENCY = re.compile(r"[\x21-\x7e]{1,180}")
IDEMPOTENCY_HEADER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 180, "pattern": "^[!-~]{1,180}$"},
    "description": "1 to 180 visible ASCII characters (no spaces). A retried submit with the "
                   "same key and the same message is the same job (Idempotent-Replayed: true); "
                   "the same key for a different message is 422. Keys are per API key."}
ERRORS = {code: {"description": words,
                 "content": {"application/json": {"schema": schemas.ErrorSchema,
                                                  "example": examples.error(code)}}}
          for code, words in {
              400: "a malformed request: the field is named", 401: "no key, or not a live one",
              403: "a mailbox outside the key's scope", 404: "no such job or message"}.items()}


def errors(*codes):
    return bp.doc(responses={str(c): copy.deepcopy(ERRORS[c]) for c in codes})


def authenticated() -> dict:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    found = services.api_keys().verify(key.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        raise ApiError(401, "Give a live API key as 'Authorization: Bearer <key>' (an admin "
                       "makes one on the API keys page).", field="Authorization",
                       headers={"WWW-Authenticate": 'Bearer realm="mailer"'})
    g.api_key = found
    return found


def in_scope(key: dict, mailbox: str, field: str) -> str:
    address = (mailbox or "").strip().lower()
    if address not in key["senders"]:
        raise ApiError(403, f"This API key may not act for {address or 'that mailbox'}: it is "
                       f"scoped to {', '.join(key['senders']) or 'no mailbox'}.", field=field)
    return address


@bp.post("/messages")
@bp.doc(summary="Submit a message", operationId="submitMessage", description=(
    "Queue one message, sent app-only as `from` (a mailbox of the key), once. JSON, or "
    "multipart/form-data with the same JSON in a `message` part and files as `attachments`. "
    "The answer is the job (202, Location: the job); 422 when the Idempotency-Key was used "
    "for a different message, 409 while a submit under that key still receives its files."),
    requestBody={"required": True, "content": {
    "application/json": {"schema": schemas.MessageSchema, "example": examples.SUBMIT_JSON},
    "multipart/form-data": {"schema": schemas.SubmitFormSchema,
                            "example": examples.SUBMIT_FORM}}},
    parameters=[IDEMPOTENCY_HEADER])
@bp.response(202, schemas.JobSchema, description="queued; Location is the job",
             example=examples.JOB)
@errors(400, 401, 403)
def submit():
    """Queue one message, sent app-only as ``from``; 422 when the Idempotency-Key was used for
    a different message."""
    key = authenticated()
    idem = request.headers.get("Idempotency-Key")
    if idem is not None and not IDEMPOTENCY.fullmatch(idem):
        raise ApiError(400, "Idempotency-Key: 1 to 180 visible ASCII characters",
                       field="Idempotency-Key")
    description, files = bodies.message_and_files()
    sender = in_scope(key, description["from"], "from")
    cfg, rt = current_app.config, services.runtime()
    incoming = [uploads.incoming(f, cfg["MAX_FILE_SIZE"]) for f in files]
    try:
        check(description, max_recipients=cfg["MAX_RECIPIENTS"], me_address=sender)
        job_id, replay = intake.submit(rt, description, f"{key['id']}:{idem or uuid.uuid4().hex}",
                                       incoming)
    except PlanRefused as exc:
        raise ApiError(413, f"attachments: {' '.join(exc.errors)}", field="attachments")
    except NotAllowed as exc:
        raise ApiError(403, f"{exc.field}: {exc.message}", field=exc.field)
    except AutomationError as exc:
        if exc.field == "idempotency_key":
            raise ApiError(422, "This Idempotency-Key was used for a different message: use a "
                           "new key for a new message.", field="Idempotency-Key",
                           code="idempotency_key_reused")
        raise ApiError(400, f"{exc.field}: {exc.message}", field=exc.field)
    except StillReceiving:
        raise ApiError(409, "A submit with this Idempotency-Key is still putting its files in "
                       "the sender's mailbox; ask for the job in a moment.",
                       field="Idempotency-Key", code="submit_in_progress") from None
    except GraphError as exc:
        if exc.code == SIGN_IN_UNAVAILABLE:
            raise ApiError(503, f"Microsoft's sign-in service gave no app-only token to put the "
                           f"files in the sender's mailbox ({exc.message}); try again.",
                           field="attachments") from None
        raise from_graph(exc, "attachments") from None
    headers = {"Location": url_for("api.job", job_id=job_id)}
    if replay:
        headers["Idempotent-Replayed"] = "true"
    return jobs.status(rt, job_id), 202, headers


def _job(key: dict, job_id: str) -> dict:
    found = jobs.status(services.runtime(), job_id) if re.fullmatch(r"j[0-9a-f]{24}",
                                                                      job_id) else None
    if found is None:
        raise ApiError(404, f"There is no job {job_id} (jobs are kept JOB_TTL seconds).",
                       field="job_id")
    in_scope(key, found["sender"], "job_id")
    return found


@bp.get("/jobs/<job_id>")
@bp.doc(operationId="getJob")
@bp.response(200, schemas.JobSchema, example=examples.JOB_SENT)
@errors(401, 403, 404)
def job(job_id):
    """How a submitted message stands: queued, waiting, sending, sent, failed or cancelled.

    A job belongs to the mailbox it sends from: any live key scoped to that mailbox may read it,
    not only the key that submitted it (403 for a key of other mailboxes)."""
    return _job(authenticated(), job_id)


@bp.post("/jobs/<job_id>/cancel")
@bp.doc(operationId="cancelJob")
@bp.response(200, schemas.JobSchema, example=examples.JOB_CANCELLED)
@errors(401, 403, 404)
def cancel(job_id):
    """Cancel a job that is queued or waiting (409 once a worker is sending it, or it ended).

    As for reading: any live key scoped to the job's mailbox may cancel it."""
    key = authenticated()
    _job(key, job_id)
    rt = services.runtime()
    done, outcome = services.cancel(rt, job_id)
    if not done:
        said = {"sending": "a worker is sending it right now",
                "missing": "it is gone", "receiving": "its files are still arriving"}.get(outcome, f"it is already {outcome}")
        raise ApiError(409, f"The job cannot be cancelled: {said}.", field="job_id")
    return jobs.status(rt, job_id)


def _item(m: dict) -> dict:
    sender = (m.get("from") or {}).get("emailAddress") or {}
    item = {"id": m["id"], "subject": m.get("subject") or "", "from": sender.get("address"),
            "to": [r["emailAddress"]["address"] for r in m.get("toRecipients") or []],
            "received": m.get("receivedDateTime"), "is_read": bool(m.get("isRead")),
            "has_attachments": bool(m.get("hasAttachments")),
            "importance": m.get("importance") or "normal", "preview": m.get("bodyPreview") or ""}
    if "body" in m:
        item.update(body=m["body"].get("content", ""), body_type=m["body"].get("contentType"))
    return {("sender" if k == "from" else k): v for k, v in item.items()}


def _mailbox(key: dict, mailbox: str) -> Mailbox:
    return Mailbox(services.runtime().app_graph(), in_scope(key, mailbox, "mailbox"))


@bp.get("/mailboxes/<mailbox>/messages")
@bp.doc(operationId="listMessages")
@bp.arguments(schemas.ListQuerySchema, location="query")
@bp.response(200, schemas.MessageListSchema, example=examples.LIST)
@errors(400, 401, 403)
def messages(query, mailbox):
    """The newest messages of a folder (``unread=true``: unread only), app-only."""
    box = _mailbox(authenticated(), mailbox)
    try:
        page = box.list_folder(query["folder"], top=query["top"], unread=query["unread"])
    except GraphError as exc:
        raise from_graph(exc, "folder") from None
    return {"mailbox": box.address, "messages": [_item(m) for m in page.messages]}


@bp.get("/mailboxes/<mailbox>/messages/<message_id>")
@bp.doc(operationId="getMessage")
@bp.response(200, schemas.MessageItemSchema, example=examples.MESSAGE)
@errors(401, 403, 404)
def message(mailbox, message_id):
    """One message with its body."""
    try:
        return _item(_mailbox(authenticated(), mailbox).message(message_id))
    except GraphError as exc:
        raise from_graph(exc, "message_id") from None


@bp.post("/mailboxes/<mailbox>/messages/<message_id>/read")
@bp.doc(operationId="markRead")
@bp.response(200, schemas.MessageItemSchema, example=examples.READ)
@errors(401, 403, 404)
def mark_read(mailbox, message_id):
    """Mark one message read (the consumer's acknowledgement)."""
    box = _mailbox(authenticated(), mailbox)
    try:
        box.set_read(message_id, True)
    except GraphError as exc:
        raise from_graph(exc, "message_id") from None
    return {"id": message_id, "is_read": True}
