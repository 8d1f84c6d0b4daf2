"""Injected failures (429, 5xx, latency, dropped connections) for a path and the next N requests.

A rule, as JSON (``POST /_emulator/faults`` takes one rule or a list; ``EMULATOR_FAULTS`` holds a
list, read when the API app is built)::

    {"path": "/sendMail$",      regex searched in the request path (required)
     "method": "POST",          only this method (default: any)
     "status": 429,             answer 429, 503 or 504 without running the request
     "retry_after": 2,          Retry-After seconds (429 always carries one: default 1)
     "latency_ms": 300,         wait first (alone: a slow but successful request)
     "drop": true,              close the connection with no response ...
     "after": true,             ... after the request ran (the "did it send?" case)
     "count": 1}                how many requests the rule hits (default 1)

Rules are matched in the order they were added; each hit uses one of its ``count``; a rule used
up disappears. A request inside a JSON batch (``BATCH_ITEM`` in its environ) meets the rules as a
direct one does, except ``latency_ms``: it stands for the round trip between client and Graph,
which the batch paid once, so an item does not wait again, and a rule with only a latency passes
it by (a modelling choice: Graph's own processing time is not modelled). A ``drop`` hitting an
item drops the batch's connection. ``GET /_emulator/faults`` lists the live rules, ``DELETE`` clears them (so does
``/_emulator/reset``). Admin paths are never faulted. Bodies: Graph's error JSON for Graph and
upload URLs, an AADSTS body for ``/oauth2/`` paths.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import socket
import threading
import time
import uuid

from flask import Blueprint, jsonify, request

from .errors import aadsts_body
from .state import get_state

logger = logging.getLogger(__name__)

STATUSES = {429: "Too Many Requests", 503: "Service Unavailable", 504: "Gateway Timeout"}
FIELDS = {"path", "method", "status", "retry_after", "latency_ms", "drop", "after", "count"}
BATCH_ITEM = "emulator.batch_item"  # WSGI environ key: the id of a request run inside a $batch
faults_bp = Blueprint("faults", __name__, url_prefix="/_emulator")


class FaultError(ValueError):
    """A rule that cannot be used; the message says why."""


def parse_rule(raw) -> dict:
    """A checked rule with defaults filled in, or FaultError."""
    if not isinstance(raw, dict):
        raise FaultError("a fault rule must be a JSON object")
    unknown = set(raw) - FIELDS
    if unknown:
        raise FaultError(f"unknown field(s): {', '.join(sorted(unknown))}")
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise FaultError("'path' (a regular expression) is required")
    try:
        re.compile(path)
    except re.error as exc:
        raise FaultError(f"'path' is not a valid regular expression: {exc}") from None
    rule = {"id": uuid.uuid4().hex[:12], "path": path,
            "method": (raw.get("method") or "").upper() or None,
            "status": raw.get("status"), "retry_after": raw.get("retry_after"),
            "latency_ms": raw.get("latency_ms") or 0, "drop": raw.get("drop", False),
            "after": raw.get("after", False), "count": raw.get("count", 1)}
    if rule["status"] is not None and rule["status"] not in STATUSES:
        raise FaultError(f"'status' must be one of {sorted(STATUSES)}")
    for name in ("retry_after", "latency_ms", "count"):
        value = rule[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise FaultError(f"'{name}' must be a non-negative integer")
    if rule["count"] < 1:
        raise FaultError("'count' must be at least 1")
    if not isinstance(rule["drop"], bool) or not isinstance(rule["after"], bool):
        raise FaultError("'drop' and 'after' must be true or false")
    if rule["drop"] and rule["status"] is not None:
        raise FaultError("a rule either answers a 'status' or 'drop's the connection, not both")
    if rule["after"] and not rule["drop"]:
        raise FaultError("'after' only applies to 'drop'")
    if not (rule["drop"] or rule["status"] or rule["latency_ms"]):
        raise FaultError("a rule needs 'status', 'drop' or 'latency_ms'")
    return rule


class Faults:
    """The live rules of one emulator, in order."""

    def __init__(self) -> None:
        self.rules: list[dict] = []
        self.lock = threading.Lock()

    def add(self, rules: list[dict]) -> None:
        with self.lock:
            self.rules.extend(rules)

    def take(self, method: str, path: str, in_batch: bool = False) -> dict | None:
        """The first rule for this request, with one of its uses spent (latency-only rules pass
        requests inside a batch by)."""
        with self.lock:
            for rule in self.rules:
                if in_batch and not (rule["status"] or rule["drop"]):
                    continue
                if (rule["method"] in (None, method)) and re.search(rule["path"], path):
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self.rules.remove(rule)
                    return dict(rule)
        return None


def faults_of(state) -> Faults:
    return state.extension("faults", Faults)


@faults_bp.post("/faults")
def add_faults():
    """Add one rule (a JSON object) or several (a list); 201 with what was added."""
    body = request.get_json(silent=True)
    items = body if isinstance(body, list) else [body]
    try:
        rules = [parse_rule(item) for item in items]
    except FaultError as exc:
        return jsonify({"error": str(exc)}), 400
    faults_of(get_state()).add(rules)
    return jsonify(rules if isinstance(body, list) else rules[0]), 201


@faults_bp.get("/faults")
def list_faults():
    """The live rules, with what is left of their counts."""
    faults = faults_of(get_state())
    with faults.lock:
        return jsonify({"faults": [dict(rule) for rule in faults.rules]})


@faults_bp.delete("/faults")
def clear_faults():
    """Remove every rule."""
    faults = faults_of(get_state())
    with faults.lock:
        faults.rules.clear()
    return "", 204


def _error_body(status: int, path: str, environ, request_id: str) -> bytes:
    if "/oauth2/" in path:  # the token endpoint speaks AADSTS, not Graph
        # UNCONFIRMED: the AADSTS code Azure uses for throttling / outages.
        return json.dumps(aadsts_body("temporarily_unavailable", 90033,
                                      "A transient error has occurred. Please try again.")).encode()
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    client_id = environ.get("HTTP_CLIENT_REQUEST_ID") or request_id
    if status == 429:
        error = {"code": "TooManyRequests", "message": "Please retry again later.",
                 "innerError": {"code": "429", "status": "429", "message": "Please retry after",
                                "request-id": request_id, "date": date}}
    else:  # body UNCONFIRMED (facts §5): Graph's code is serviceNotAvailable
        error = {"code": "serviceNotAvailable",
                 "message": "The service is temporarily unavailable. Please retry after some time.",
                 "innerError": {"date": date, "request-id": request_id,
                                "client-request-id": client_id}}
    return json.dumps({"error": error}).encode()


def _drop(environ) -> None:
    """Close the client's connection with no response at all."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionAbortedError("fault injection: connection dropped")  # werkzeug stays quiet


