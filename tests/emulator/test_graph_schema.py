"""The emulator's Graph types hold to Microsoft's CSDL (names, types, enum members)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from emulator.graph.routing.csdl_surface import CSDL_FILE as CSDL
from emulator.graph.schema import ENUMS, TYPES

# Microsoft's schema ships in the repository (see its NOTICE.md): these checks run in every clone.
NS = "{http://docs.oasis-open.org/odata/ns/edm}"
# Entity types whose base types add properties: (type, base chain).
BASES = {"message": ["outlookItem", "entity"], "fileAttachment": ["attachment", "entity"],
         "itemAttachment": ["attachment", "entity"], "referenceAttachment": ["attachment", "entity"]}
NAVIGATION = {"attachments", "extensions", "multiValueExtendedProperties",
              "singleValueExtendedProperties", "item"}


@pytest.fixture(scope="module")
def schema():
    root = ET.parse(CSDL).getroot()
    types, enums = {}, {}
    for element in root.iter():
        if element.tag in (NS + "EntityType", NS + "ComplexType"):
            props = {p.get("Name"): p.get("Type") for p in element.findall(NS + "Property")}
            props.update({p.get("Name"): p.get("Type") for p in element.findall(NS + "NavigationProperty")})
            types.setdefault(element.get("Name"), props)
        elif element.tag == NS + "EnumType":
            enums.setdefault(element.get("Name"), [m.get("Name") for m in element.findall(NS + "Member")])
    return types, enums


def _ours_as_csdl(type_name: str) -> str:
    if type_name.startswith("enum:"):
        return f"graph.{type_name[5:]}"
    inner = re.match(r"Collection\((.+)\)", type_name)
    if inner:
        return f"Collection({_ours_as_csdl(inner.group(1))})"
    return type_name if type_name.startswith("Edm.") else f"graph.{type_name}"


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_properties_match_the_csdl(schema, type_name):
    types, _ = schema
    theirs = dict(types[type_name])
    for base in BASES.get(type_name, []):
        theirs.update(types[base])
    ours = TYPES[type_name]
    assert set(ours) <= set(theirs), set(ours) - set(theirs)
    missing = {name for name in set(theirs) - set(ours) if name not in NAVIGATION}
    assert not missing, f"{type_name} lacks {missing}"
    for name, kind in ours.items():
        if name in NAVIGATION:
            continue
        assert _ours_as_csdl(kind) == theirs[name], name


@pytest.mark.parametrize("enum", sorted(ENUMS))
def test_enum_members_match_the_csdl(schema, enum):
    assert list(ENUMS[enum]) == schema[1][enum]
