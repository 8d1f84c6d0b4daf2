"""Listing mail: ``/me/messages``, ``/me/mailFolders`` and ``/me/mailFolders/{id}/messages``.

Pages of ``$top`` (1..1000, default 10) newest first, with an ``@odata.nextLink`` carrying
``$skip`` (clients must follow it as an opaque URL). ``$select``, ``$filter``, ``$orderby``,
``$search``, ``$count`` (``query``) and ``Prefer: outlook.body-content-type`` are
honoured; other options (``$expand``, ...) are not emulated and say so (501) rather than return
unfiltered results.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request

from ..auth import Caller, resolve_mailbox
from ..common import GraphFailure, api_base, json_response
from . import query
from .lookup import body_preference, find_folder
from .store import mail_store
from .json_out import FOLDER_PROPS, MESSAGE_SELECTABLE, folder_json, message_json, parse_select
from ..routing.table import mailbox_route

SUPPORTED_OPTIONS = {"$select", "$top", "$skip", "$orderby"}
MESSAGE_OPTIONS = SUPPORTED_OPTIONS | {"$filter", "$search", "$count"}


def _int_option(name: str, default: int, low: int, high: int | None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise GraphFailure(400, "BadRequest", f"Invalid value '{raw}' for {name} query option.") \
            from None
    if value < low:
        raise GraphFailure(400, "BadRequest", f"Invalid value '{raw}' for {name} query option.")
    if high is not None and value > high:
        raise GraphFailure(400, "BadRequest", f"The limit of '{high}' for Top query has been "
                           f"exceeded. The value from the incoming request is '{raw}'.")
    return value


def _check_options(supported=SUPPORTED_OPTIONS) -> None:
    for name in request.args:
        if name.startswith("$") and name.lower() not in supported:
            raise GraphFailure(501, "NotImplemented",
                               f"The emulator does not implement the {name} query option.")


def _page(items, context: str, render, count: bool = False) -> dict:
    top = _int_option("$top", 10, 1, 1000)
    skip = _int_option("$skip", 0, 0, None)
    page = items[skip:skip + top]
    payload = {"@odata.context": context}
    if count:
        payload["@odata.count"] = len(items)
    payload["value"] = [render(item) for item in page]
    if skip + top < len(items):
        args = {k: v for k, v in request.args.items() if k != "$skip"}
        args.update({"$top": str(top), "$skip": str(skip + top)})
        payload["@odata.nextLink"] = f"{request.base_url}?{urlencode(args, safe='$,')}"
    return payload


@mailbox_route("GET", "messages")
@mailbox_route("GET", "mailFolders/{folder}/messages")
def list_messages(caller: Caller, user: str | None = None, folder: str | None = None):
    """Messages of the mailbox or of one folder (well-known name or id), newest first."""
    owner, _ = resolve_mailbox(caller, user, "read")
    _check_options(MESSAGE_OPTIONS)
    count = query.wants_count()
    box = mail_store().mailbox(owner.id)
    select = parse_select(request.args.get("$select"), MESSAGE_SELECTABLE, "message")
    body_type, headers = body_preference()
    if folder is None:
        items = sorted(list(box.messages.values()), key=lambda m: (m.received, m.seq),
                       reverse=True)
        context = f"{api_base()}/$metadata#users('{owner.id}')/messages"
    else:
        items = box.in_folder(find_folder(box, folder).name)
        context = f"{api_base()}/$metadata#users('{owner.id}')/mailFolders('{folder}')/messages"
    if select:
        context += f"({','.join(select)})"
    records: dict[str, dict] = {}

    def record_of(message):
        if message.id not in records:
            records[message.id] = message_json(box, message, list(MESSAGE_SELECTABLE), body_type)
        return records[message.id]
    items = query.apply(items, record_of, lambda m: [a.name or "" for a in m.attachments])
    payload = _page(items, context, lambda m: message_json(box, m, select, body_type), count)
    return json_response(payload, headers=headers)


@mailbox_route("GET", "mailFolders")
def list_folders(caller: Caller, user: str | None = None):
    """The top-level mail folders."""
    owner, _ = resolve_mailbox(caller, user, "folders")
    _check_options()
    box = mail_store().mailbox(owner.id)
    select = parse_select(request.args.get("$select"), FOLDER_PROPS, "mailFolder")
    folders = list(box.folders.values())
    context = f"{api_base()}/$metadata#users('{owner.id}')/mailFolders"

    def render(folder):
        data = folder_json(box, folder)
        return data if select is None else {k: data[k] for k in ("id", *select)}
    return json_response(_page(folders, context, render))


@mailbox_route("GET", "mailFolders/{folder}")
def get_folder(caller: Caller, folder: str, user: str | None = None):
    """One mail folder by well-known name or id."""
    owner, _ = resolve_mailbox(caller, user, "folders")
    box = mail_store().mailbox(owner.id)
    found = find_folder(box, folder)
    context = f"{api_base()}/$metadata#users('{owner.id}')/mailFolders/$entity"
    return json_response({"@odata.context": context, **folder_json(box, found)})
