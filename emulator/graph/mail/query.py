"""``$filter``, ``$orderby``, ``$search`` and ``$count`` on message lists, as Outlook applies them.

Graph's own refusals are kept: ``$search`` with ``$filter`` or ``$orderby`` (400), and a
``$filter`` + ``$orderby`` whose sort properties are not the filter's first properties in the same
order (400 ``InefficientFilter``, user-list-messages.md). What the emulator itself does not
evaluate (lambda operators, other functions, unindexed properties) answers 501 in its own words
rather than returning unfiltered mail.
"""
from __future__ import annotations

from flask import request
from odata_query import ast

from ..common import GraphFailure
from .search import parse_search, search_matches
from ..odata import Evaluator, QueryError, parse_filter, parse_orderby, paths, sort_records, walk
from ..schema import TYPES

# Properties the emulator filters and sorts on (lowercase paths).
FILTERABLE = {p.lower() for p in (
    "id", "subject", "importance", "isRead", "isDraft", "hasAttachments", "receivedDateTime",
    "sentDateTime", "createdDateTime", "lastModifiedDateTime", "conversationId",
    "internetMessageId", "parentFolderId", "inferenceClassification", "changeKey",
    "isDeliveryReceiptRequested", "isReadReceiptRequested", "bodyPreview", "flag/flagStatus",
    "from/emailAddress/address", "from/emailAddress/name", "sender/emailAddress/address",
    "sender/emailAddress/name")}
SEARCH_LIMIT = 1000  # "A $search request returns up to 1000 results." (search-query-parameter.md)
_EVALUATE = Evaluator(functions=frozenset({"startswith", "contains"}))


def _unsupported(what: str) -> GraphFailure:
    return GraphFailure(501, "NotImplemented", f"The emulator does not implement {what} on messages.")


def _known_path(path: str) -> bool:
    """Whether ``path`` names a property of microsoft.graph.message (CSDL types in schema.py)."""
    type_name = "message"
    for part in path.split("/"):
        props = {k.lower(): v for k, v in TYPES.get(type_name, {}).items()}
        kind = props.get(part.lower())
        if kind is None:
            return False
        type_name = kind[len("Collection("):-1] if kind.startswith("Collection(") else kind
    return True


def _check_path(path: str) -> None:
    if path.lower() in FILTERABLE:
        return
    if not _known_path(path):
        # Wording as for $select (RequestBroker--ParseUri); for $filter it is UNCONFIRMED.
        raise GraphFailure(400, "RequestBroker--ParseUri", f"Could not find a property named "
                           f"'{path.split('/')[0]}' on type 'microsoft.graph.message'.")
    raise _unsupported(f"$filter or $orderby on '{path}'")


def _parse_filter(raw: str):
    try:
        tree = parse_filter(raw)
    except QueryError:
        # "Invalid filter clause" as observed (O365/python-o365#230); code UNCONFIRMED.
        raise GraphFailure(400, "BadRequest", "Invalid filter clause") from None
    for node in walk(tree):
        if isinstance(node, (ast.CollectionLambda, ast.Lambda, ast.BinOp)):
            raise _unsupported(f"'{type(node).__name__}' in $filter")
        if isinstance(node, ast.Call) and node.func.name.lower() not in ("startswith", "contains"):
            raise _unsupported(f"the function '{node.func.name}' in $filter")
    for path in paths(tree):
        _check_path(path)
    return tree


def _parse_orderby(raw: str):
    try:
        clauses = parse_orderby(raw)
    except QueryError:
        raise GraphFailure(400, "BadRequest", "Invalid orderby clause") from None  # UNCONFIRMED
    for path, _ in clauses:
        _check_path(path)
    return clauses


def _check_efficient(tree, clauses) -> None:
    """Sort properties must open the filter, in the same order (user-list-messages.md)."""
    filtered = [p.lower() for p in paths(tree)]
    ordered = [p.lower() for p, _ in clauses]
    if filtered[:len(ordered)] != ordered:
        raise GraphFailure(400, "InefficientFilter",
                           "The restriction or sort order is too complex for this operation.")


def _arg(name: str) -> str | None:
    """A system query option, named case-insensitively as Graph reads them."""
    for key, value in request.args.items():
        if key.lower() == name:
            return value
    return None


def wants_count() -> bool:
    raw = _arg("$count")
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise GraphFailure(400, "BadRequest", f"Invalid value '{raw}' for $count query option.")
    return raw.lower() == "true"


def apply(items: list, record_of, attachment_names) -> list:
    """The messages the request's $filter/$search keep, in the order $orderby/$search sets.

    ``items`` come newest first; ``record_of(message)`` is its full Graph JSON.
    """
    raw_search, raw_filter, raw_order = _arg("$search"), _arg("$filter"), _arg("$orderby")
    # Codes and wording as clients report them from Exchange Online: UNCONFIRMED in Microsoft's
    # docs, which say only that $search cannot be combined with $filter or $orderby.
    if raw_search is not None and raw_filter is not None:
        raise GraphFailure(400, "SearchWithFilter",
                           "The query parameter '$filter' is not supported with '$search'.")
    if raw_search is not None and raw_order is not None:
        raise GraphFailure(400, "SearchWithOrderBy",
                           "The query parameter '$orderBy' is not supported with '$search'.")
    if raw_search is not None:
        try:
            groups = parse_search(raw_search)
        except ValueError:
            # UNCONFIRMED wording for an empty or unreadable search string.
            raise GraphFailure(400, "BadRequest", "Invalid search query.") from None
        found = [m for m in items if search_matches(groups, record_of(m), attachment_names(m))]
        # Search results are sorted by the date the message was sent (search-query-parameter.md).
        found.sort(key=lambda m: record_of(m).get("sentDateTime") or "", reverse=True)
        return found[:SEARCH_LIMIT]
    tree = _parse_filter(raw_filter) if raw_filter is not None else None
    clauses = _parse_orderby(raw_order) if raw_order else None
    if tree is not None and clauses:
        _check_efficient(tree, clauses)
    if tree is not None:
        items = [m for m in items if _EVALUATE(tree, record_of(m))]
    if clauses:
        items = sort_records(items, clauses, record_of)
    return items
