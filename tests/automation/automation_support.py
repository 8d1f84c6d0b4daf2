"""Names and helpers of the automation tests (conftest.py holds the fixtures)."""
from __future__ import annotations

import time
from pathlib import Path

from mailer.delivery.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
ADELE, ALEX, MEGAN, PATTI = ("adele@contoso.example", "alex@contoso.example",
                             "megan@contoso.example", "patti@contoso.example")
SALES = "sales@contoso.example"


def inbox_subjects(rt: Runtime, upn: str, prefix: str) -> list[str]:
    """Every subject starting with ``prefix`` in the mailbox's Inbox (app-only, all pages)."""
    client, found = rt.app_graph(), []
    url, params = f"/users/{upn}/mailFolders/inbox/messages", {"$top": "100", "$select": "subject"}
    while url:
        body = client._request("GET", url, params=params).json()
        found += [m["subject"] for m in body["value"] if m["subject"].startswith(prefix)]
        url, params = body.get("@odata.nextLink"), None
    return found


def wait_until(predicate, timeout: float, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()
