"""mailer.tokens: decoding for display (JWT and opaque), masking, cache encryption."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.fernet import Fernet

from mailer.identity.tokens import CacheCipher, decode_jwt, describe, mask

NOW = 1_700_000_000


def b64(obj) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(claims: dict, header: dict | None = None) -> str:
    return ".".join([b64(header or {"typ": "JWT", "alg": "RS256", "kid": "k1"}), b64(claims),
                     "c2lnbmF0dXJl"])


ACCESS = jwt({"aud": "https://graph.microsoft.com", "scp": "Mail.Send User.Read",
              "exp": NOW + 3600, "iat": NOW - 60, "oid": "u-1", "name": "Adele Vance",
              "roles": ["a", "b"], "xms_extra": {"k": 1}})


def test_decode_jwt_without_verification():
    decoded = decode_jwt(ACCESS)
    assert decoded["header"]["kid"] == "k1"
    assert decoded["claims"]["scp"] == "Mail.Send User.Read"


@pytest.mark.parametrize("token", [
    "EwA" + "x" * 200,                         # personal account Graph token: opaque
    "M.C5_BAY.abc-def_ghi",                   # opaque refresh-token-like string
    "not.a.jwt",                              # three parts, but not JSON
    b64({"typ": "JWT"}) + "." + b64(b"[1,2]") + ".sig",  # claims not an object
    b64({"typ": "JWT"}) + "." + b64({"a": 1}),             # two parts only
    "a.b.c.d.e",                              # JWE-shaped, five parts
    "",
])
def test_not_a_jwt_is_none(token):
    assert decode_jwt(token) is None


def test_describe_a_jwt_for_the_token_page():
    info = describe(ACCESS, now=NOW)
    assert info["kind"] == "jwt" and info["exp"] == NOW + 3600
    assert info["scopes"] == ["Mail.Send", "User.Read"] and info["roles"] == ["a", "b"]
    rows = {r["name"]: r for r in info["claims"]}
    assert rows["exp"]["label"] == "Expires"
    assert rows["exp"]["value"] == "2023-11-14 23:13:20 UTC (in 60 min)"
    assert rows["iat"]["value"].endswith("(60 s ago)")
    assert rows["roles"]["value"] == "a, b"
    assert rows["xms_extra"]["value"] == '{"k": 1}'  # unknown claims keep their name as label
    assert {r["name"] for r in info["header"]} == {"typ", "alg", "kid"}


def test_an_opaque_token_is_described_as_opaque_not_an_error():
    info = describe("EwA" + "q" * 300)
    assert info == {"kind": "opaque", "length": 303, "masked": info["masked"]}
    assert "q" * 20 not in info["masked"]


def test_no_token():
    assert describe(None)["kind"] == "none"


def test_mask_keeps_only_a_prefix_and_the_length():
    masked = mask(ACCESS)
    assert masked.startswith(ACCESS[:6]) and f"({len(ACCESS)} characters)" in masked
    assert ACCESS[6:30] not in masked


def test_cache_cipher_round_trip_and_key_rotation():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    blob = CacheCipher([old]).encrypt('{"RefreshToken": {"x": "secret"}}')
    assert "secret" not in blob
    rotated = CacheCipher([new, old])
    assert rotated.decrypt(blob) == '{"RefreshToken": {"x": "secret"}}'
    assert CacheCipher([new]).decrypt(rotated.encrypt("again")) == "again"


@pytest.mark.parametrize("blob", ["garbage", "gAAAAA" + "x" * 40, "ünïcode"])
def test_cache_cipher_refuses_a_blob_it_cannot_read(blob):
    assert CacheCipher([Fernet.generate_key()]).decrypt(blob) is None


def test_cache_cipher_with_the_wrong_key():
    blob = CacheCipher([Fernet.generate_key()]).encrypt("x")
    assert CacheCipher([Fernet.generate_key()]).decrypt(blob) is None
