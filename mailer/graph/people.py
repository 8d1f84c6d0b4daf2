"""Who a person may mean while typing a recipient: the people they work with, then the directory.

``suggestions(client, text)`` asks ``GET /me/people`` (People.Read: relevance-ranked, with
contacts and distribution lists) and, when that gave fewer than ``limit``, ``GET /users``
(User.ReadBasic.All) with ``$search``, which Microsoft documents for directory objects only
with the ``ConsistencyLevel: eventual`` header. Both go in one round trip (``GraphClient.batch``):
the directory's answer is used only when the people gave fewer than ``limit``. Results are
merged people first, one per address (compared case-insensitively). Like GraphClient, every
failure is a ``GraphError``; nothing here knows of Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from mailer.graph.batch import Call
from mailer.graph.client import GraphClient

LIMIT = 8
# Graph's $search takes a double-quoted string; a quote or backslash typed by a person would end
# it early or escape it, and neither helps match a name or an address: they become spaces.
_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')


@dataclass(frozen=True)
class Suggestion:
    """One address to offer: its display name, the address, and where it came from."""
    name: str
    address: str
    source: str  # "people" (/me/people) or "directory" (/users)
    group: bool = False  # a distribution list (people only say so)

    def as_json(self) -> dict:
        return {"name": self.name, "address": self.address, "source": self.source,
                "group": self.group}


def search_text(text: str) -> str:
    """``text`` as it may go inside a double-quoted $search value."""
    return " ".join(_UNSAFE.sub(" ", text or "").split())


def _people_call(text: str, top: int) -> Call:
    return Call("people", "GET", "/me/people", params={
        "$search": f'"{search_text(text)}"', "$top": str(top),
        "$select": "displayName,scoredEmailAddresses,personType"})


def _directory_call(text: str, top: int) -> Call:
    value = search_text(text)
    return Call("directory", "GET", "/users", params={
        "$search": f'"displayName:{value}" OR "mail:{value}"', "$top": str(top),
        "$select": "displayName,mail"}, headers={"ConsistencyLevel": "eventual"})


def _people(body: dict) -> list[Suggestion]:
    found = []
    for person in body.get("value", []):
        group = (person.get("personType") or {}).get("class") == "Group"
        for scored in person.get("scoredEmailAddresses") or []:
            address = (scored or {}).get("address") or ""
            if "@" in address:
                found.append(Suggestion(person.get("displayName") or address, address, "people",
                                        group))
                break  # the first address is the one Graph ranks highest
    return found


def _users(body: dict) -> list[Suggestion]:
    return [Suggestion(user.get("displayName") or user["mail"], user["mail"], "directory")
            for user in body.get("value", []) if "@" in (user.get("mail") or "")]


def relevant_people(client: GraphClient, text: str, top: int = LIMIT) -> list[Suggestion]:
    """GET /me/people?$search="text": the user's relevant people whose name or address match."""
    return _people(client.batch([_people_call(text, top)])["people"].result())


def directory_users(client: GraphClient, text: str, top: int = LIMIT) -> list[Suggestion]:
    """GET /users?$search="displayName:text" OR "mail:text": the directory's users whose name
    has a word starting with ``text``, or whose address does (users without mail are left out)."""
    return _users(client.batch([_directory_call(text, top)])["directory"].result())


def merge(*lists: list[Suggestion], limit: int = LIMIT) -> list[Suggestion]:
    """The lists in order, one suggestion per address, at most ``limit``."""
    seen, merged = set(), []
    for suggestions in lists:
        for suggestion in suggestions:
            key = suggestion.address.lower()
            if key not in seen:
                seen.add(key)
                merged.append(suggestion)
    return merged[:limit]


def suggestions(client: GraphClient, text: str, *, directory: bool = True,
                limit: int = LIMIT) -> list[Suggestion]:
    """People first, then (if ``directory`` and room is left) the directory; at most ``limit``.
    A directory that refuses the listing (403: a tenant may keep users from reading it) leaves
    the people alone; any other failure raises GraphError.
    """
    calls = [_people_call(text, limit)] + ([_directory_call(text, limit)] if directory else [])
    answers = client.batch(calls)
    people = _people(answers["people"].result())
    if not directory or len(people) >= limit:
        return people[:limit]
    listing = answers["directory"]
    users = [] if listing.status == 403 else _users(listing.result())
    return merge(people, users, limit=limit)
