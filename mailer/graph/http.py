"""The one place HTTP sessions are built, for MSAL and for Graph.

These machines export REQUESTS_CA_BUNDLE / SSL_CERT_FILE, and requests lets those override
``Session.verify`` (psf/requests#3829). So a session that must trust a specific CA (the local
emulator's, in demo mode) turns ``trust_env`` off; with no CA file the system roots are used.
"""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


def build_session(ca_file: str | None = None, pool_size: int = 10) -> requests.Session:
    """A requests.Session trusting ``ca_file`` only (if given), with a connection pool."""
    session = requests.Session()
    if ca_file:
        session.trust_env = False  # else REQUESTS_CA_BUNDLE silently wins over verify=
        session.verify = ca_file
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
