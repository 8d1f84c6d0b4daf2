"""``GET …/mailFolders/{id}/messages/delta``: a folder's messages, then only what changed.

As delta-query-messages and message-delta describe it: the first round pages through the
folder (``@odata.nextLink`` with a ``$skiptoken``) and ends with an ``@odata.deltaLink``
(``$deltatoken``); a later call with that link returns what was created (or moved in), updated
(read state, flags, edits) and removed (deleted or moved out: ``"@removed": {"reason":
"deleted"}``) since, read from the mailbox's change log rather than by scanning the folder.
``$select`` (``id`` always comes back), ``$top``, ``$filter=receivedDateTime ge|gt {value}``
(at most 5,000 messages), ``$orderby=receivedDateTime desc``, the custom ``changeType`` option
and ``Prefer: odata.maxpagesize`` are honoured; options are given once and travel in the tokens.
A token too old for the change log answers 410 ``SyncStateNotFound``, a forged or edited one 410
``SyncStateInvalid`` (delta_tokens.py). Permissions: Mail.ReadBasic (no bodies), Mail.Read,
Mail.ReadWrite; Mail.ReadBasic.All, Mail.Read, Mail.ReadWrite for apps.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import request

from ...state import get_state
from ..auth import Caller, resolve_mailbox
from ..common import GraphFailure, api_base, json_response, parse_time
from ..routing.table import mailbox_route
from . import delta_tokens as tokens
from .changelog import net_changes
from .json_out import MESSAGE_DEFAULT, MESSAGE_SELECTABLE, message_json, parse_select
from .lookup import body_preference, find_folder
from .store import Mailbox, mail_store

# Observed: a delta page holds 10 messages unless odata.maxpagesize says otherwise
# (microsoft-graph-docs #6457, msgraph-sdk-java #536). The largest page is UNCONFIRMED.
DEFAULT_PAGE, MAX_PAGE = 10, 1000
FILTER_LIMIT = 5000  # "Applying $filter in a delta query returns only up to 5,000 messages."
BASIC_HIDDEN = ("body", "uniqueBody", "bodyPreview")  # what Mail.ReadBasic does not reach
_PREFER = re.compile(r'odata\.maxpagesize\s*=\s*"?(\d+)"?', re.I)
_FILTER = re.compile(r"^\s*receivedDateTime\s+(ge|gt)\s+(\S+)\s*$", re.I)
_KNOWN = {"$select", "$top", "$filter", "$orderby", "$expand", "$search", "$deltatoken",
          "$skiptoken", "changetype"}


def _args() -> dict[str, str]:
    """Query options by lowercase name (Graph reads option names case-insensitively)."""
    return {key.lower(): value for key, value in request.args.items()}


def _bad(message: str) -> GraphFailure:
    return GraphFailure(400, "BadRequest", message)  # code and wording UNCONFIRMED


def _options(args: dict[str, str]) -> dict:
    """The first request's options, checked, as they travel in the tokens."""
    for name in args:
        if name.startswith("$") and name not in _KNOWN:
            raise GraphFailure(501, "NotImplemented",
                               f"The emulator does not implement the {name} query option "
                               "in a delta query.")
    if "$search" in args:  # "There is no support for $search."
        raise _bad("The query parameter '$search' is not supported in a delta query.")
    if "$expand" in args:
        raise GraphFailure(501, "NotImplemented",
                           "The emulator does not implement $expand in a delta query.")
    options: dict = {}
    select = parse_select(args.get("$select"), MESSAGE_SELECTABLE, "message")
    if select is not None:
        options["sel"] = select
    if "changetype" in args:
        if args["changetype"].lower() not in ("created", "updated", "deleted"):
            raise _bad(f"Invalid value '{args['changetype']}' for the changeType query option; "
                       "it must be created, updated or deleted.")
        options["ct"] = args["changetype"].lower()
    if "$top" in args:
        raw = args["$top"]
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            raise _bad(f"Invalid value '{raw}' for $top query option.")
        options["top"] = int(raw)
    if "$filter" in args:
        match = _FILTER.match(args["$filter"])
        bound = parse_time(match.group(2)) if match else None
        if bound is None:
            raise _bad("The only $filter a messages delta query takes is "
                       "'receivedDateTime ge {value}' or 'receivedDateTime gt {value}'.")
        options[match.group(1).lower()] = bound.isoformat()
        options["top"] = min(options.get("top", FILTER_LIMIT), FILTER_LIMIT)
    if "$orderby" in args and " ".join(args["$orderby"].lower().split()) != \
            "receiveddatetime desc":
        raise _bad("The only $orderby a messages delta query takes is 'receivedDateTime desc'.")
    return options


def _page_size() -> tuple[int, str | None]:
    """The page size and the Preference-Applied value (RFC 7240: an unusable value is ignored)."""
    for value in request.headers.getlist("Prefer"):
        match = _PREFER.search(value)
        if match and int(match.group(1)) > 0:
            size = min(int(match.group(1)), MAX_PAGE)
            return size, f"odata.maxpagesize={size}"
    return DEFAULT_PAGE, None


