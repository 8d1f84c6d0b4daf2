"""A JSON batch as Graph reads it: the ``requests`` of ``POST /v1.0/$batch``, checked.

``parse(body)`` gives the items in the order sent, or raises ``GraphFailure`` with the 400
``BadRequest`` that refuses the whole batch (learn.microsoft.com/graph/json-batching: a
malformed batch is 400, a parseable one 200 whatever its items answer). Graph's words where a
source quotes them: "Request Id {id} has to be unique in a batch." (ids compare
case-insensitively, as the docs say; msgraph-sdk-java#559), "Write request id : {id} does not
contain Content-Type header or body." (msgraph-sdk-dotnet#2628), "Invalid batch payload format."
for an absolute url (microsoft-graph-docs-contrib#8576), "Number of requests inside batch exceed
the limit." (microsoftgraph-postman-collections#9). Every other refusal's wording is UNCONFIRMED
and names the field at fault.

A body is JSON when the item's Content-Type is JSON (``application/json`` or ``+json``), else a
base64 string, as the docs describe it ("a JSON object or a base64 URL-encoded value") and as
Microsoft's SDKs send it; both base64 alphabets are read. UNCONFIRMED for text types, which OData
4.01's JSON batch format would carry as the plain string.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field

from .common import GraphFailure

MAX_REQUESTS = 20
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
WRITES = {"POST", "PUT", "PATCH"}
BAD_FORMAT = "Invalid batch payload format."


@dataclass
class Item:
    """One request of a batch, ready to run: ``url`` relative to ``/v1.0``, ``body`` bytes."""
    id: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    depends_on: list[str] = field(default_factory=list)  # ids, lowercased

    @property
    def key(self) -> str:
        return self.id.lower()


def _refuse(message: str) -> GraphFailure:
    return GraphFailure(400, "BadRequest", message)


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _body(raw, item_id: str, content_type: str | None) -> bytes:
    if raw is None:
        return b""
    if is_json(content_type) and not isinstance(raw, str):
        return json.dumps(raw, ensure_ascii=False).encode("utf-8")
    if isinstance(raw, str):
        text = raw.strip()
        try:
            alphabet = {"altchars": b"-_"} if ("-" in text or "_" in text) else {}
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True, **alphabet)
        except (binascii.Error, ValueError):
            pass
    # UNCONFIRMED wording: a body that is neither JSON nor base64 for its Content-Type.
    raise _refuse(f"{BAD_FORMAT} The body of request id : {item_id} is not JSON for a JSON "
                  "Content-Type, nor a base64 value for another.")


def _item(raw, index: int) -> Item:
    if not isinstance(raw, dict):
        raise _refuse(f"{BAD_FORMAT} Request {index + 1} is not a JSON object.")  # UNCONFIRMED
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id.strip():
        raise _refuse(f"{BAD_FORMAT} Request {index + 1} has no id (a string).")  # UNCONFIRMED
    method, url = raw.get("method"), raw.get("url")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise _refuse(f"{BAD_FORMAT} The method of request id : {item_id} must be one of "
                      f"{', '.join(sorted(METHODS))}.")  # UNCONFIRMED
    if not isinstance(url, str) or not url.strip():
        raise _refuse(f"{BAD_FORMAT} Request id : {item_id} has no url.")  # UNCONFIRMED
    url = url.strip()
    if "://" in url or url.startswith("//"):
        raise _refuse(BAD_FORMAT)  # a url must be relative: /me, not https://graph.../v1.0/me
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in headers.items()):
        raise _refuse(f"{BAD_FORMAT} The headers of request id : {item_id} must be an object "
                      "of strings.")  # UNCONFIRMED
    depends = raw.get("dependsOn") or []
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise _refuse(f"{BAD_FORMAT} The dependsOn of request id : {item_id} must be an array "
                      "of request ids.")  # UNCONFIRMED
    method = method.upper()
    content_type = _header(headers, "Content-Type")
    if method in WRITES and (raw.get("body") is None or not content_type):
        raise _refuse(f"Write request id : {item_id} does not contain Content-Type header or "
                      "body.")
    return Item(id=item_id, method=method, url=url if url.startswith("/") else "/" + url,
                headers=dict(headers), body=_body(raw.get("body"), item_id, content_type),
                depends_on=[d.lower() for d in depends])


def _check_dependencies(items: list[Item]) -> None:
    """Every dependsOn names another request of the batch, and no chain comes back on itself."""
    known = {item.key: item for item in items}
    for item in items:
        for dependency in item.depends_on:
            if dependency not in known or dependency == item.key:
                raise _refuse(f"{BAD_FORMAT} Request id : {item.id} depends on '{dependency}', "
                              "which is not another request of this batch.")  # UNCONFIRMED
    done: set[str] = set()
    while len(done) < len(items):
        ready = [i.key for i in items if i.key not in done and set(i.depends_on) <= done]
        if not ready:
            raise _refuse(f"{BAD_FORMAT} The dependsOn of these requests form a cycle.")  # UNCONFIRMED
        done.update(ready)


def parse(body: dict) -> list[Item]:
    """The items of a batch body, checked; ``GraphFailure`` 400 refuses the whole batch."""
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise _refuse(f"{BAD_FORMAT} 'requests' must be a non-empty array.")  # UNCONFIRMED
    if len(requests) > MAX_REQUESTS:
        raise _refuse("Number of requests inside batch exceed the limit.")
    items, seen = [], set()
    for index, raw in enumerate(requests):
        item = _item(raw, index)
        if item.key in seen:
            raise _refuse(f"Request Id {item.id} has to be unique in a batch.")
        seen.add(item.key)
        items.append(item)
    _check_dependencies(items)
    return items
