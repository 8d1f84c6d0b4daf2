"""Signing keys, id tokens and Graph access tokens, built with joserfc.

Work and school accounts get JWT access tokens shaped like Graph's v1 tokens (``aud`` Graph,
``iss`` ``https://sts.windows.net/{tid}/``, ``scp`` or ``roles``, ``oid``, ``tid``, ``upn``).
Personal accounts get an opaque access token, as Microsoft issues them: clients must not try to
decode it. Both are checked by ``TokenService.validate_access_token``, which Graph calls.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from ..directory import CONSUMERS_TENANT_ID, GRAPH_APP_ID, GRAPH_RESOURCE, User

SIGNING_KEY_FILE = "signing-key.json"
SIGNING_CERT_FILE = "signing-cert.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def client_info(user: User) -> str:
    """MSAL's client_info: unpadded base64url JSON of {uid, utid}."""
    return b64url(json.dumps({"uid": user.id, "utid": user.tenant_id}).encode())


def issuer_for(base_url: str, tenant_id: str) -> str:
    return f"{base_url}/{tenant_id}/v2.0"


class InvalidToken(Exception):
    """A Graph access token was rejected; ``message`` is Graph's own wording."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class SigningKey:
    key: RSAKey
    kid: str
    x5t: str
    x5c: str

    @classmethod
    def load_or_create(cls, state_dir: str | Path) -> "SigningKey":
        state = Path(state_dir)
        key_path, cert_path = state / SIGNING_KEY_FILE, state / SIGNING_CERT_FILE
        if key_path.exists() and cert_path.exists():
            key = RSAKey.import_key(json.loads(key_path.read_text()))
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        else:
            state.mkdir(parents=True, exist_ok=True)
            key = RSAKey.generate_key(2048, private=True)
            cert = _self_signed(key)
            key_path.write_text(json.dumps(key.as_dict(private=True)))
            key_path.chmod(0o600)
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        der = cert.public_bytes(serialization.Encoding.DER)
        # Azure's kid and x5t are both the base64url SHA-1 thumbprint of the certificate.
        x5t = b64url(hashlib.sha1(der).digest())
        return cls(key=key, kid=x5t, x5t=x5t, x5c=base64.b64encode(der).decode())

    def jwk(self, issuer: str) -> dict:
        public = self.key.as_dict(private=False)
        return {
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.x5t,
            "n": public["n"], "e": public["e"], "x5c": [self.x5c], "issuer": issuer,
        }


def _self_signed(key: RSAKey) -> x509.Certificate:
    private = key.private_key
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.emulator.local")])
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(private, hashes.SHA256())
    )


class TokenService:
    """Issues and checks tokens. Access-token lifetime is configurable so refresh can be tested."""

    def __init__(self, signing_key: SigningKey, base_url: str,
                 access_token_lifetime: int | None = None):
        self.signing_key = signing_key
        self.base_url = base_url  # https://127.0.0.1:5001, the identity authority's origin
        # None: 60 to 90 minutes, picked at random per token, as Microsoft does.
        self.access_token_lifetime = access_token_lifetime
        self._opaque: dict[str, dict] = {}
        self._lock = threading.Lock()

    def lifetime(self) -> int:
        if self.access_token_lifetime is not None:
            return self.access_token_lifetime
        return 3600 + secrets.randbelow(1800)

    def _sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "kid": self.signing_key.kid,
                  "x5t": self.signing_key.x5t}
        return jwt.encode(header, claims, self.signing_key.key)

    def id_token(self, user: User, client_id: str, nonce: str | None, scopes: set[str],
                 auth_time: int | None = None, session_id: str | None = None,
                 roles: list[str] | None = None) -> str:
        now = int(time.time())
        claims = {
            "ver": "2.0",
            "iss": issuer_for(self.base_url, user.tenant_id),
            "sub": b64url(hashlib.sha256(f"{user.id}:{client_id}".encode()).digest()),
            "aud": client_id,
            "exp": now + 3600,
            "iat": now,
            "nbf": now,
            "oid": user.id,
            "tid": user.tenant_id,
            "uti": b64url(secrets.token_bytes(16)),
            "rh": "0." + b64url(secrets.token_bytes(24)),
            "aio": b64url(secrets.token_bytes(36)),
        }
        if auth_time is not None:
            claims["auth_time"] = auth_time
        if nonce is not None:
            claims["nonce"] = nonce
        if session_id:
            claims["sid"] = session_id
        if roles:  # app roles assigned to the user (app-roles docs: a string array)
            claims["roles"] = list(roles)
        if "profile" in scopes:
            claims["name"] = user.display_name
            claims["preferred_username"] = user.user_principal_name
        if "email" in scopes and user.mail:
            claims["email"] = user.mail
        return self._sign(claims)

    def access_token(self, client_id: str, tenant_id: str, lifetime: int,
                     user: User | None = None, scopes: list[str] | None = None,
                     roles: list[str] | None = None) -> str:
        """A Graph access token: delegated (user + scp) or app-only (roles)."""
        now = int(time.time())
        claims = {
            "aud": GRAPH_RESOURCE,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now, "nbf": now, "exp": now + lifetime,
            "app_displayname": "Mail sender",
            "appid": client_id, "azp": client_id, "tid": tenant_id, "ver": "1.0",
            "uti": b64url(secrets.token_bytes(16)),
            "idtyp": "user" if user else "app",
        }
        if user is not None:
            claims.update({
                "oid": user.id, "sub": b64url(hashlib.sha256(user.id.encode()).digest()),
                "name": user.display_name, "upn": user.user_principal_name,
                "unique_name": user.user_principal_name,
                "given_name": user.given_name, "family_name": user.surname,
                "scp": " ".join(scopes or []),
            })
        else:
            claims.update({"oid": str(uuid.uuid5(uuid.NAMESPACE_URL, client_id)),
                           "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, client_id))})
            if roles:  # nothing granted: no roles claim at all (client credentials docs)
                claims["roles"] = list(roles)
        if user is not None and user.tenant_id == CONSUMERS_TENANT_ID:
            # Personal accounts: an opaque token. Graph (this emulator) keeps its meaning.
            token = "EwA" + b64url(secrets.token_bytes(96))
            with self._lock:
                self._opaque[token] = claims
            return token
        return self._sign(claims)

    def validate_access_token(self, token: str) -> dict:
        """The claims of a valid Graph access token; InvalidToken with Graph's message otherwise."""
        if not token:
            raise InvalidToken("Access token is empty.")
        with self._lock:
            claims = self._opaque.get(token)
        if claims is None:
            if token.count(".") != 2:
                raise InvalidToken("CompactToken parsing failed with error code: 80049217")
            try:
                decoded = jwt.decode(token, self.signing_key.key, algorithms=["RS256"])
            except (JoseError, ValueError):
                raise InvalidToken("Access token validation failure.") from None
            claims = decoded.claims
            if claims.get("aud") not in (GRAPH_RESOURCE, GRAPH_RESOURCE + "/", GRAPH_APP_ID):
                raise InvalidToken("Access token validation failure. Invalid audience.")
        now = time.time()
        if claims.get("exp", 0) <= now or claims.get("nbf", 0) > now + 300:
            raise InvalidToken("Access token has expired or is not yet valid.")
        return claims
