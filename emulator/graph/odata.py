"""OData ``$filter`` and ``$orderby`` over Graph JSON dicts.

``odata-query`` parses a filter into an AST; ``evaluate`` walks it against one resource's JSON
(property paths such as ``from/emailAddress/address`` resolved case-insensitively, as Graph
resolves names). ``paths`` lists the properties a filter names, in order, so that callers can
apply their own rules (which properties, which operators, InefficientFilter). Callers turn
``QueryError`` into the error body their Graph workload uses.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from odata_query import ast
from odata_query.exceptions import ODataException
from odata_query.grammar import ODataLexer, ODataParser


class QueryError(Exception):
    """Why a query option was refused: ``kind`` is syntax, property, function or operator."""

    def __init__(self, kind: str, name: str = "") -> None:
        super().__init__(f"{kind}: {name}")
        self.kind, self.name = kind, name


def parse_filter(text: str) -> ast._Node:
    try:
        return ODataParser().parse(ODataLexer().tokenize(text))
    except (ODataException, IndexError, TypeError, ValueError):
        raise QueryError("syntax", text) from None


def path_of(node) -> str | None:
    """``from/emailAddress/address`` for an identifier or member access, else None."""
    if isinstance(node, ast.Identifier):
        return node.name
    if isinstance(node, ast.Attribute):
        owner = path_of(node.owner)
        return None if owner is None else f"{owner}/{node.attr}"
    return None


def walk(node):
    """Every node of the tree, parents before children, left to right."""
    yield node
    for value in vars(node).values():
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast._Node):
                yield from walk(child)


def paths(node) -> list[str]:
    """The property paths a filter names, in order of first appearance."""
    found: list[str] = []
    functions = {id(n.func) for n in walk(node) if isinstance(n, ast.Call)}
    for item in walk(node):
        path = None if id(item) in functions else path_of(item)
        if path is not None and path.lower() not in (p.lower() for p in found):
            found.append(path)
    # An Attribute's owner is itself an Identifier/Attribute: keep only the longest paths.
    return [p for p in found if not any(o.lower().startswith(p.lower() + "/") for o in found)]


def resolve(record: dict, path: str):
    value = record
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        key = next((k for k in value if k.lower() == part.lower()), None)
        if key is None:
            return None
        value = value[key]
    return value


def _literal(node):
    if isinstance(node, ast.DateTime):
        return node.py_val
    if isinstance(node, ast.List):
        return [_literal(item) for item in node.val]
    if isinstance(node, ast._Literal):
        return node.py_val
    raise QueryError("syntax", type(node).__name__)


def _comparable(left, right):
    """Values made comparable: ISO strings against datetimes, strings without case."""
    if isinstance(right, dt.datetime) and isinstance(left, str):
        try:
            left = dt.datetime.fromisoformat(left.replace("Z", "+00:00"))
        except ValueError:
            return left, None
    if isinstance(left, dt.datetime) and left.tzinfo is None:
        left = left.replace(tzinfo=dt.timezone.utc)
    if isinstance(right, dt.datetime) and right.tzinfo is None:
        right = right.replace(tzinfo=dt.timezone.utc)
    # Exchange and Entra compare strings without regard to case (UNCONFIRMED for every property).
    if isinstance(left, str):
        left = left.lower()
    if isinstance(right, str):
        right = right.lower()
    return left, right


_COMPARE = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}
FUNCTIONS = {
    "startswith": lambda a, b: a.startswith(b), "endswith": lambda a, b: a.endswith(b),
    "contains": lambda a, b: b in a,
}


@dataclass
class Evaluator:
    """Evaluates a parsed filter against records; ``functions`` limits the callable names."""

    functions: frozenset[str] = frozenset(FUNCTIONS)

    def __call__(self, node, record: dict) -> bool:
        return bool(self._eval(node, record))

    def _value(self, node, record: dict):
        path = path_of(node)
        if path is not None:
            return resolve(record, path)
        return _literal(node)

    def _eval(self, node, record: dict):
        if isinstance(node, ast.BoolOp):
            left = self._eval(node.left, record)
            if isinstance(node.op, ast.And):
                return left and self._eval(node.right, record)
            return left or self._eval(node.right, record)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not self._eval(node.operand, record)
        if isinstance(node, ast.Compare):
            return self._compare(node, record)
        if isinstance(node, ast.Call):
            return self._call(node, record)
        if isinstance(node, ast.Boolean):
            return node.py_val
        path = path_of(node)
        if path is not None:  # a bare boolean property: "$filter=isRead"
            return resolve(record, path) is True
        raise QueryError("syntax", type(node).__name__)

    def _compare(self, node: ast.Compare, record: dict) -> bool:
        left = self._value(node.left, record)
        right = self._value(node.right, record)
        if isinstance(node.comparator, ast.In):
            return any(self._equal(left, item) for item in (right or []))
        compare = _COMPARE.get(type(node.comparator))
        if compare is None:
            raise QueryError("operator", type(node.comparator).__name__)
        left, right = _comparable(left, right)
        if left is None or right is None:  # OData: null equals only null, orders with nothing
            if isinstance(node.comparator, ast.Eq):
                return left is None and right is None
            if isinstance(node.comparator, ast.NotEq):
                return (left is None) != (right is None)
            return False
        try:
            return compare(left, right)
        except TypeError:
            return False

    @staticmethod
    def _equal(left, right) -> bool:
        left, right = _comparable(left, right)
        return left == right

    def _call(self, node: ast.Call, record: dict) -> bool:
        name = node.func.name.lower()
        if name not in self.functions or name not in FUNCTIONS or len(node.args) != 2:
            raise QueryError("function", node.func.name)
        left, right = (self._value(arg, record) for arg in node.args)
        if not isinstance(left, str) or not isinstance(right, str):
            return False
        return FUNCTIONS[name](left.lower(), right.lower())


def parse_orderby(text: str) -> list[tuple[str, bool]]:
    """``$orderby`` as [(property path, descending)]; QueryError for a malformed clause."""
    clauses = []
    for raw in text.split(","):
        words = raw.split()
        if not words or len(words) > 2:
            raise QueryError("syntax", raw)
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise QueryError("syntax", raw)
        clauses.append((words[0], direction == "desc"))
    return clauses


def sort_records(items: list, orderby: list[tuple[str, bool]], record_of) -> list:
    """Stable multi-key sort: the last key first; None sorts before any value (ascending)."""
    for path, descending in reversed(orderby):
        def key(item, path=path):
            value = resolve(record_of(item), path)
            if isinstance(value, str):
                value = value.lower()
            return (value is not None, value if value is not None else 0)
        items = sorted(items, key=key, reverse=descending)
    return items