class FaultMiddleware:
    """WSGI middleware applying the first matching rule before (or after) the app runs."""

    def __init__(self, app, state):
        self.app, self.state = app, state

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator/"):
            return self.app(environ, start_response)
        in_batch = environ.get(BATCH_ITEM) is not None
        rule = faults_of(self.state).take(environ.get("REQUEST_METHOD", "GET"), path, in_batch)
        if rule is None:
            return self.app(environ, start_response)
        logger.info("fault %s on %s %s", rule["id"], environ.get("REQUEST_METHOD"), path)
        if rule["latency_ms"] and not in_batch:
            time.sleep(rule["latency_ms"] / 1000)
        if rule["drop"] and not rule["after"]:
            _drop(environ)
        if rule["status"]:
            status = rule["status"]
            request_id = str(uuid.uuid4())
            body = _error_body(status, path, environ, request_id)
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                       ("request-id", request_id),
                       ("client-request-id", environ.get("HTTP_CLIENT_REQUEST_ID") or request_id)]
            retry_after = rule["retry_after"] if rule["retry_after"] is not None else (
                1 if status == 429 else None)
            if retry_after is not None:
                headers.append(("Retry-After", str(retry_after)))
            start_response(f"{status} {STATUSES[status]}", headers)
            return [body]
        if rule["drop"]:  # after: run the request to the end, then hang up on the client
            result = self.app(environ, lambda *args, **kwargs: (lambda data: None))
            try:
                for _ in result:
                    pass
            finally:
                if hasattr(result, "close"):
                    result.close()
            _drop(environ)
        return self.app(environ, start_response)


def install(app) -> None:
    """Hook fault injection into the API app, with the rules of EMULATOR_FAULTS (if set)."""
    state = app.extensions["emulator_state"]
    app.register_blueprint(faults_bp)
    app.wsgi_app = FaultMiddleware(app.wsgi_app, state)
    raw = os.environ.get("EMULATOR_FAULTS", "").strip()
    if raw:
        try:
            items = json.loads(raw)
            rules = [parse_rule(item) for item in (items if isinstance(items, list) else [items])]
        except (ValueError, FaultError) as exc:
            raise SystemExit(f"EMULATOR_FAULTS is not a valid list of fault rules: {exc}") from None
        faults_of(state).add(rules)
        logger.info("%d fault rule(s) from EMULATOR_FAULTS", len(rules))
