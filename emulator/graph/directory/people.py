"""``GET /me/people`` and ``/users/{id | upn}/people``: the people relevant to a user.

Relevance is built from the mailbox (who the user wrote to counts twice, who wrote to them once)
over the directory of their tenant (every colleague with an address is a candidate); ordered by
that score, then by name. ``$search`` matches the start of any word of the name or address
(Graph's is fuzzy: UNCONFIRMED how fuzzy), ``$top`` (default 10), ``$skip`` (not with
``$search``, as documented) and ``$select`` are honoured. Permissions as documented: People.Read
for one's own list, People.Read.All for another user's (and for app-only tokens).
"""
from __future__ import annotations

import re
import uuid
from collections import Counter
from urllib.parse import urlencode

from flask import request

from ...state import get_state
from ..auth import ACCESS_DENIED, Caller, resolve_user
from ..common import GraphFailure, api_base, json_response
from ..mail.store import mail_store
from ..routing.table import mailbox_route

PERSON_DEFAULT = (
    "id", "displayName", "givenName", "surname", "birthday", "personNotes", "isFavorite",
    "jobTitle", "companyName", "yomiCompany", "department", "officeLocation", "profession",
    "userPrincipalName", "imAddress", "scoredEmailAddresses", "phones", "postalAddresses",
    "websites", "personType")
OPTIONS = {"$search", "$top", "$skip", "$select"}
_WORD = re.compile(r"[\w']+")
_PEOPLE_NS = uuid.UUID("0f4c7a2e-5d1b-4c9e-8a36-7b2d9e1f4c58")  # ids of non-directory people


def _check_permission(caller: Caller, own: bool) -> None:
    grants = caller.grants
    allowed = {"people.read.all"} if caller.app_only or not own else {"people.read",
                                                                       "people.read.all"}
    if not grants & allowed:
        raise GraphFailure(403, *ACCESS_DENIED)  # code for the People API UNCONFIRMED


def _scores(owner) -> tuple[Counter, dict[str, str]]:
    """Relevance by lowercase address, and the names seen on mail for each address."""
    scores, names = Counter(), {}
    if not owner.has_mailbox:
        return scores, names
    box = mail_store().mailbox(owner.id)
    for message in list(box.messages.values()):
        p = message.props
        if message.folder in ("sentitems", "outbox"):
            people, weight = [*(p.get("toRecipients") or []), *(p.get("ccRecipients") or []),
                              *(p.get("bccRecipients") or [])], 2
        elif message.folder == "inbox":
            people, weight = [p.get("from") or p.get("sender")], 1
        else:
            continue
        for item in people:
            email = (item or {}).get("emailAddress") or {}
            address = (email.get("address") or "").lower()
            if address:
                scores[address] += weight
                if email.get("name"):
                    names.setdefault(address, email["name"])
    return scores, names


def _directory_person(user, score: float) -> dict:
    group = user.kind == "group"
    return {
        "id": user.id, "displayName": user.display_name, "givenName": user.given_name,
        "surname": user.surname, "birthday": "", "personNotes": "", "isFavorite": False,
        "jobTitle": user.job_title, "companyName": None, "yomiCompany": "", "department": None,
        "officeLocation": user.office_location, "profession": "",
        "userPrincipalName": "" if group else user.user_principal_name,
        "imAddress": None if group else f"sip:{user.address}",
        "scoredEmailAddresses": [{"address": user.mail or user.user_principal_name,
                                  "relevanceScore": score,
                                  "selectionLikelihood": "notSpecified"}],
        "phones": [{"type": "business", "number": n} for n in user.business_phones],
        "postalAddresses": [], "websites": [],
        # Subclass of a distribution list and of a mail-only contact: UNCONFIRMED.
        "personType": {"class": "Group", "subclass": "PublicDistributionList"} if group
        else {"class": "Person", "subclass": "OrganizationUser"},
    }


