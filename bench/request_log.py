"""Counting Graph calls on the emulator's side, from its own request log (bench_pages.py).

Werkzeug writes one line per HTTP request; the emulator writes one ``batch item "GET /v1.0/..."
200`` line per request it ran inside a ``$batch``. A marker request (``/_emulator/health?mark=N``)
before and after a page brackets the lines the page caused. Nothing in the app is changed or
hooked to count them. A round trip is an HTTP request to ``/v1.0``; a Graph request is one Graph
processes: a direct one, or an item of a batch (the batch itself is not one).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

LINE = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.[01]"')
ITEM = re.compile(r'batch item "(GET|POST|PUT|PATCH|DELETE) (\S+)" \d+')
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ID = re.compile(r"^(AAMk[\w=%-]*|[0-9a-f-]{32,36}|[A-Za-z0-9_=%-]{40,})$")
BATCH = "/v1.0/$batch"


class RequestLog:
    """The emulator's request log, read between marker requests."""

    def __init__(self, path: Path, https, api_url: str):
        self.file, self.https, self.api_url, self.n = path.open("r", errors="replace"), https, \
            api_url, 0

    def mark(self) -> list[tuple[str, str, str]]:
        """(kind, method, path) of every request logged since the last mark, this mark
        excluded; kind is "item" for a request run inside a batch, else "http"."""
        self.n += 1
        marker = f"mark={self.n}"
        self.https.get(f"{self.api_url}/_emulator/health", params={"mark": self.n}, timeout=10)
        found, deadline = [], time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.file.readline()
            if not line:
                time.sleep(0.002)
                continue
            line = ANSI.sub("", line)
            if hit := ITEM.search(line):
                found.append(("item", hit.group(1), hit.group(2)))
            elif hit := LINE.search(line):
                if marker in hit.group(2) and "/_emulator/health" in hit.group(2):
                    return found
                found.append(("http", hit.group(1), hit.group(2)))
        raise RuntimeError("the emulator's log never showed the marker")

    def close(self) -> None:
        self.file.close()


def shape(method: str, path: str) -> str:
    """``GET /me/messages/{id}?$select,$top``: ids out, query names kept, values dropped."""
    path, _, query = path.partition("?")
    path = path.removeprefix("/v1.0")
    path = "/".join("{id}" if ID.match(part) else part for part in path.split("/"))
    names = ",".join(sorted(p.split("=", 1)[0] for p in query.split("&") if p))
    return f"{method} {path}" + (f"?{names}" if names else "")


def kind(entry: tuple[str, str, str]) -> str:
    """"trip" (an HTTP request to Graph), "call" (a Graph request inside a batch), "token"
    (MSAL at the token endpoint) or "other"."""
    how, _, path = entry
    if how == "item":
        return "call"
    if path.startswith("/v1.0/"):
        return "trip"
    if "/oauth2/v2.0/token" in path:
        return "token"
    return "other"


def counts(entries: list[tuple[str, str, str]]) -> tuple[int, int, int]:
    """(Graph requests, round trips to Graph, token calls) of one page."""
    trips = [e for e in entries if kind(e) == "trip"]
    calls = [e for e in entries if kind(e) == "call"]
    direct = [e for e in trips if e[2].split("?")[0] != BATCH]
    return len(direct) + len(calls), len(trips), sum(kind(e) == "token" for e in entries)