def _in_range(message, options: dict) -> bool:
    if "ge" in options:
        return message.received >= dt.datetime.fromisoformat(options["ge"])
    if "gt" in options:
        return message.received > dt.datetime.fromisoformat(options["gt"])
    return True


class _Round:
    """One delta page: the messages to render and the link that follows."""

    def __init__(self, box: Mailbox, folder, payload: dict, size: int):
        self.box, self.folder, self.payload, self.size = box, folder, payload, size
        self.items: list = []  # messages, or ids of removed messages (str)
        self.next: dict | None = None  # payload of the skip token, or None: round complete

    def initial(self) -> None:
        """A page of the folder as it is, newest first, after the cursor."""
        p, options = self.payload, self.payload["o"]
        cursor = tuple(p["c"]) if p.get("c") else None
        items = [m for m in self.box.in_folder(self.folder.name) if _in_range(m, options)]
        if cursor is not None:
            items = [m for m in items if (m.received.isoformat(), m.seq) < cursor]
        left = p.get("n", options.get("top"))
        take = self.size if left is None else min(self.size, left)
        self.items = items[:take]
        left = None if left is None else left - len(self.items)
        if len(items) > len(self.items) and (left is None or left > 0):
            last = self.items[-1]
            self.next = {**p, "k": "i", "c": [last.received.isoformat(), last.seq], "n": left}

    def changes(self) -> None:
        """A page of the changes in (s, w]: each message's net change, oldest change first."""
        p, options = self.payload, self.payload["o"]
        net = net_changes(self.box.changes.between(self.folder.name, p["s"], p["w"]))
        if "ct" in options:
            net = [entry for entry in net if entry[1] == options["ct"]]
        offset = p.get("c", 0)
        while offset < len(net) and len(self.items) < self.size:
            message_id, kind, _ = net[offset]
            offset += 1
            if kind == "deleted":
                self.items.append(message_id)
                continue
            message = self.box.messages.get(message_id)
            # Gone since the window closed: the next round reports it; not shown as it was.
            if message is not None and message.folder == self.folder.name \
                    and _in_range(message, options):
                self.items.append(message)
        if offset < len(net):
            self.next = {**p, "k": "c", "c": offset}


def _render(box: Mailbox, item, select, body_type, basic: bool) -> dict:
    if isinstance(item, str):
        return {"@odata.type": "#microsoft.graph.message", "id": item,
                "@removed": {"reason": "deleted"}}
    names = [n for n in (select or MESSAGE_DEFAULT) if not (basic and n in BASIC_HIDDEN)]
    return {"@odata.type": "#microsoft.graph.message", **message_json(box, item, names, body_type)}


@mailbox_route("GET", "mailFolders/{folder}/messages/delta")
def messages_delta(caller: Caller, folder: str, user: str | None = None):
    """One page of a folder's messages, or of its changes since a delta token."""
    owner, shared = resolve_mailbox(caller, user, "folders")
    basic = not caller.has("read", shared)
    store = mail_store()
    box = store.mailbox(owner.id)
    found = find_folder(box, folder)
    secret = get_state().client_secret
    args = _args()
    raw = args.get("$skiptoken") or args.get("$deltatoken")
    size, applied = _page_size()
    with store.lock:  # one consistent view of the folder and its change log
        log = box.changes
        if raw is None:
            payload = {"u": owner.id, "f": found.id, "e": log.epoch, "s": log.seq,
                       "o": _options(args)}
        else:
            payload = tokens.decode(secret, raw)
            if payload["u"] != owner.id:
                raise tokens.invalid()  # another mailbox's token (UNCONFIRMED)
            if payload["e"] != log.epoch:  # the mailbox was reset since: its state is gone
                raise tokens.not_found(payload["s"], request.base_url)
            if payload["f"] != found.id:
                raise tokens.invalid()  # another folder's token (UNCONFIRMED)
            if not log.valid(found.name, payload["s"]):
                raise tokens.not_found(payload["s"], request.base_url)
        page = _Round(box, found, payload, size)
        if "$deltatoken" in args and "$skiptoken" not in args:
            page.payload = {**payload, "w": log.seq}
            page.changes()
        elif payload.get("k") == "c":
            page.changes()
        else:
            page.initial()
        body_type, headers = body_preference()
        select = payload["o"].get("sel")
        value = [_render(box, item, select, body_type, basic) for item in page.items]
    body = {"@odata.context": f"{api_base()}/$metadata#Collection(message)"}
    if page.next is not None:
        body["@odata.nextLink"] = f"{request.base_url}?$skiptoken=" + \
            tokens.encode(secret, page.next)
    else:
        end = page.payload.get("w", payload["s"])
        done = {k: v for k, v in payload.items() if k in ("u", "f", "e", "o")}
        body["@odata.deltaLink"] = f"{request.base_url}?$deltatoken=" + \
            tokens.encode(secret, {**done, "s": end})
    body["value"] = value
    if applied:
        headers["Preference-Applied"] = ", ".join(
            filter(None, [applied, headers.get("Preference-Applied")]))
    return json_response(body, headers=headers)
