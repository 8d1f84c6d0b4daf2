"""Parse Graph JSON into msgraph-sdk's models and list what the SDK could not map.

The same oracle as ``tests/emulator/test_sdk_msgraph.py`` (which predates this module), for the
tests of newer shapes: a key the SDK's model does not know, at any depth, is a leftover.
"""
from __future__ import annotations

from kiota_abstractions.serialization import Parsable
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory

ANNOTATIONS = {"@odata.context", "@odata.etag", "@odata.nextLink", "@odata.mediaContentType"}


def parse(payload: bytes, model):
    node = JsonParseNodeFactory().get_root_parse_node("application/json", payload)
    return node.get_object_value(model)


def parse_list(payload: bytes, model):
    node = JsonParseNodeFactory().get_root_parse_node("application/json", payload)
    return node.get_child_node("value").get_collection_of_object_values(model)


def leftovers(model, path="") -> list[str]:
    """Keys the SDK could not map, anywhere in the model tree (annotations excepted)."""
    found = [f"{path}.{key}" for key in (getattr(model, "additional_data", None) or {})
             if key not in ANNOTATIONS]
    for name, value in vars(model).items():
        if name == "additional_data" or name.startswith("_"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Parsable):
                found += leftovers(item, f"{path}.{name}")
    return found
