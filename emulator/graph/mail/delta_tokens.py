"""Delta state tokens: ``$skiptoken`` (more pages of this round) and ``$deltatoken`` (the next
round), opaque to clients as Graph's are, and carrying the query options of the first request
("Microsoft Graph automatically encodes any specified parameters into the token").

A token is base64url JSON plus an HMAC keyed by the demo app's secret, which the state folder
keeps: tokens stay valid across restarts and cannot be forged or edited. What it holds:

    u, f, e   the mailbox (user id), the folder (id) and the mailbox's change-log epoch
    s         the sequence number the round started from (the changes after it are reported)
    o         options: sel ($select), ct (changeType), top ($top), ge/gt ($filter bound), ps
    k         skip tokens only: "i" (initial round: a cursor through the folder) or "c"
    c, n, w   cursor (received time, sequence) and what is left of $top (initial); or
              window end (changes round: the pages report the changes in (s, w])
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from ..common import GraphFailure


def _key(secret: str) -> bytes:
    return hashlib.sha256(f"delta-state-token:{secret}".encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(secret: str, payload: dict) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:18])
    return f"{body}.{mac}"


def invalid() -> GraphFailure:
    # 410 with SyncStateInvalid: what clients report from Exchange for a token it cannot read
    # (e.g. alcionai/corso, ruby_outlook). Status, code and wording UNCONFIRMED in the docs.
    return GraphFailure(410, "SyncStateInvalid", "The sync state is not valid.")


def not_found(generation: int | str, restart: str | None = None) -> GraphFailure:
    """An expired token: the code and wording as observed from Graph (410 Gone, "SyncStateNotFound",
    microsoft-graph-docs #2350); the docs name the code syncStateNotFound and a 40X status.
    ``restart``: the initial delta URL, sent as ``Location`` as the docs' "synchronization
    reset" describes for a 410 (that an expired token carries it too is UNCONFIRMED)."""
    return GraphFailure(410, "SyncStateNotFound",
                        f"The sync state generation is not found; generation={generation}.",
                        {"Location": restart} if restart else None)


def decode(secret: str, token: str) -> dict:
    """The payload of a token this emulator issued, or Graph's 410 for anything else."""
    body, _, mac = (token or "").partition(".")
    try:
        expected = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:18])
        if not body or not hmac.compare_digest(mac, expected):
            raise ValueError("signature")
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeError):
        raise invalid() from None
    if not isinstance(payload, dict) or not {"u", "f", "e", "s", "o"} <= set(payload):
        raise invalid()
    return payload
