"""App-only tokens: MSAL's client-credentials flow for Microsoft Graph (``/.default``).

The token carries the application permissions an admin consented to (Mail.Send, Mail.Read...)
as its ``roles``; it is good for any mailbox of the tenant, which is why AUTOMATION_SENDERS
fences what this app does with it (and Exchange's application access policy what Graph allows).
Client credentials need a named tenant: ``/common`` or ``/organizations`` are refused.
"""
from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

import msal
import requests
from msal.exceptions import MsalError


GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
MICROSOFT_HOSTS = {"login.microsoftonline.com"}


def tenant_authority(authority: str, tenant: str | None) -> str:
    """AUTHORITY with its tenant segment replaced by ``tenant`` (an id or a verified domain)."""
    if not tenant:
        raise TokenUnavailable("app-only sending needs a tenant: set AUTOMATION_TENANT (its id "
                               "or domain) or AUTOMATION_SENDERS")
    parts = urlsplit(authority)
    segments = [s for s in parts.path.split("/") if s]
    path = "/".join(segments[:-1] + [tenant]) if segments else tenant
    return urlunsplit((parts.scheme, parts.netloc, "/" + path, "", ""))


class AppTokens:
    """A token provider for GraphClient: ``tokens()`` returns a bearer token, app-only.

    MSAL keeps the token in its in-memory cache and fetches a new one shortly before expiry;
    one provider serves every thread of a worker (MSAL's cache is locked; the lock here only
    keeps two threads from asking the token endpoint at the same moment).
    """

    def __init__(self, client_id: str, client_secret: str, authority: str,
                 http: requests.Session, timeout: float):
        host = urlsplit(authority).hostname
        self._lock = threading.Lock()
        self._args = dict(client_credential=client_secret, authority=authority,
                          http_client=http, timeout=timeout,
                          instance_discovery=None if host in MICROSOFT_HOSTS else False)
        self._client_id = client_id
        self._app: msal.ConfidentialClientApplication | None = None

    def __call__(self) -> str:
        with self._lock:
            try:
                if self._app is None:  # built on first use: it reads the authority's metadata
                    self._app = msal.ConfidentialClientApplication(self._client_id, **self._args)
                result = self._app.acquire_token_for_client([GRAPH_DEFAULT_SCOPE])
            except (requests.RequestException, MsalError, ValueError) as exc:
                raise TokenUnavailable(f"the sign-in service did not answer ({exc})") from None
        if "access_token" not in result:
            description = str(result.get("error_description") or "").splitlines()[0:1]
            raise TokenUnavailable(f"{result.get('error')}: {' '.join(description)}")
        return result["access_token"]


class TokenUnavailable(Exception):
    """No app-only token: the sign-in service refused or could not be reached."""
