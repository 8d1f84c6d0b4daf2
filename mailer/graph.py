"""GraphClient: the app's only way to talk to Microsoft Graph. Knows nothing of Flask.

It is given a base URL (``GRAPH_ENDPOINT``), a token provider (a callable returning a bearer
token) and a requests.Session; every failure surfaces as one ``GraphError``.
"""
from __future__ import annotations

import logging
from typing import Callable

import requests

logger = logging.getLogger(__name__)


class GraphError(Exception):
    """A failed Graph call, parsed from Graph's error body."""

    def __init__(self, status: int, code: str, message: str, request_id: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.request_id = status, code, message, request_id

    @classmethod
    def from_response(cls, response: requests.Response) -> "GraphError":
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        return cls(response.status_code, error.get("code") or f"HTTP{response.status_code}",
                   error.get("message") or response.reason or "",
                   response.headers.get("request-id"))


class GraphClient:
    def __init__(self, base_url: str, token_provider: Callable[[], str],
                 session: requests.Session, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.token_provider = token_provider
        self.session = session
        self.timeout = timeout

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"Bearer {self.token_provider()}"
        url = path if path.startswith("https://") else f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, headers=headers,
                                            timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise GraphError(0, "NetworkError", f"Could not reach Microsoft Graph: {exc}") from exc
        if response.status_code >= 400:
            raise GraphError.from_response(response)
        return response

    def me(self) -> dict:
        """GET /me: the signed-in user's profile (default property set)."""
        return self._request("GET", "/me").json()
