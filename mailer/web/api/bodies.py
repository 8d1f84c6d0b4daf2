"""A submit's body: the message as JSON (the whole body, or the ``message`` part of a
multipart form) and its files, bounded in memory and checked against the schema.

JSON nested deeper than Python's parser follows (thousands of ``[``) is a 400 naming the field
it is in, found by a scan that stops at the first value nested more than ``MAX_DEPTH`` levels,
never a RecursionError. The API's bodies nest two levels (an object of lists of strings).
"""
from __future__ import annotations

import json
import re

from flask import current_app, request

from mailer.web.api import schemas
from mailer.web.api.errors import ApiError, first_problem

MAX_DEPTH = 32
# A JSON string (escapes included), or a bracket: what the depth scan looks at.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def deep_field(text: str, whole: str, limit: int = MAX_DEPTH) -> str | None:
    """The top-level field whose value nests more than ``limit`` levels (``whole`` when the
    document itself does), or None."""
    depth, last_string, field = 0, None, whole
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            if depth == 1:
                last_string = token  # at the top level, a key comes just before its value
            continue
        if token in "[{":
            depth += 1
            if depth == 2 and last_string:
                try:
                    field = str(json.loads(last_string))
                except ValueError:
                    field = whole
            if depth > limit:
                return field
        else:
            depth -= 1
            if depth <= 1:
                field = whole
    return None


def loads(text: str | bytes, field: str):
    """``text`` parsed as JSON; ApiError 400 naming ``field`` (or the too-deep field) if not."""
    try:
        return json.loads(text)
    except RecursionError:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        where = deep_field(text, field) or field
        raise ApiError(400, f"{where}: nested more than {MAX_DEPTH} levels deep (this API's "
                       "fields are strings or lists of strings)", field=where) from None
    except ValueError as exc:
        raise ApiError(400, f"{field}: not JSON ({exc})", field=field) from None


def message_and_files() -> tuple[dict, list]:
    """The message as JSON and its files (multipart), bounded in memory."""
    cfg = current_app.config
    if request.mimetype == "application/json":
        request.max_content_length = cfg["FORM_MEMORY"]
        data = request.get_data(cache=True)
        if not data:
            raise ApiError(400, "body: the body is not JSON", field="body")
        raw, files = loads(data, "body"), []
    elif request.mimetype == "multipart/form-data":
        request.max_form_memory_size = cfg["FORM_MEMORY"]
        strays = sorted(set(request.files) - {"attachments"})
        if strays:
            raise ApiError(400, f"{strays[0]}: files go in parts named 'attachments'",
                           field=strays[0])
        if "message" not in request.form:
            raise ApiError(400, "message: give the message as JSON in a part named "
                           "'message'", field="message")
        raw = loads(request.form["message"], "message")
        files = request.files.getlist("attachments")
    else:
        raise ApiError(415, "Send application/json, or multipart/form-data with files.",
                       field="Content-Type")
    errs = schemas.MessageSchema().validate(raw) if isinstance(raw, dict) else {"body": [
        "the message must be a JSON object"]}
    if errs:
        field, problem = first_problem(errs)
        raise ApiError(400, f"{field}: {problem}", field=field)
    loaded = schemas.MessageSchema().load(raw)
    return {"from": loaded.pop("sender"), **loaded}, files