def _mail_person(address: str, name: str | None, score: float) -> dict:
    return {
        "id": str(uuid.uuid5(_PEOPLE_NS, address)), "displayName": name or address,
        "givenName": None, "surname": None, "birthday": "", "personNotes": "",
        "isFavorite": False, "jobTitle": None, "companyName": None, "yomiCompany": "",
        "department": None, "officeLocation": None, "profession": "", "userPrincipalName": "",
        "imAddress": None,
        "scoredEmailAddresses": [{"address": address, "relevanceScore": score,
                                  "selectionLikelihood": "notSpecified"}],
        "phones": [], "postalAddresses": [], "websites": [],
        "personType": {"class": "Person", "subclass": "ImplicitContact"},
    }


def relevant_people(owner) -> list[dict]:
    directory = get_state().directory
    scores, names = _scores(owner)
    own = {a.lower() for a in (owner.mail, owner.user_principal_name) if a}
    people, seen = [], set(own)  # the user is left out of their own list (UNCONFIRMED)
    for user in directory.users.values():
        if user.tenant_id != owner.tenant_id or user.address in seen:
            continue
        seen.add(user.address)
        people.append(_directory_person(user, float(scores.get(user.address, 0))))
    for address, score in scores.items():
        if address not in seen:
            seen.add(address)
            people.append(_mail_person(address, names.get(address), float(score)))
    people.sort(key=lambda p: (-p["scoredEmailAddresses"][0]["relevanceScore"],
                               (p["displayName"] or "").lower()))
    return people


def _matches(person: dict, query: str) -> bool:
    words = _WORD.findall(" ".join(filter(None, (
        person["displayName"], person["givenName"], person["surname"],
        *(e["address"].replace(".", " ").replace("@", " ")
          for e in person["scoredEmailAddresses"])))).lower())
    terms = _WORD.findall(query.lower())
    return bool(terms) and all(any(w.startswith(t) for w in words) for t in terms)


def _int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or (name == "$top" and int(raw) < 1):
        raise GraphFailure(400, "BadRequest", f"Invalid value '{raw}' for {name} query option.")
    return int(raw)


@mailbox_route("GET", "people")
def list_people(caller: Caller, user: str | None = None):
    """People ordered by relevance to the user."""
    owner = resolve_user(caller, user)
    _check_permission(caller, own=not caller.app_only and owner.id == caller.user.id)
    for name in request.args:
        if name.startswith("$") and name.lower() not in OPTIONS:
            raise GraphFailure(501, "NotImplemented",
                               f"The emulator does not implement the {name} query option.")
    people = relevant_people(owner)
    search = request.args.get("$search")
    if search is not None:
        query = search.strip().strip('"')
        if query.lower().startswith("topic:"):
            raise GraphFailure(501, "NotImplemented", "The emulator does not search by topic.")
        if "$skip" in request.args:
            raise GraphFailure(400, "BadRequest",  # documented as unsupported; wording UNCONFIRMED
                               "$skip is not supported with $search.")
        people = [p for p in people if _matches(p, query)]
    top, skip = _int("$top", 10), _int("$skip", 0)
    select = [s.strip() for s in (request.args.get("$select") or "").split(",") if s.strip()]
    by_lower = {n.lower(): n for n in PERSON_DEFAULT}
    for name in select:
        if name.lower() not in by_lower:
            raise GraphFailure(400, "BadRequest", f"Could not find a property named '{name}' "
                               "on type 'microsoft.graph.person'.")
    fields = ["id", *(by_lower[n.lower()] for n in select)] if select else PERSON_DEFAULT
    page = [{k: p[k] for k in fields} for p in people[skip:skip + top]]
    payload = {"@odata.context": f"{api_base()}/$metadata#users('{owner.id}')/people", "value": page}
    if search is None and skip + top < len(people):
        args = dict(request.args, **{"$top": str(top), "$skip": str(skip + top)})
        payload["@odata.nextLink"] = f"{request.base_url}?{urlencode(args, safe='$,')}"
    return json_response(payload)
