"""Graph v1.0 over HTTPS: users, profile photos, mail, drafts, attachments, upload sessions, and
JSON batching of them (``$batch``); ``/beta`` answers 501.

``graph_bp`` (registered on the API app) sends every ``/v1.0/...`` request through one view:
authenticate the bearer token, match the path with Graph's case-insensitive grammar, call the
view registered for it. ``/api/v2.0/...`` is the Outlook-shaped upload URL, served by
``mail.upload_url`` without bearer authentication. Every response carries ``request-id`` and
``client-request-id``; every failure is Graph's JSON error, never an HTML page.

  common.py              GraphFailure, JSON responses, request bodies, timestamps
  auth.py                the caller (bearer token to user and scopes) and mailbox access
  schema.py              Graph's types as a client writes them (held to Microsoft's CSDL)
  odata.py               ``$filter``/``$orderby`` over Graph JSON, for users and messages
  sending_limits.py      Exchange's sending limits per mailbox; settings of every limit
  request_throttling.py  Outlook's throttling of requests per app and mailbox (middleware)
  batch.py               ``POST /v1.0/$batch``: JSON batching
  batch_envelope.py      a batch's requests as Graph reads them, and its 400s
  batch_run.py           each item run through the API app's own WSGI stack
  routing/               the URL grammar, the route table, the 501s, the CSDL surface
  directory/             users, photos, people
  mail/                  mailboxes, messages, attachments, upload sessions, sending, delta
  subscriptions/         change notifications: ``/subscriptions`` and the webhooks they call
  csdl/                  Microsoft's CSDL (v1.0-Prod.csdl) and its licence notice
"""
from __future__ import annotations

import logging

from flask import Blueprint, request

# Importing the views registers their routes; the order is the routes' order (see Router).
from .mail import attachments, messages, sendmail, listing, upload_session  # noqa: F401
from .directory import users, photos  # noqa: F401
from .mail import mime_out, moves  # noqa: F401
from .directory import people  # noqa: F401
from .mail import replies  # noqa: F401
from .mail import delta  # noqa: F401
from .subscriptions import views as subscription_views  # noqa: F401
from . import batch, request_throttling
from .mail import upload_url
from .auth import authenticate
from .common import GraphFailure, drain, request_id
from .routing.table import ROUTER

logger = logging.getLogger(__name__)

graph_bp = Blueprint("graph", __name__)
graph_bp.record_once(request_throttling.install)  # Outlook's per-mailbox throttling wraps the app
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@graph_bp.route("/v1.0", defaults={"rest": ""}, methods=METHODS)
@graph_bp.route("/v1.0/<path:rest>", methods=METHODS)
def graph_v1(rest: str):
    """Every Graph v1.0 call: authenticate, route, run the view."""
    caller = authenticate()
    match = ROUTER.match(request.method, rest)
    if match.view is not None:
        return match.view(caller, **match.values)
    if match.allowed:
        # UNCONFIRMED wording; Graph answers 405 for a known path with the wrong method.
        raise GraphFailure(405, "Request_BadRequest",
                           "Specified HTTP method is not allowed for the request target.",
                           {"Allow": ", ".join(match.allowed)})
    raise GraphFailure(400, "BadRequest",
                       f"Resource not found for the segment '{match.unmatched_segment}'.")


@graph_bp.post("/v1.0/$batch")
def graph_batch():
    """JSON batching: up to 20 requests in one round trip."""
    return batch.respond()


@graph_bp.route("/beta", defaults={"rest": ""}, methods=METHODS)
@graph_bp.route("/beta/<path:rest>", methods=METHODS)
def graph_beta(rest: str):
    """Graph's beta endpoint (``$batch`` included) exists, and the emulator serves v1.0 only."""
    raise GraphFailure(501, "NotImplemented", f"The emulator does not implement {request.method} "
                       f"/beta/{rest}: it serves Graph v1.0 only.")


@graph_bp.route("/api/v2.0/<path:rest>", methods=METHODS)
def outlook_upload(rest: str):
    """The pre-authenticated upload URL handed out by createUploadSession."""
    return upload_url.dispatch(rest)


@graph_bp.errorhandler(GraphFailure)
def graph_failure(failure: GraphFailure):
    drain()  # an unread body would otherwise reset the connection under the client's feet
    return failure.response()


@graph_bp.errorhandler(Exception)
def unexpected(error: Exception):
    logger.exception("Graph emulator failed on %s %s", request.method, request.path)
    drain()
    return GraphFailure(500, "generalException",
                        "An unexpected error occurred in the emulator.").response()


@graph_bp.after_request
def request_ids(response):
    if "request-id" not in response.headers:
        response.headers["request-id"] = request_id()
        response.headers["client-request-id"] = (request.headers.get("client-request-id")
                                                 or response.headers["request-id"])
    return response
