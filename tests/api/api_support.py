"""Names and helpers of the API tests (conftest.py holds the fixtures)."""
from __future__ import annotations

import re
import time

ADELE, ALEX, MEGAN = "adele@contoso.example", "alex@contoso.example", "megan@contoso.example"
SALES, ADMIN = "sales@contoso.example", "admin@contoso.example"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MB = 1024 * 1024


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def error_of(response, status: int) -> dict:
    """The body's error object, after checking the status and the one JSON shape."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field", "graph_code"}, body
    return body["error"]


def wait_for_state(http, url: str, key: str, states: tuple, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(url, headers=bearer(key), timeout=10).json()
        if job.get("state") in states or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)
