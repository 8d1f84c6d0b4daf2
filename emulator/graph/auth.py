"""Who is calling Graph, and may they touch this mailbox.

``authenticate()`` turns the bearer token into a ``Caller`` (delegated: the signed-in user and
``scp``; app-only: ``roles``), or raises ``GraphFailure`` with Graph's 401. ``Caller.require``
checks a permission group the way Graph does (any one of the listed delegated scopes or app roles),
and ``resolve_mailbox`` maps ``/me`` or ``/users/{id|upn}`` to a directory user, enforcing Full
Access (and the ``.Shared`` scopes) when a delegated caller reaches into someone else's mailbox.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import request

from ..directory import FULL_ACCESS, User
from ..state import get_state
from ..identity.tokens import InvalidToken
from .common import VALIDATED_CLAIMS, GraphFailure

logger = logging.getLogger(__name__)

ACCESS_DENIED = ("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
DIRECTORY_DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

_PROFILE_ALL = {"user.readbasic.all", "user.read.all", "user.readwrite.all", "directory.read.all",
                "directory.readwrite.all", "directory.accessasuser.all"}
# Permission groups: (delegated scopes for one's own mailbox, for a shared one, app roles).
PERMISSIONS = {
    "profile": ({"user.read", "user.readwrite"} | _PROFILE_ALL, _PROFILE_ALL,
                {"user.read.all", "user.readwrite.all", "directory.read.all",
                 "directory.readwrite.all"}),
    "send": ({"mail.send"}, {"mail.send.shared"}, {"mail.send"}),
    "write": ({"mail.readwrite"}, {"mail.readwrite.shared"}, {"mail.readwrite"}),
    "read": ({"mail.read", "mail.readwrite"},
             {"mail.read.shared", "mail.readwrite.shared"}, {"mail.read", "mail.readwrite"}),
    "folders": ({"mail.readbasic", "mail.read", "mail.readwrite"},
                {"mail.read.shared", "mail.readwrite.shared"},
                {"mail.readbasic.all", "mail.read", "mail.readwrite"}),
}


@dataclass
class Caller:
    claims: dict
    user: User | None  # the signed-in user; None for an app-only token
    grants: set[str] = field(default_factory=set)  # lowercased scp entries or app roles

    @property
    def app_only(self) -> bool:
        return self.user is None

    @property
    def tenant_id(self) -> str:
        return self.claims.get("tid", "")

    def has(self, group: str, shared: bool = False) -> bool:
        own, other, roles = PERMISSIONS[group]
        if self.app_only:
            return bool(self.grants & roles)
        return bool(self.grants & (other if shared else own))

    def require(self, group: str, shared: bool = False, denied=ACCESS_DENIED) -> None:
        if not self.has(group, shared):
            raise GraphFailure(403, *denied)


def authenticate() -> Caller:
    """The caller of this request, or Graph's 401 InvalidAuthenticationToken."""
    state = get_state()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if header and scheme.lower() != "bearer":
        token = header.strip()  # Graph tries to parse whatever came, and says so
    try:
        claims = request.environ.get(VALIDATED_CLAIMS) \
            or state.tokens.validate_access_token(token.strip())
    except InvalidToken as exc:
        raise GraphFailure(401, "InvalidAuthenticationToken", exc.message,
                           {"WWW-Authenticate": www_authenticate()}) from None
    user = None
    if claims.get("idtyp") != "app" and "scp" in claims:
        user = state.directory.user(claims.get("oid", ""))
        if user is None:
            raise GraphFailure(401, "InvalidAuthenticationToken",
                               "Access token validation failure.",
                               {"WWW-Authenticate": www_authenticate()})
        grants = {s.lower() for s in str(claims.get("scp", "")).split()}
    else:
        grants = {r.lower() for r in claims.get("roles", [])}
    return Caller(claims=claims, user=user, grants=grants)


def www_authenticate() -> str:
    """Graph's challenge; the authorization_uri names this emulator's authority, not Azure's."""
    authority = get_state().urls.api
    return (f'Bearer realm="", authorization_uri="{authority}/common/oauth2/authorize", '
            f'client_id="00000003-0000-0000-c000-000000000000"')


def resolve_user(caller: Caller, ref: str | None, not_found: tuple[str, str] | None = None) -> User:
    """``/me`` (None) or ``/users/{ref}`` as a directory user in the caller's tenant."""
    if ref is None:
        if caller.app_only:
            raise GraphFailure(400, "BadRequest",
                               "/me request is only valid with delegated authentication flow.")
        return caller.user
    user = get_state().directory.user(ref)
    if user is None or user.tenant_id != caller.tenant_id:
        code, message = not_found or ("ErrorInvalidUser", f"The requested user '{ref}' is invalid.")
        raise GraphFailure(404, code, message)
    return user


def resolve_mailbox(caller: Caller, ref: str | None, group: str) -> tuple[User, bool]:
    """The mailbox owner for a mail call, and whether it is someone else's (shared access).

    A delegated caller reaching another mailbox needs the ``.Shared`` scope and Full Access.
    """
    owner = resolve_user(caller, ref)
    if not owner.has_mailbox:
        raise GraphFailure(404, "MailboxNotEnabledForRESTAPI",  # 404: UNCONFIRMED (facts §5)
                           "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
    shared = not caller.app_only and owner.id != caller.user.id
    caller.require(group, shared=shared)
    if shared and FULL_ACCESS not in get_state().directory.rights(caller.user.id, owner.id):
        raise GraphFailure(403, *ACCESS_DENIED)
    return owner, shared
