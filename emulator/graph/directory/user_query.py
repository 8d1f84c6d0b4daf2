"""``GET /users`` query options, with Entra's rules for directory objects (aad-advanced-queries.md).

Default queries: ``$filter`` with ``eq``/``in``/``startswith`` on indexed properties and ``$orderby``
on displayName or userPrincipalName. Advanced queries (``ConsistencyLevel: eventual`` header
plus ``$count=true``) add ``ne``, ``not``, ``endswith`` (mail, userPrincipalName) and ``$filter``
with ``$orderby``; ``$search`` needs the header only. ``$count=true`` without the header is
silently ignored, as documented.
"""
from __future__ import annotations

import re

from flask import request
from odata_query import ast

from ..common import GraphFailure
from ..odata import Evaluator, QueryError, parse_filter, parse_orderby, paths, sort_records, walk

# Properties the emulator filters on: those of the default set and a few others Entra indexes.
FILTERABLE = {p.lower(): p for p in (
    "displayName", "givenName", "surname", "mail", "userPrincipalName", "jobTitle",
    "mobilePhone", "officeLocation", "preferredLanguage", "id", "accountEnabled", "userType",
    "department", "companyName", "mailNickname", "employeeId", "city", "country", "state",
    "usageLocation")}
STARTSWITH = {p.lower() for p in ("displayName", "givenName", "surname", "mail",
                                  "userPrincipalName", "jobTitle", "mobilePhone",
                                  "officeLocation", "preferredLanguage", "department",
                                  "companyName", "mailNickname", "employeeId", "city",
                                  "country", "state", "usageLocation")}
ENDSWITH = {"mail", "userprincipalname"}  # advanced queries only (aad-advanced-queries.md)
ORDERABLE = {"displayname", "userprincipalname"}
_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+|[^\W\d_]+", re.U)


def unsupported(message: str) -> GraphFailure:
    return GraphFailure(400, "Request_UnsupportedQuery", message)


def advanced() -> tuple[bool, bool]:
    """(ConsistencyLevel: eventual sent, $count=true sent)."""
    eventual = request.headers.get("ConsistencyLevel", "").strip().lower() == "eventual"
    count = next((v for k, v in request.args.items() if k.lower() == "$count"), "")
    return eventual, count.lower() == "true"


def _needs_advanced(operator: str) -> GraphFailure:
    return unsupported(f"Operator '{operator}' is not supported because the required parameters "
                       "might be missing. Try adding $count=true query parameter and "
                       "ConsistencyLevel:eventual header. Refer to "
                       "https://aka.ms/graph-docs/advanced-queries for more information")


def _bad_property(name: str) -> GraphFailure:
    return unsupported(f"Unsupported or invalid query filter clause specified for property "
                       f"'{name}' of resource 'User'.")


def parse_user_filter(raw: str, is_advanced: bool):
    try:
        tree = parse_filter(raw)
    except QueryError:
        # UNCONFIRMED: Entra's wording for a filter it cannot parse.
        raise GraphFailure(400, "BadRequest", "Invalid filter clause") from None
    for path in paths(tree):
        if path.lower() not in FILTERABLE:
            raise _bad_property(path.split("/")[0])
    for node in walk(tree):
        if isinstance(node, (ast.CollectionLambda, ast.Lambda, ast.BinOp)):
            raise GraphFailure(501, "NotImplemented", "The emulator does not implement this "
                               "$filter expression on users.")
        if isinstance(node, ast.Compare) and isinstance(node.comparator, ast.NotEq) \
                and not is_advanced:
            raise _needs_advanced("ne")
        if isinstance(node, ast.UnaryOp) and not is_advanced:
            raise _needs_advanced("not")
        if isinstance(node, ast.Call):
            _check_call(node, is_advanced)
    return tree


def _check_call(node: ast.Call, is_advanced: bool) -> None:
    name = node.func.name.lower()
    target = (paths(node.args[0]) or [""])[0].lower() if node.args else ""
    if name == "startswith" and target in STARTSWITH:
        return
    if name == "endswith" and target in ENDSWITH:
        if not is_advanced:
            raise _needs_advanced("endsWith")
        return
    if name in ("startswith", "endswith"):
        raise _bad_property(FILTERABLE.get(target, target))
    # UNCONFIRMED wording for functions Entra does not support on users (e.g. contains).
    raise unsupported(f"Unsupported Query. Function '{node.func.name}' is not supported.")


