"""Scope parsing and normalisation, as the identity platform v2.0 does it.

A ``scope`` parameter is a space-separated list mixing OpenID Connect scopes (``openid``,
``profile``, ``email``, ``offline_access``) with permissions of one resource. Graph is the only
resource this emulator knows: ``User.Read``, ``https://graph.microsoft.com/User.Read`` and
``00000003-0000-0000-c000-000000000000/User.Read`` all mean the same permission, compared
case-insensitively and echoed back fully qualified in Microsoft's own casing. ``/.default``
means "what was already granted" and cannot be combined with named permissions. A resource
other than Graph is answered with AADSTS500011, as Microsoft answers an unknown resource.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..directory import GRAPH_APP_ID, GRAPH_RESOURCE

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
DEFAULT = ".default"

# The OIDC scopes, in the words Microsoft's consent page uses.
OIDC_WORDS = {
    "openid": "Sign you in",
    "profile": "View your basic profile",
    "email": "View your email address",
    "offline_access": "Maintain access to data you have given it access to",
}


@dataclass(frozen=True)
class Permission:
    name: str  # Microsoft's casing, e.g. "Mail.Send"
    words: str  # the user-consent description shown on the consent page
    admin_only: bool = False  # needs an administrator's consent (users cannot grant it)


# Graph delegated permissions an app of this kind may ask for (user-consent wording from Graph's
# permission reference). Anything else is answered as an invalid scope.
_CATALOGUE = [
    Permission("User.Read", "Sign you in and read your profile"),
    Permission("User.ReadBasic.All", "Read all users' basic profiles"),
    Permission("User.Read.All", "Read all users' full profiles", admin_only=True),
    Permission("Mail.Read", "Read your mail"),
    Permission("Mail.ReadBasic", "Read basic mail"),
    Permission("Mail.ReadWrite", "Read and write access to your mail"),
    Permission("Mail.Send", "Send mail as you"),
    Permission("Mail.Read.Shared", "Read mail you can access"),
    Permission("Mail.ReadWrite.Shared", "Read and write mail you can access"),
    Permission("Mail.Send.Shared", "Send mail on behalf of others or yourself"),
    Permission("MailboxSettings.Read", "Read your mailbox settings"),
    Permission("MailboxSettings.ReadWrite", "Read and write to your mailbox settings"),
    Permission("Contacts.Read", "Read your contacts"),
    Permission("People.Read", "Read your relevant people list"),
    Permission("Calendars.Read", "Read your calendars"),
    Permission("Files.Read", "Read your files"),
]
GRAPH_PERMISSIONS = {p.name.lower(): p for p in _CATALOGUE}
_GRAPH_PREFIXES = (GRAPH_RESOURCE.lower() + "/", GRAPH_APP_ID + "/")


class ScopeError(Exception):
    """A scope value Microsoft would refuse: ``error``, AADSTS ``code`` and its ``message``."""

    def __init__(self, error: str, code: int, message: str):
        super().__init__(message)
        self.error, self.code, self.message = error, code, message


@dataclass(frozen=True)
class Scopes:
    """A parsed scope parameter: the OIDC scopes asked for and the Graph permissions."""

    oidc: frozenset[str]
    graph: frozenset[str]  # Microsoft's casing, e.g. {"Mail.Send", "User.Read"}
    default: bool = False  # https://graph.microsoft.com/.default
    spelling: tuple[tuple[str, str], ...] = ()  # (name, as the client wrote it)

    @property
    def spelled(self) -> dict[str, str]:
        return dict(self.spelling)

    @property
    def offline(self) -> bool:
        return "offline_access" in self.oidc

    @property
    def openid(self) -> bool:
        return "openid" in self.oidc

    def names(self) -> set[str]:
        """Short names of everything asked for (what consent is recorded under)."""
        return set(self.oidc) | set(self.graph)


def parse(raw: str | None, *, required: bool = True) -> Scopes:
    """Parse a scope parameter; ScopeError with Microsoft's code when it is not acceptable."""
    items = (raw or "").split()
    if not items:
        if required:
            raise ScopeError("invalid_request", 900144,
                             "The request body must contain the following parameter: 'scope'.")
        return Scopes(frozenset(), frozenset())
    oidc: set[str] = set()
    graph: set[str] = set()
    spelled: dict[str, str] = {}
    default = False
    for item in items:
        lowered = item.lower()
        if lowered in OIDC_SCOPES:
            oidc.add(lowered)
            continue
        name = _graph_name(item)
        if name == DEFAULT:
            default = True
            spelled[DEFAULT] = item
            continue
        permission = GRAPH_PERMISSIONS.get(name.lower())
        if permission is None:
            raise ScopeError("invalid_scope", 70011, invalid_scope_message(item))
        graph.add(permission.name)
        spelled.setdefault(permission.name, item)
    if default and graph:
        # .default asks for everything already granted: it cannot be mixed with named permissions.
        raise ScopeError("invalid_scope", 70011, invalid_scope_message(raw or ""))
    return Scopes(frozenset(oidc), frozenset(graph), default, tuple(sorted(spelled.items())))


