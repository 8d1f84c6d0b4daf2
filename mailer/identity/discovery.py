"""Where a browser goes for the identity platform: the origin of the authority's
``authorization_endpoint``, read from its OpenID Connect discovery document, as MSAL builds the
sign-in URL. Microsoft serves the API and the pages on one origin; the local emulator serves its
pages on plain HTTP and its API on HTTPS with its own CA, so a browser URL built from the
authority itself would meet a certificate warning (the admin-consent page, say)."""
from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import requests

logger = logging.getLogger(__name__)
KEEP = 3600.0  # seconds a discovered origin is reused
_known: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def browser_origin(authority: str, http: requests.Session, timeout: float = 10.0) -> str:
    """``scheme://host[:port]`` browsers use for ``authority`` (its own origin when its
    discovery document cannot be read: the browser then meets the real error itself)."""
    parts = urlsplit(authority)
    fallback = f"{parts.scheme}://{parts.netloc}"
    with _lock:
        found = _known.get(authority)
    if found and time.monotonic() - found[0] < KEEP:
        return found[1]
    url = f"{authority.rstrip('/')}/v2.0/.well-known/openid-configuration"
    try:
        response = http.get(url, timeout=timeout)
        response.raise_for_status()
        endpoint = urlsplit(response.json().get("authorization_endpoint") or "")
    except (requests.RequestException, ValueError, AttributeError) as exc:
        logger.info("discovery of %s unreadable (%s): browser URLs use its own origin",
                    authority, type(exc).__name__)
        return fallback
    if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
        return fallback
    origin = f"{endpoint.scheme}://{endpoint.netloc}"
    with _lock:
        _known[authority] = (time.monotonic(), origin)
    return origin


def browser_url(authority: str, path: str, http: requests.Session, timeout: float = 10.0) -> str:
    """``authority`` + ``path`` on the origin browsers use (``path`` starts with /)."""
    parts = urlsplit(authority)
    origin = urlsplit(browser_origin(authority, http, timeout))
    return urlunsplit((origin.scheme, origin.netloc, parts.path.rstrip("/") + path, "", ""))
