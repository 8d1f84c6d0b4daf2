"""Outlook's throttling of Graph requests per app and mailbox (graph/request_throttling.py).

Concurrency is provoked with injected latency; the 10-minute window is crossed by moving the
mail clock (``/_emulator/clock``), never slept through.
"""
from __future__ import annotations

import threading
import time

import pytest

from mailer.graph.http import build_session

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"


def _together(emu, calls: list[tuple[str, str]]) -> list:
    """GETs (token, path) started together, each on its own connection; their responses."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, token, path):
        session = build_session(str(emu.ca_file))
        try:
            barrier.wait()
            results[index] = session.get(f"{emu.api_url}/v1.0{path}", timeout=30,
                                         headers={"Authorization": f"Bearer {token}"})
        finally:
            session.close()
    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def slow(emu, https):
    """slow(path_regex, count): the next ``count`` requests to it take 600 ms (faults API)."""
    def add(path: str, count: int):
        rule = {"path": path, "method": "GET", "latency_ms": 600, "count": count}
        assert https.post(f"{emu.api_url}/_emulator/faults", json=rule,
                          timeout=10).status_code == 201
    return add


@pytest.mark.parametrize("limit", [4, 2])
def test_mailbox_concurrency(emu, graph_api, graph_token, set_limits, slow, limit):
    if limit != 4:
        set_limits(concurrent_per_mailbox=limit)
    slow("/messages$", limit + 1)
    results = _together(emu, [(graph_token(), "/me/messages")] * (limit + 1))
    refused = [r for r in results if r.status_code == 429]
    assert sorted(r.status_code for r in results) == [200] * limit + [429]
    error = refused[0].json()["error"]
    assert (error["code"], error["message"]) == (
        "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
    assert refused[0].headers["Retry-After"] == "1"
    assert graph_api.get("/me/messages").status_code == 200  # the slots were given back


def test_concurrency_is_per_mailbox(emu, graph_token, set_limits, slow):
    set_limits(concurrent_per_mailbox=1)
    slow("/messages$", 2)
    results = _together(emu, [(graph_token(), "/me/messages"),
                              (graph_token(MEGAN), "/me/messages")])
    assert [r.status_code for r in results] == [200, 200]
    # The same mailbox reached by /me and by /users/{upn} shares its slots.
    slow("/messages$", 2)
    results = _together(emu, [(graph_token(), "/me/messages"),
                              (graph_token(), f"/users/{ADELE}/messages")])
    assert sorted(r.status_code for r in results) == [200, 429]


def test_requests_per_ten_minutes(graph_api, graph_token, set_limits, move_clock):
    set_limits(requests_per_10_minutes=5)
    started = time.monotonic()
    for _ in range(5):
        assert graph_api.get("/me/messages").status_code == 200
    refused = graph_api.get("/me/mailFolders")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "ApplicationThrottled"
    retry_after = int(refused.headers["Retry-After"])
    assert 600 - (time.monotonic() - started) - 1 <= retry_after <= 600
    assert graph_api.as_(graph_token(MEGAN)).get("/me/messages").status_code == 200
    move_clock(retry_after)
    assert graph_api.get("/me/messages").status_code == 200