def _graph_name(item: str) -> str:
    """The permission name of a Graph scope in any of its spellings; ScopeError otherwise."""
    lowered = item.lower()
    for prefix in _GRAPH_PREFIXES:
        if lowered.startswith(prefix):
            return item[len(prefix):]
    if "://" in item or "/" in item:
        resource = item.rsplit("/", 1)[0]
        raise ScopeError(
            "invalid_resource", 500011,
            f"The resource principal named {resource} was not found in the tenant. This can "
            "happen if the application has not been installed by the administrator of the "
            "tenant or consented to by any user in the tenant. You might have sent your "
            "authentication request to the wrong tenant.")
    if item == DEFAULT or item.startswith("."):
        raise ScopeError("invalid_scope", 70011, invalid_scope_message(item))
    return item  # a bare name means a Graph permission, as Microsoft reads it


def invalid_scope_message(value: str) -> str:
    return (f"The provided value for the input parameter 'scope' is not valid. "
            f"The scope '{value}' is not valid.")


def qualified(name: str) -> str:
    """``User.Read`` → ``https://graph.microsoft.com/User.Read``."""
    return f"{GRAPH_RESOURCE}/{name}"


def response_scope(oidc, graph, spelled: dict[str, str] | None = None) -> str:
    """The ``scope`` of a token response: OIDC scopes, then the Graph permissions granted.

    ``offline_access`` is never echoed (recorded responses never carry it); the order follows
    the recordings (``openid profile email https://graph.microsoft.com/...``). A permission the
    client asked for is echoed as the client spelled it: MSAL keys cached access tokens on this
    string, so ``User.Read`` must come back as ``User.Read`` for a later silent call to find it.
    Other granted permissions, and those behind ``/.default``, come back fully qualified.
    """
    spelled = spelled or {}
    parts = [s for s in ("openid", "profile", "email") if s in oidc]
    parts += [spelled.get(name) or qualified(name) for name in sorted(graph, key=str.lower)]
    return " ".join(parts)


def describe(names: set[str]) -> list[str]:
    """Plain-words lines for a consent page, permissions first, sign-in scopes last."""
    lines = [GRAPH_PERMISSIONS[n.lower()].words for n in sorted(names, key=str.lower)
             if n.lower() in GRAPH_PERMISSIONS]
    for scope in ("openid", "profile", "email", "offline_access"):
        words = OIDC_WORDS[scope]
        # "Sign you in and read your profile" already says "Sign you in".
        if scope in names and not any(line.startswith(words) for line in lines):
            lines.append(words)
    return lines


def admin_only(names: set[str]) -> list[str]:
    return sorted(n for n in names if GRAPH_PERMISSIONS.get(n.lower(), Permission(n, "")).admin_only)
