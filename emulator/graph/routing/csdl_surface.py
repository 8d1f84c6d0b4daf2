"""The part of Graph's URL space the emulator knows from Microsoft's CSDL, without the CSDL.

``csdl_surface.json`` (committed) holds, for the mail types, their relatives and the types one
navigation away from them, what each entity type exposes as URL segments: navigation properties
(with their target types), structural properties, and bound actions and functions (on the entity
and on its collection); plus the entity container's sets and singletons.
``python -m emulator.graph.routing.csdl_surface [path/to/v1.0-Prod.csdl]`` rebuilds it;
``tests/emulator/test_graph_routing_unserved.py`` holds it to the CSDL.
"""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

SURFACE_FILE = Path(__file__).with_name("csdl_surface.json")
# Microsoft's schema, committed with its licence notice (csdl/NOTICE.md).
CSDL_FILE = Path(__file__).resolve().parents[1] / "csdl" / "v1.0-Prod.csdl"
ROOTS = ("user", "message", "mailFolder", "attachment")
_EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def _bare(type_name: str) -> tuple[str, bool]:
    """("message", True) for ``Collection(graph.message)``."""
    many = type_name.startswith("Collection(")
    inner = type_name[len("Collection("):-1] if many else type_name
    return inner.split(".")[-1], many


def build(csdl_path: str | Path) -> dict:
    """The surface of ROOTS, their base types and the types derived from them."""
    root = ET.parse(csdl_path).getroot()
    schema = next(s for s in root.iter(_EDM + "Schema") if s.get("Namespace") == "microsoft.graph")
    entities = {e.get("Name"): e for e in schema.findall(_EDM + "EntityType")}
    def bases(name: str) -> list[str]:
        chain = []
        while name:
            chain.append(name)
            name = _bare(entities[name].get("BaseType") or "")[0]
        return chain
    wanted = {b for name in ROOTS for b in bases(name)}
    wanted |= {n for n in entities if set(bases(n)[1:]) & set(ROOTS)}  # derived types
    # One hop further (photo, drive, events, ...), so that a bad segment there is still a 400.
    targets = {_bare(nav.get("Type"))[0] for name in set(wanted)
               for nav in entities[name].findall(_EDM + "NavigationProperty")}
    wanted |= {b for name in targets if name in entities for b in bases(name)}
    types: dict[str, dict] = {}
    for name in sorted(wanted):
        element = entities[name]
        types[name] = {
            "base": _bare(element.get("BaseType") or "")[0] or None,
            "properties": sorted(p.get("Name") for p in element.findall(_EDM + "Property")),
            "navigation": {n.get("Name"): n.get("Type").replace("graph.", "")
                           for n in element.findall(_EDM + "NavigationProperty")},
            "operations": [], "collection_operations": [],
        }
    for kind in ("Action", "Function"):
        for op in schema.findall(_EDM + kind):
            if op.get("IsBound") != "true":
                continue
            bound, many = _bare(op.find(_EDM + "Parameter").get("Type"))
            if bound in types:
                key = "collection_operations" if many else "operations"
                if op.get("Name") not in types[bound][key]:
                    types[bound][key].append(op.get("Name"))
    for entry in types.values():
        entry["operations"].sort()
        entry["collection_operations"].sort()
    container = schema.find(_EDM + "EntityContainer")
    roots = {e.get("Name"): _bare(e.get("EntityType") or e.get("Type") or "")[0]
             for e in container if e.tag in (_EDM + "EntitySet", _EDM + "Singleton")}
    many = {e.get("Name") for e in container if e.tag == _EDM + "EntitySet"}
    return {"types": types, "roots": {k: f"Collection({v})" if k in many else v
                                      for k, v in sorted(roots.items())}}


@lru_cache(maxsize=1)
def surface() -> dict:
    return json.loads(SURFACE_FILE.read_text(encoding="utf-8"))


if __name__ == "__main__":  # python -m emulator.graph.routing.csdl_surface [path/to/a.csdl]
    source = sys.argv[1] if len(sys.argv) > 1 else CSDL_FILE
    SURFACE_FILE.write_text(json.dumps(build(source), indent=1, sort_keys=True) + "\n",
                            encoding="utf-8")