def parse_user_orderby(raw: str, has_filter: bool, is_advanced: bool):
    try:
        clauses = parse_orderby(raw)
    except QueryError:
        raise GraphFailure(400, "BadRequest", "Invalid orderby clause") from None  # UNCONFIRMED
    # "Sorting not supported for current query." as reported for $filter + $orderby without the
    # advanced parameters (microsoft-graph-docs-contrib #3145, #4187); for an unsortable
    # property the same wording is UNCONFIRMED.
    if any(path.lower() not in ORDERABLE for path, _ in clauses) or (has_filter and not is_advanced):
        raise unsupported("Sorting not supported for current query.")
    return clauses


def _tokens(text: str) -> list[str]:
    """Entra's search tokens: words split on spaces, symbols, digits and lower-to-upper case."""
    return [t.lower() for t in _TOKEN.findall(text or "")]


_CLAUSE = re.compile(r'"((?:[^"\\]|\\.)*)"|(\(|\)|AND|OR)|(\S+)')


def parse_search(raw: str) -> list:
    """``"displayName:ada" OR "mail:ada"`` as a token list; GraphFailure when malformed."""
    items = []
    for quoted, word, bare in _CLAUSE.findall(raw.strip()):
        if bare:
            # UNCONFIRMED wording: Graph requires every clause in double quotes with a property.
            raise GraphFailure(400, "Request_UnsupportedQuery",
                               f"Unsupported or invalid search clause: '{bare}'.")
        if word:
            items.append(word)
            continue
        prop, sep, value = quoted.replace('\\"', '"').replace("\\\\", "\\").partition(":")
        if not sep or prop.lower() not in FILTERABLE:
            raise GraphFailure(400, "Request_UnsupportedQuery",
                               f"Unsupported or invalid search clause: '\"{quoted}\"'.")
        items.append((FILTERABLE[prop.lower()], value))
    if not items:
        raise GraphFailure(400, "Request_UnsupportedQuery", "Unsupported or invalid search clause: ''.")
    return items


def _clause_matches(prop: str, value: str, record: dict) -> bool:
    text = record.get(prop)
    if not isinstance(text, str):
        return False
    if prop in ("displayName", "description"):
        # Tokenized search: every token of the query prefixes some token of the value.
        have = _tokens(text)
        return all(any(h.startswith(w) for h in have) for w in _tokens(value))
    return text.lower().startswith(value.lower())  # other properties: startsWith


def search_matches(items: list, record: dict) -> bool:
    """Evaluate the clause list (AND binds tighter than OR, parentheses respected)."""
    position = 0

    def expression() -> bool:
        nonlocal position
        result = term()
        while position < len(items) and items[position] == "OR":
            position += 1
            right = term()
            result = result or right
        return result

    def term() -> bool:
        nonlocal position
        result = factor()
        while position < len(items) and items[position] not in ("OR", ")"):
            if items[position] == "AND":
                position += 1
            right = factor()
            result = result and right
        return result

    def factor() -> bool:
        nonlocal position
        if position >= len(items):
            raise GraphFailure(400, "Request_UnsupportedQuery", "Unsupported or invalid search clause.")
        item = items[position]
        position += 1
        if item == "(":
            result = expression()
            position += 1  # the closing parenthesis
            return result
        if isinstance(item, tuple):
            return _clause_matches(item[0], item[1], record)
        raise GraphFailure(400, "Request_UnsupportedQuery", "Unsupported or invalid search clause.")

    return expression()


def apply(users: list, record_of) -> tuple[list, bool]:
    """The users the request's query keeps, ordered; and whether to report @odata.count."""
    eventual, count = advanced()
    is_advanced = eventual and count
    args = {k.lower(): v for k, v in request.args.items()}
    if "$search" in args:
        if not eventual:
            raise unsupported("Request with $search query parameter only works through MSGraph "
                              "with a special request header: 'ConsistencyLevel: eventual'")
        clauses = parse_search(args["$search"])
        users = [u for u in users if search_matches(clauses, record_of(u))]
    if "$filter" in args:
        tree = parse_user_filter(args["$filter"], is_advanced)
        evaluate = Evaluator()
        users = [u for u in users if evaluate(tree, record_of(u))]
    if args.get("$orderby"):
        clauses = parse_user_orderby(args["$orderby"], "$filter" in args, is_advanced)
        users = sort_records(users, clauses, record_of)
    return users, eventual and count
