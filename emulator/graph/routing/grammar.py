"""Graph's URL grammar, matched the way Graph matches it: segment names case-insensitively.

Flask's router is case-sensitive and knows nothing of OData key syntax, yet real clients send
``/me/sendmail``, ``/Users('id')/Messages('id')/Attachments('id')/$value`` and
``/me/microsoft.graph.sendMail``. ``Router`` splits a path into segments (``name('key')`` becomes
two segments, a ``microsoft.graph.`` prefix is dropped) and matches them against patterns such as
``messages/{message_id}/attachments``; literal segments compare case-insensitively, ``{x}``
captures the segment as sent (ids are case-sensitive). An optional ``Fallback`` knows Graph's
own URL space: it keeps a capture from taking a segment Graph reads as a name (``messages/delta``
is a function, not a message id) and takes the paths Graph serves but no route does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_KEY_SEGMENT = re.compile(r"^([A-Za-z_][\w.]*)\((.*)\)$", re.S)
NAMESPACE = "microsoft.graph."


def split_path(path: str) -> list[str]:
    """The OData segments of a path, keys unwrapped: ``users('a@b')/x`` -> users, a@b, x."""
    segments: list[str] = []
    for raw in path.strip("/").split("/"):
        if raw == "":
            continue
        match = _KEY_SEGMENT.match(raw)
        if match:
            name, key = match.groups()
            segments.append(_strip_namespace(name))
            if key == "":  # a function called without parameters: "microsoft.graph.delta()"
                continue
            if len(key) >= 2 and key[0] == key[-1] == "'":
                key = key[1:-1].replace("''", "'")
            segments.append(key)
        else:
            segments.append(_strip_namespace(raw))
    return segments


def _strip_namespace(name: str) -> str:
    if name.lower().startswith(NAMESPACE):
        return name[len(NAMESPACE):]
    return name


@dataclass
class Route:
    method: str
    parts: tuple[str, ...]  # lowercase literals, or "{name}"
    view: Callable

    def match(self, segments: list[str], names: frozenset[int] = frozenset()) -> tuple[int, dict | None]:
        """(segments matched, captured values or None when the route does not match).

        ``names``: positions holding a name in Graph's grammar, which a capture must not take.
        """
        values: dict[str, str] = {}
        for depth, part in enumerate(self.parts):
            if depth >= len(segments):
                return depth, None
            segment = segments[depth]
            if part.startswith("{"):
                if depth in names:
                    return depth, None
                values[part[1:-1]] = segment
            elif segment.lower() != part:
                return depth, None
        if len(segments) != len(self.parts):
            return len(self.parts), None
        return len(segments), values


@dataclass
class Match:
    view: Callable | None
    values: dict
    allowed: list[str]  # methods allowed on the path (when the method did not match)
    unmatched_segment: str | None  # the first segment no route knows


@dataclass
class Fallback:
    """Graph's URL space beyond the routes: ``classify(segments)`` gives (positions holding a
    name, whether Graph knows the path, else the position of the first segment it does not
    know or None); ``view(caller, segments)`` answers a known path no route serves."""

    classify: Callable[[list[str]], tuple[frozenset[int], bool, int | None]]
    view: Callable


class Router:
    """An ordered list of routes; literal segments are tried before captures."""

    def __init__(self, fallback: Fallback | None = None) -> None:
        self.routes: list[Route] = []
        self.fallback = fallback

    def add(self, methods: str, pattern: str, view: Callable) -> None:
        parts = tuple(p if p.startswith("{") else p.lower() for p in pattern.strip("/").split("/"))
        for method in methods.split():
            self.routes.append(Route(method.upper(), parts, view))
        # Literal segments win over captures at the same depth: sort by "specificity" key.
        self.routes.sort(key=lambda r: tuple(1 if p.startswith("{") else 0 for p in r.parts))

    def match(self, method: str, path: str) -> Match:
        segments = split_path(path)
        names, known, unknown = self.fallback.classify(segments) if self.fallback \
            else (frozenset(), False, None)
        deepest, allowed = 0, []
        for route in self.routes:
            depth, values = route.match(segments, names)
            if values is None:
                deepest = max(deepest, depth)
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return Match(route.view, values, [], None)
            allowed.append(route.method)
        if allowed:
            return Match(None, {}, sorted(set(allowed)), None)
        if known:
            return Match(self.fallback.view, {"segments": segments}, [], None)
        if unknown is not None and unknown > deepest:
            deepest = unknown  # Graph names the first segment its schema does not know
        segment = segments[deepest] if deepest < len(segments) else (segments[-1] if segments else "")
        return Match(None, {}, [], segment)
