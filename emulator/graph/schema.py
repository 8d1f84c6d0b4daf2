"""The Graph types a mail client writes, checked the way Outlook's OData reader checks them.

The property names and types below are those of Microsoft's CSDL, ``emulator/graph/csdl/v1.0-Prod.csdl``
(``tests/emulator/test_graph_schema.py`` holds them to it). ``parse(value, type)`` returns the
value with canonical property names (Graph matches names case-insensitively) and lowercase enum
members, or raises 400 ``RequestBodyRead`` with the OData reader's wording. Unknown properties
are refused, as Outlook refuses them, even though the CSDL marks ``message`` as an open type.
Wording for wrong node kinds and bad enum members is ODataLib's/.NET's: UNCONFIRMED for Graph.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt

from .common import GraphFailure

STRING, BOOL, INT32, INT64 = "Edm.String", "Edm.Boolean", "Edm.Int32", "Edm.Int64"
DATETIME, BINARY = "Edm.DateTimeOffset", "Edm.Binary"
ENUMS = {
    "importance": ("low", "normal", "high"),
    "bodyType": ("text", "html"),
    "inferenceClassificationType": ("focused", "other"),
    "followupFlagStatus": ("notFlagged", "complete", "flagged"),
    "attachmentType": ("file", "item", "reference"),
}
_OUTLOOK_ITEM = {"id": STRING, "categories": f"Collection({STRING})", "changeKey": STRING,
                 "createdDateTime": DATETIME, "lastModifiedDateTime": DATETIME}
_ATTACHMENT = {"id": STRING, "contentType": STRING, "isInline": BOOL,
               "lastModifiedDateTime": DATETIME, "name": STRING, "size": INT32}
# Complex and entity types: name -> properties (name -> type). "enum:x" names an EnumType.
TYPES: dict[str, dict[str, str]] = {
    "message": {
        **_OUTLOOK_ITEM,
        "bccRecipients": "Collection(recipient)", "body": "itemBody", "bodyPreview": STRING,
        "ccRecipients": "Collection(recipient)", "conversationId": STRING,
        "conversationIndex": BINARY, "flag": "followupFlag", "from": "recipient",
        "hasAttachments": BOOL, "importance": "enum:importance",
        "inferenceClassification": "enum:inferenceClassificationType",
        "internetMessageHeaders": "Collection(internetMessageHeader)",
        "internetMessageId": STRING, "isDeliveryReceiptRequested": BOOL, "isDraft": BOOL,
        "isRead": BOOL, "isReadReceiptRequested": BOOL, "parentFolderId": STRING,
        "receivedDateTime": DATETIME, "replyTo": "Collection(recipient)", "sender": "recipient",
        "sentDateTime": DATETIME, "subject": STRING, "toRecipients": "Collection(recipient)",
        "uniqueBody": "itemBody", "webLink": STRING,
        # Navigation properties a client may send inline when creating a message.
        "attachments": "Collection(attachment)", "extensions": "Collection(open)",
        "multiValueExtendedProperties": "Collection(open)",
        "singleValueExtendedProperties": "Collection(open)",
    },
    "recipient": {"emailAddress": "emailAddress"},
    "emailAddress": {"address": STRING, "name": STRING},
    "itemBody": {"content": STRING, "contentType": "enum:bodyType"},
    "internetMessageHeader": {"name": STRING, "value": STRING},
    "followupFlag": {"completedDateTime": "dateTimeTimeZone", "dueDateTime": "dateTimeTimeZone",
                     "flagStatus": "enum:followupFlagStatus", "startDateTime": "dateTimeTimeZone"},
    "dateTimeTimeZone": {"dateTime": STRING, "timeZone": STRING},
    "fileAttachment": {**_ATTACHMENT, "contentBytes": BINARY, "contentId": STRING,
                       "contentLocation": STRING},
    "itemAttachment": {**_ATTACHMENT, "item": "open"},
    "referenceAttachment": dict(_ATTACHMENT),
    "attachmentItem": {"attachmentType": "enum:attachmentType", "contentId": STRING,
                       "contentType": STRING, "isInline": BOOL, "name": STRING, "size": INT64},
}
ATTACHMENT_TYPES = ("fileAttachment", "itemAttachment", "referenceAttachment")


def outlook_name(type_name: str) -> str:
    return "Microsoft.OutlookServices." + type_name[0].upper() + type_name[1:]


def body_read(message: str) -> GraphFailure:
    return GraphFailure(400, "RequestBodyRead", message)


def _literal(value) -> str:
    text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) \
        else str(value)
    return text if len(text) <= 1000 else text[:1000] + "..."


def _node(value) -> str:
    if isinstance(value, dict):
        return "StartObject"
    if isinstance(value, list):
        return "StartArray"
    return "PrimitiveValue"


def _unexpected(value, expected: str, name: str) -> GraphFailure:
    return body_read(f"An unexpected '{_node(value)}' node was found for property named '{name}' "
                     f"when reading from the JSON reader. A '{expected}' node was expected.")


def parse(value, type_name: str, name: str = ""):
    """``value`` checked against ``type_name``; canonical names and enum members."""
    if value is None:
        return None
    if type_name.startswith("Collection("):
        if not isinstance(value, list):
            raise _unexpected(value, "StartArray", name)
        inner = type_name[len("Collection("):-1]
        return [parse(item, inner, name) for item in value]
    if type_name == "open":
        return value
    if type_name.startswith("enum:"):
        return _enum(value, type_name[5:], name)
    if type_name.startswith("Edm."):
        return _primitive(value, type_name, name)
    if type_name == "attachment":
        return parse_attachment(value, name)
    return parse_object(value, type_name, name)


def parse_object(value, type_name: str, name: str = "") -> dict:
    if not isinstance(value, dict):
        raise _unexpected(value, "StartObject", name)
    properties = TYPES[type_name]
    by_lower = {key.lower(): key for key in properties}
    result: dict = {}
    for key, item in value.items():
        if "@" in key:  # instance annotations (@odata.type, x@odata.type): not properties
            continue
        canonical = by_lower.get(key.lower())
        if canonical is None:
            raise body_read(f"The property '{key}' does not exist on type "
                            f"'{outlook_name(type_name)}'. Make sure to only use property names "
                            "that are defined by the type or mark the type as open type.")
        result[canonical] = parse(item, properties[canonical], canonical)
    return result


def parse_attachment(value, name: str = "attachments") -> dict:
    """An attachment entity: its @odata.type picks the derived type (attachment is abstract)."""
    if not isinstance(value, dict):
        raise _unexpected(value, "StartObject", name)
    odata_type = next((v for k, v in value.items() if k.lower() == "@odata.type"), None)
    if odata_type is None:
        raise body_read("Cannot create an abstract class.")  # UNCONFIRMED wording
    short = str(odata_type).lstrip("#")
    short = short[len("microsoft.graph."):] if short.lower().startswith("microsoft.graph.") \
        else short
    kind = next((t for t in ATTACHMENT_TYPES if t.lower() == short.lower()), None)
    if kind is None:
        raise body_read(f"A type named '{odata_type}' could not be resolved by the model. When a "
                        "model is available, each type name must resolve to a valid type.")
    result = parse_object(value, kind, name)
    result["@odata.type"] = f"#microsoft.graph.{kind}"
    return result


def _enum(value, enum: str, name: str) -> str:
    members = ENUMS[enum]
    if isinstance(value, str):
        for member in members:
            if member.lower() == value.strip().lower():
                return member
        raise body_read(f"Requested value '{value}' was not found.")
    if isinstance(value, (dict, list)):
        raise _unexpected(value, "PrimitiveValue", name)
    raise body_read(f"Cannot convert the literal '{_literal(value)}' to the expected type "
                    f"'microsoft.graph.{enum}'.")


def _primitive(value, edm: str, name: str):
    if isinstance(value, (dict, list)):
        raise _unexpected(value, "PrimitiveValue", name)
    fail = body_read(f"Cannot convert the literal '{_literal(value)}' to the expected type '{edm}'.")
    if edm == STRING:
        if not isinstance(value, str):
            raise fail
        return value
    if edm == BOOL:
        if isinstance(value, bool):
            return value
        # ODataLib converts the strings XmlConvert accepts (Graph's own sendMail sample sends "false").
        text = value.strip().lower() if isinstance(value, str) else None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise fail
    if edm in (INT32, INT64):
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail
        if edm == INT32 and not -2**31 <= value < 2**31:
            raise fail
        return value
    if not isinstance(value, str):
        raise fail
    if edm == BINARY:
        try:
            base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise fail from None
        return value
    if edm == DATETIME:
        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise fail from None
        return value
    return value
