"""What Graph serves and the emulator does not: 501 in the emulator's words, never Graph's 400.

``classify`` walks a path through the CSDL surface (``csdl_surface.py``): entity sets and singletons,
keys, navigation and structural properties, bound actions and functions, type casts, ``$count``
and ``$value``. Past the types the surface describes (``/me/drive/root/children``), Graph knows
the rest of the path as far as the emulator can tell. A path the walk cannot follow keeps
Graph's 400 "Resource not found for the segment", naming the first segment it does not know.
Status and code are Microsoft's (501 ``NotImplemented``, as in Graph's delta-query docs).
"""
from __future__ import annotations

from flask import request

from ..common import GraphFailure
from .csdl_surface import surface
from .grammar import Fallback

_ANY = object()  # past a type the surface does not describe: any further segment is Graph's


def _chain(types: dict, name: str) -> list[dict]:
    found = []
    while name in types:
        found.append(types[name])
        name = types[name]["base"]
    return found


def _has(types: dict, name: str, key: str, segment: str):
    """The name in ``key`` (a list or dict) of the type or a base that matches ``segment``."""
    for entry in _chain(types, name):
        for candidate in entry[key]:
            if candidate.lower() == segment.lower():
                return entry[key][candidate] if isinstance(entry[key], dict) else candidate
    return None


def _cast(types: dict, name: str, segment: str) -> str | None:
    for candidate in types:
        if candidate.lower() == segment.lower() and \
                any(base is types[name] for base in _chain(types, candidate)[1:]):
            return candidate
    return None


def _target(types: dict, type_name: str):
    many = type_name.startswith("Collection(")
    bare = type_name[len("Collection("):-1] if many else type_name
    return (bare, many) if bare in types else _ANY


def classify(segments: list[str]) -> tuple[frozenset[int], bool, int | None]:
    """(positions that are names where a key could stand, whether Graph knows the path, the
    position of the first segment it does not know)."""
    data = surface()
    types, names = data["types"], set()
    if not segments:
        return frozenset(), False, None
    root = next((v for k, v in data["roots"].items() if k.lower() == segments[0].lower()), None)
    if root is None:
        return frozenset(), False, 0
    state = _target(types, root)
    for position, segment in enumerate(segments[1:], start=1):
        if state is _ANY:
            break
        name, many = state
        lower = segment.lower()
        if many:
            cast = _cast(types, name, segment)
            if lower == "$count" or _has(types, name, "collection_operations", segment):
                names.add(position)
                state = _ANY
            elif cast:
                names.add(position)
                state = (cast, True)
            else:
                state = (name, False)  # a key
            continue
        navigation = _has(types, name, "navigation", segment)
        if navigation:
            state = _target(types, navigation)
        elif lower in ("$value", "$ref") or _has(types, name, "properties", segment) \
                or _has(types, name, "operations", segment):
            state = _ANY
        elif _cast(types, name, segment):
            state = (_cast(types, name, segment), False)
        else:
            return frozenset(names), False, position
    return frozenset(names), True, None


def not_implemented(caller, segments: list[str]):
    """A path Graph serves that the emulator does not."""
    path = request.path.split("/v1.0", 1)[-1] or "/"
    raise GraphFailure(501, "NotImplemented",
                       f"The emulator does not implement {request.method} {path}.")


FALLBACK = Fallback(classify=classify, view=not_implemented)
