"""The API's one error shape: ``{"error": {"code", "message", "field", "graph_code"}}``.

``code`` is this API's (what a program branches on), ``message`` says it in words, ``field``
names the part of the request at fault (a body field, a header, a path part) or is null, and
``graph_code`` is Microsoft Graph's own code when Graph refused. Every error of the API's
blueprint comes out in this shape: its own, a refused body (413), a stray 404, even a crash.
"""
from __future__ import annotations

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from mailer.graph.errors import SIGN_IN_UNAVAILABLE, GraphError

logger = logging.getLogger(__name__)

CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 414: "uri_too_long",
         415: "unsupported_media_type", 422: "unprocessable", 429: "throttled",
         500: "internal_error", 502: "graph_error", 503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, field: str | None = None,
                 code: str | None = None, graph_code: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.code = code or CODES.get(status, "error")
        self.graph_code, self.headers = graph_code, headers or {}


def error_response(err: ApiError):
    body = {"error": {"code": err.code, "message": err.message, "field": err.field,
                      "graph_code": err.graph_code}}
    response = jsonify(body)
    response.status_code = err.status
    response.headers.update(err.headers)
    return response


def from_graph(exc: GraphError, field: str | None = None) -> ApiError:
    """Graph's refusal with its code passed through; the status says whose fault it is
    (400 and 404: the caller's ``field``; anything else: Graph's or this app's setup)."""
    if exc.status == 400:
        return ApiError(400, f"Microsoft Graph refused the request: {exc.message}",
                        field=field, graph_code=exc.code)
    if exc.status == 404:
        return ApiError(404, f"Microsoft Graph found no such item: {exc.message}",
                        field=field, graph_code=exc.code)
    if exc.status == 429:
        wait = int(exc.retry_after or 1)
        return ApiError(429, f"Microsoft Graph asks to slow down; try again in {wait} s.",
                        graph_code=exc.code, headers={"Retry-After": str(wait)})
    if exc.code == SIGN_IN_UNAVAILABLE:
        return ApiError(503, f"Microsoft's sign-in service gave the app no token just now "
                        f"({exc.message}); try again.", graph_code=exc.code)
    return ApiError(502, f"Microsoft Graph refused: {exc.message or exc.code}",
                    graph_code=exc.code)


def http_error(err: HTTPException):
    """Werkzeug's and webargs' errors (webargs puts a body's field errors in ``data``), and the
    router's: a path the API does not have (404), a method a path does not take (405, with
    ``Allow``), an address too long (414). The app's error pages send every error of a path
    under /api/ here, whether or not it reached the API's blueprint."""
    messages = (getattr(err, "data", None) or {}).get("messages")
    if err.code == 422 and messages:
        field, problem = first_problem(messages)
        return error_response(ApiError(400, f"{field}: {problem}", field=field))
    if err.code == 413:
        return error_response(ApiError(413, "The request is larger than this API accepts: "
                                       "each file at most MAX_FILE_SIZE, a JSON body at most "
                                       "FORM_MEMORY.", field="body"))
    if err.code == 404 and request.url_rule is None:  # no route at all
        return error_response(ApiError(404, f"There is no API route {request.method} "
                                       f"{request.path}.", field="path"))
    if err.code == 405:
        allow = ", ".join(sorted(getattr(err, "valid_methods", None) or ()))
        return error_response(ApiError(405, f"{request.path} does not take {request.method}; it "
                                       f"takes {allow}.", field="method",
                                       headers={"Allow": allow}))
    return error_response(ApiError(err.code or 500, err.description or err.name))


def crash(err: Exception):
    logger.exception("API request failed")
    return error_response(ApiError(500, "An unexpected error happened on our side; it has been "
                                   "logged. Try again in a moment."))


def first_problem(messages) -> tuple[str, str]:
    """The first field and its first message of marshmallow's nested errors (a dotted path)."""
    path = []
    while isinstance(messages, dict) and messages:
        key = next(iter(messages))
        if key not in ("json", "form", "query", "files", "headers", "_schema"):
            path.append(str(key))
        messages = messages[key]
    while isinstance(messages, list) and messages:
        messages = messages[0]
    return ".".join(path) or "body", str(messages)
