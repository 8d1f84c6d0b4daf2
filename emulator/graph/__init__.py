"""Graph v1.0 over HTTPS: users, profile photos, mail, drafts, attachments, upload sessions.

``graph_bp`` (registered on the API app) sends every ``/v1.0/...`` request through one view:
authenticate the bearer token, match the path with Graph's case-insensitive grammar
(``routing``), call the view registered for it (``users``, ``photos``, ``mail``, ``drafts``,
``attachments``, ``uploads``, ``reading``). ``/api/v2.0/...`` is the Outlook-shaped upload URL,
served by ``upload_put`` without bearer authentication. Every response carries ``request-id``
and ``client-request-id``; every failure is Graph's JSON error, never an HTML page.
"""
from __future__ import annotations

import logging

from flask import Blueprint, request

from . import attachments, drafts, mail, reading, uploads, users  # noqa: F401 (register routes)
from . import photos  # noqa: F401 (registers the photo routes)
from . import mime_out, moves, people, replies  # noqa: F401 (mailbox pages: issue 10)
from . import outlook_throttle, upload_put
from .auth import authenticate
from .common import GraphFailure, drain, request_id
from .routes import ROUTER

logger = logging.getLogger(__name__)

graph_bp = Blueprint("graph", __name__)
graph_bp.record_once(outlook_throttle.install)  # Outlook's per-mailbox throttling wraps the app
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


@graph_bp.route("/api/v2.0/<path:rest>", methods=METHODS)
def outlook_upload(rest: str):
    """The pre-authenticated upload URL handed out by createUploadSession."""
    return upload_put.dispatch(rest)


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
