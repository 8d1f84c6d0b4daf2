"""``POST /v1.0/$batch``: JSON batching as learn.microsoft.com/graph/json-batching describes it.

Up to 20 requests, each ``{id, method, url, headers, body, dependsOn}``; the answer is 200
``{"responses": [{id, status, headers, body}]}`` whatever the items answered, or 400 for a batch
Graph cannot read (batch_envelope.py). The batch's own bearer token must be valid (401
otherwise); each item is then authorized, throttled and faulted on its own (batch_run.py).

A ``$batch`` inside a batch answers that item 400 (UNCONFIRMED wording: OData allows no nested
batch, and no Microsoft source quotes Graph's refusal). A fault rule that drops the connection,
hitting an item, drops the batch's connection: the item has no connection of its own.
"""
from __future__ import annotations

from flask import Response, current_app, request

from ..faults import BATCH_ITEM
from . import batch_envelope, batch_run
from .auth import authenticate
from .common import GraphFailure, json_response, read_json


def _hang_up():
    """A body whose first read raises: werkzeug then closes the connection quietly."""
    raise ConnectionAbortedError("fault injection: connection dropped during a batch")
    yield b""  # pragma: no cover - makes this a generator


def respond():
    """Run a JSON batch and answer every item."""
    if request.environ.get(BATCH_ITEM) is not None:
        raise GraphFailure(400, "BadRequest", "A batch request cannot contain another batch "
                           "request.")
    authenticate()
    items = batch_envelope.parse(read_json())
    try:
        responses = batch_run.run_all(current_app.wsgi_app, request.environ, items)
    except batch_run.Dropped:
        return Response(_hang_up())
    return json_response({"responses": responses})
