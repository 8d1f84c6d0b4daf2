"""What the app does with token strings: show them decoded, mask them, encrypt them at rest.

``describe(token)`` decodes a JWT's header and claims WITHOUT checking its signature: for the
token page only, never to decide anything. Graph access tokens of personal Microsoft accounts are
not JWTs at all (Microsoft calls them opaque): they are described as "opaque", not as an error.
``CacheCipher`` encrypts the serialized MSAL cache with Fernet before it is stored.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import time

import msal
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

TIME_CLAIMS = {"exp", "nbf", "iat", "auth_time", "pwd_exp"}
LABELS = {
    "aud": "Audience", "iss": "Issuer", "sub": "Subject", "oid": "Object id (user id)",
    "tid": "Tenant id", "name": "Name", "preferred_username": "Username", "upn": "UPN",
    "unique_name": "Unique name", "email": "Email", "given_name": "Given name",
    "family_name": "Family name", "exp": "Expires", "nbf": "Not before", "iat": "Issued at",
    "auth_time": "Signed in at", "scp": "Scopes (delegated)", "roles": "Roles (app)",
    "appid": "App id", "azp": "Authorized party", "app_displayname": "App name",
    "ver": "Token version", "nonce": "Nonce", "sid": "Session id", "idtyp": "Identity type",
    "uti": "Token id (uti)", "aio": "aio (internal)", "rh": "rh (internal)",
    "typ": "Type", "alg": "Algorithm", "kid": "Key id", "x5t": "Certificate thumbprint",
}
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def _b64url_json(part: str):
    try:
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def decode_jwt(token: str | None) -> dict | None:
    """{"header", "claims"} of a JWT, unverified; None when the token is not a JWT."""
    if not token or not _JWT.match(token):
        return None
    header_part, claims_part, _ = token.split(".")
    header, claims = _b64url_json(header_part), _b64url_json(claims_part)
    if header is None or claims is None:
        return None
    return {"header": header, "claims": claims}


def _display(name: str, value, now: float) -> str:
    if name in TIME_CLAIMS and isinstance(value, (int, float)):
        when = dt.datetime.fromtimestamp(value, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        delta = int(value - now)
        ago = f"in {_duration(delta)}" if delta >= 0 else f"{_duration(-delta)} ago"
        return f"{when} ({ago})"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _rows(mapping: dict, now: float) -> list[dict]:
    return [{"name": k, "label": LABELS.get(k, k), "value": _display(k, v, now)}
            for k, v in mapping.items()]


def describe(token: str | None, now: float | None = None) -> dict:
    """A token as the token page shows it: kind (jwt, opaque, none), decoded rows, mask."""
    now = dt.datetime.now(dt.timezone.utc).timestamp() if now is None else now
    if not token:
        return {"kind": "none", "length": 0, "masked": ""}
    decoded = decode_jwt(token)
    base = {"length": len(token), "masked": mask(token)}
    if decoded is None:
        return {"kind": "opaque", **base}
    claims = decoded["claims"]
    return {"kind": "jwt", **base, "header": _rows(decoded["header"], now),
            "claims": _rows(claims, now), "exp": claims.get("exp"),
            "scopes": str(claims.get("scp") or "").split(), "roles": claims.get("roles") or []}


def mask(token: str | None, keep: int = 6) -> str:
    """The first characters of a token and its length: enough to tell two tokens apart."""
    if not token:
        return ""
    return f"{token[:keep]}{'•' * 12} ({len(token)} characters)"


class CacheCipher:
    """Fernet over the serialized cache; the first key encrypts, every key decrypts (rotation)."""

    def __init__(self, keys: list[bytes]):
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt(self, blob: str) -> str | None:
        """The plain text, or None when no key fits (key changed) or the blob is damaged."""
        try:
            return self._fernet.decrypt(blob.encode("ascii")).decode()
        except (InvalidToken, ValueError, UnicodeError):
            return None


def cached_access_token(cache, account_id: str, client_id: str, scopes: list[str],
                        margin: float) -> dict | None:
    """An access token in the MSAL ``cache`` for this account and app that covers ``scopes``
    and lives more than ``margin`` seconds: found without the vault's lock, since nothing is
    written (the lock guards refreshes, which rotate the cache). None: ask MSAL under the lock."""
    wanted = {_short(s) for s in scopes}
    now = time.time()
    for entry in cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN,
                              query={"home_account_id": account_id, "client_id": client_id}):
        held = {_short(s) for s in (entry.get("target") or "").split()}
        expires_on = int(entry.get("expires_on") or 0)
        if wanted <= held and expires_on - now > margin:
            return {"access_token": entry["secret"], "expires_in": int(expires_on - now),
                    "token_source": "cache"}
    return None


def granted_scopes(cache, account_id: str, client_id: str) -> set[str]:
    """Every Graph permission named by this account's access tokens for the app, expired ones
    included (each response lists what was granted when it was issued), as short names."""
    found: set[str] = set()
    for entry in cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN,
                              query={"home_account_id": account_id, "client_id": client_id}):
        found |= {_short(s) for s in (entry.get("target") or "").split()}
    return found


def _short(scope: str) -> str:
    """Graph's scopes as Microsoft writes them either way: Mail.Send or
    https://graph.microsoft.com/Mail.Send, in any case."""
    return scope.lower().removeprefix("https://graph.microsoft.com/")
