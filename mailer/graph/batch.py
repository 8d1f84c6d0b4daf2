"""Several Graph calls in one round trip: JSON batching (``POST /$batch``).

``run(client, calls)`` sends up to 20 ``Call``s as one batch and returns an ``Answer`` per call
id. Graph answers each request on its own (learn.microsoft.com/graph/json-batching): the batch is
200 while an item may be 404, 403 or throttled; answers come in any order (matched here by id);
``depends_on`` makes Graph run a call after others and answer 424 when one of them failed.
Binary bodies (a ``$value``) come as base64 and are decoded.

The fallback: an item answered 429, 503 or 504 was not processed, so it is sent again as a direct
request through the client's retry policy, the item's answer counting as the first attempt (its
``Retry-After`` honoured, the same budget of attempts and seconds); an item answered 424 only
because such a call failed is then sent directly too, once its dependencies succeeded.

A single call, or a client with batching turned off (``GRAPH_BATCH=off``), is sent directly in
the same way, in dependency order, with the same answers: callers never need to know.
"""
from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import requests
from requests.structures import CaseInsensitiveDict

from mailer.graph.errors import GraphError
from mailer.graph.retry import IDEMPOTENT_METHODS, RETRY_STATUSES

logger = logging.getLogger(__name__)

MAX_CALLS = 20  # Graph's limit per batch
FAILED_DEPENDENCY = 424
WRITES = {"POST", "PUT", "PATCH"}


@dataclass(frozen=True)
class Call:
    """One Graph request: ``path`` under the client's base URL (``/me/messages/{id}``), with
    its query ``params``, ``headers``, JSON body and the ids of the calls it waits for."""
    id: str
    method: str
    path: str
    params: dict | None = None
    headers: dict | None = None
    json_body: Any = None
    depends_on: tuple[str, ...] = ()

    def url(self) -> str:
        query = urlencode(self.params, quote_via=quote, safe="$,()'") if self.params else ""
        return f"{self.path}?{query}" if query else self.path


@dataclass
class Answer:
    """Graph's answer to one call: status, headers, and the body as bytes (JSON or binary)."""
    id: str
    status: int
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)
    content: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status < 400

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None

    def response(self) -> requests.Response:
        """The answer as a requests.Response (for GraphError and the retry loop)."""
        response = requests.Response()
        response.status_code, response.headers = self.status, CaseInsensitiveDict(self.headers)
        response._content = self.content
        return response

    def result(self) -> Any:
        """The JSON body, or the call's GraphError."""
        if not self.ok:
            error = GraphError.from_response(self.response())
            logger.info("Graph call %s -> %s %s (request-id %s)", self.id, error.status,
                        error.code, error.request_id)
            raise error
        return self.json()

    @classmethod
    def of(cls, call_id: str, response: requests.Response) -> "Answer":
        return cls(call_id, response.status_code, CaseInsensitiveDict(response.headers),
                   response.content)

    @classmethod
    def from_batch(cls, entry: dict) -> "Answer":
        headers = CaseInsensitiveDict(entry.get("headers") or {})
        body = entry.get("body")
        if body is None:
            content = b""
        elif isinstance(body, str) and "json" not in headers.get("Content-Type", "").lower():
            alphabet = b"-_" if ("-" in body or "_" in body) else None  # base64url too
            content = base64.b64decode(body + "=" * (-len(body) % 4), altchars=alphabet)
        else:
            content = json.dumps(body).encode("utf-8")
        return cls(str(entry.get("id")), int(entry.get("status") or 0), headers, content)


def _failed_dependency(call: Call) -> Answer:
    """What Graph answers a call whose dependency failed (our words: it was not sent)."""
    body = {"error": {"code": "FailedDependency",
                      "message": f"Not sent: a call it depends on ({', '.join(call.depends_on)}) "
                                 "failed."}}
    return Answer(call.id, FAILED_DEPENDENCY, CaseInsensitiveDict(
        {"Content-Type": "application/json"}), json.dumps(body).encode())


def _item(call: Call) -> dict:
    item: dict = {"id": call.id, "method": call.method, "url": call.url()}
    headers = dict(call.headers or {})
    if call.method in WRITES:  # Graph wants a body and its type on every write, even an empty one
        headers["Content-Type"] = "application/json"
        item["body"] = call.json_body if call.json_body is not None else {}
    if headers:
        item["headers"] = headers
    if call.depends_on:
        item["dependsOn"] = list(call.depends_on)
    return item


def _direct(client, call: Call, first: Answer | None = None) -> Answer:
    response = client._send(call.method, call.path, json_body=call.json_body,
                            params=call.params, headers=call.headers,
                            first=first.response() if first else None)
    return Answer.of(call.id, response)


def _in_order(calls: list[Call]) -> list[Call]:
    """The calls with each after those it depends on (ValueError for an unknown id or a cycle)."""
    ids = {c.id for c in calls}
    ordered: list[Call] = []
    while len(ordered) < len(calls):
        done = {c.id for c in ordered}
        ready = [c for c in calls if c.id not in done and set(c.depends_on) <= done]
        if not ready or any(set(c.depends_on) - ids for c in calls):
            raise ValueError("calls depend on unknown calls, or on each other in a cycle")
        ordered.extend(ready)
    return ordered


def _settle(client, calls: list[Call], answers: dict[str, Answer], batched: bool) -> None:
    """Send directly what has no answer yet or was throttled in the batch, in dependency order."""
    for call in _in_order(calls):
        answer = answers.get(call.id)
        throttled = answer is not None and answer.status in RETRY_STATUSES
        blocked = answer is None or answer.status == FAILED_DEPENDENCY
        if not (throttled or blocked) and batched:
            continue
        if any(not answers[d].ok for d in call.depends_on):
            if answer is None:
                answers[call.id] = _failed_dependency(call)
            continue
        answers[call.id] = _direct(client, call, first=answer if throttled else None)


def run(client, calls: list[Call]) -> dict[str, Answer]:
    """Every call's answer by id: one ``$batch`` (or direct requests, see the module's doc)."""
    if not calls:
        return {}
    if len(calls) > MAX_CALLS or len({c.id for c in calls}) != len(calls):
        raise ValueError(f"a batch takes at most {MAX_CALLS} calls with distinct ids")
    _in_order(calls)
    answers: dict[str, Answer] = {}
    batched = client.batching and len(calls) > 1
    if batched:
        idempotent = all(c.method in IDEMPOTENT_METHODS for c in calls)
        envelope = client._request("POST", "/$batch",
                                   json_body={"requests": [_item(c) for c in calls]},
                                   idempotent=idempotent).json()
        for entry in envelope.get("responses") or []:
            answer = Answer.from_batch(entry)
            answers[answer.id] = answer
    _settle(client, calls, answers, batched)
    return answers
