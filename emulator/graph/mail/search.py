"""``$search`` on messages: the KQL subset clients send (words, ``from:``, ``subject:``, ...).

Terms are ANDed, ``OR`` between two terms makes a disjunction, ``NOT``/``-`` negates the next
term, a quoted phrase matches as a phrase. Without a property a term looks in from, subject and
body (Graph's default search properties). Matching is by word prefix, case-insensitively: how
Exchange's index tokenizes and matches exactly is UNCONFIRMED.
"""
from __future__ import annotations

import re
import shlex

_WORD = re.compile(r"[\w'.@+-]+", re.U)


def _people(record: dict, *fields: str) -> str:
    parts = []
    for name in fields:
        value = record.get(name)
        for item in value if isinstance(value, list) else [value]:
            email = (item or {}).get("emailAddress") or {}
            parts += [email.get("name") or "", email.get("address") or ""]
    return " ".join(parts)


def _field_text(record: dict, prop: str, attachment_names: list[str]) -> str | None:
    body = (record.get("body") or {}).get("content") or ""
    texts = {
        "from": _people(record, "from"), "to": _people(record, "toRecipients"),
        "cc": _people(record, "ccRecipients"), "bcc": _people(record, "bccRecipients"),
        "recipients": _people(record, "toRecipients", "ccRecipients", "bccRecipients"),
        "participants": _people(record, "from", "toRecipients", "ccRecipients", "bccRecipients"),
        "subject": record.get("subject") or "", "body": body,
        "attachment": " ".join(attachment_names),
        "importance": record.get("importance") or "",
    }
    return texts.get(prop)


def _matches(text: str, term: str) -> bool:
    text, term = text.lower(), term.lower()
    if " " in term:
        return term in text
    words = _WORD.findall(text)
    # An address matches by its whole form, its local part or a prefix of either.
    words += [w.split("@")[0] for w in words if "@" in w]
    return any(word.startswith(term) for word in words)


def _term_matches(term: str, record: dict, attachment_names: list[str]) -> bool:
    prop, sep, value = term.partition(":")
    prop = prop.lower()
    if sep and prop in ("hasattachment", "hasattachments"):
        return str(bool(record.get("hasAttachments"))).lower() == value.lower()
    if sep and prop in ("isread",):
        return str(bool(record.get("isRead"))).lower() == value.lower()
    if sep and value:
        text = _field_text(record, prop, attachment_names)
        if text is not None:
            return _matches(text, value.strip('"'))
    # No property (or one KQL would read as text): from, subject and body.
    return any(_matches(_field_text(record, p, attachment_names) or "", term)
               for p in ("from", "subject", "body"))


def parse_search(raw: str) -> list[list[tuple[bool, str]]]:
    """The query as OR-groups of (negated, term); ValueError when it cannot be read."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    tokens = shlex.split(text.replace("\\\"", '"'), posix=True)
    groups: list[list[tuple[bool, str]]] = [[]]
    negate = False
    for token in tokens:
        if token == "OR":
            groups.append([])
        elif token == "AND":
            continue
        elif token == "NOT":
            negate = True
        else:
            if token.startswith("-") and len(token) > 1:
                negate, token = True, token[1:]
            groups[-1].append((negate, token))
            negate = False
    groups = [g for g in groups if g]
    if not groups:
        raise ValueError(raw)
    return groups


def search_matches(groups, record: dict, attachment_names: list[str]) -> bool:
    return any(all(_term_matches(term, record, attachment_names) != negated
                   for negated, term in group) for group in groups)
