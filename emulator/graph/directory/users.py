"""``GET /me``, ``GET /users/{id | userPrincipalName}`` and ``GET /users`` (the tenant's users).

The list pages with an opaque ``$skiptoken`` (``$top`` 1..999, 100 by default) and takes the
query options of ``user_query``.
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from flask import request

from ...state import get_state
from . import user_query
from ..auth import DIRECTORY_DENIED, Caller, resolve_user
from ..common import GraphFailure, api_base, json_response
from ..mail.json_out import parse_select
from ..routing.table import mailbox_route, route

USER_PROPERTIES = ("businessPhones", "displayName", "givenName", "jobTitle", "mail",
                   "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                   "userPrincipalName", "id")
# Every other property of microsoft.graph.user (CSDL v1.0) may be $selected; we know a few.
OTHER_PROPERTIES = tuple("""
    aboutMe accountEnabled ageGroup assignedLicenses assignedPlans authorizationInfo birthday city
    companyName consentProvidedForMinor country createdDateTime creationType
    customSecurityAttributes deletedDateTime department deviceEnrollmentLimit employeeHireDate
    employeeId employeeLeaveDateTime employeeOrgData employeeType externalUserState
    externalUserStateChangeDateTime faxNumber hireDate identities identityParentId imAddresses
    interests isManagementRestricted isResourceAccount lastPasswordChangeDateTime
    legalAgeGroupClassification licenseAssignmentStates mailboxSettings mailNickname mySite
    onPremisesDistinguishedName onPremisesDomainName onPremisesExtensionAttributes
    onPremisesImmutableId onPremisesLastSyncDateTime onPremisesProvisioningErrors
    onPremisesSamAccountName onPremisesSecurityIdentifier onPremisesSyncEnabled
    onPremisesUserPrincipalName otherMails passwordPolicies passwordProfile pastProjects
    postalCode preferredDataLocation preferredName print provisionedPlans proxyAddresses
    responsibilities schools securityIdentifier serviceProvisioningErrors showInAddressList
    signInActivity signInSessionsValidFromDateTime skills state streetAddress usageLocation
    userType""".split())
_COLLECTIONS = {"assignedLicenses", "assignedPlans", "identities", "imAddresses", "interests",
                "licenseAssignmentStates", "otherMails", "pastProjects", "provisionedPlans",
                "proxyAddresses", "responsibilities", "schools", "serviceProvisioningErrors",
                "skills", "onPremisesProvisioningErrors"}


def _user_values(target) -> dict:
    data = target.graph_json()
    for name in OTHER_PROPERTIES:
        data[name] = [] if name in _COLLECTIONS else None
    address = target.mail or target.user_principal_name
    data.update({
        "accountEnabled": target.password is not None, "mailNickname": address.split("@")[0],
        "proxyAddresses": [f"SMTP:{address}"] if target.mail else [],
        "imAddresses": [address] if target.kind == "user" else [],
        "userType": "Member",
    })
    return data


@mailbox_route("GET", "")
def get_user(caller: Caller, user: str | None = None):
    """The signed-in user (/me) or a user of the caller's tenant, as Graph shows them."""
    not_found = ("Request_ResourceNotFound",
                 f"Resource '{user}' does not exist or one of its queried reference-property "
                 "objects are not present.")
    target = resolve_user(caller, user, not_found)
    own = not caller.app_only and target.id == caller.user.id
    caller.require("profile", shared=not own, denied=DIRECTORY_DENIED)
    select = parse_select(request.args.get("$select"), USER_PROPERTIES + OTHER_PROPERTIES, "user")
    data = _user_values(target)
    if select is None:
        context = f"{api_base()}/$metadata#users/$entity"
        body = {"@odata.context": context, **{k: data[k] for k in USER_PROPERTIES}}
    else:
        context = f"{api_base()}/$metadata#users({','.join(select)})/$entity"
        body = {"@odata.context": context, **{k: data[k] for k in select}}
    return json_response(body)


# Only GET /users/{id} returns these; in a list Graph answers 501 (user-list.md).
SINGLE_ONLY = {p.lower() for p in ("aboutMe", "birthday", "hireDate", "interests", "mySite",
                                   "pastProjects", "preferredName", "responsibilities", "schools",
                                   "skills", "mailboxSettings")}
PAGE_SIZE, MAX_PAGE = 100, 999  # UNCONFIRMED default; the 999 cap is Entra's own message


def _top() -> int:
    raw = next((v for k, v in request.args.items() if k.lower() == "$top"), None)
    if raw is None:
        return PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise GraphFailure(400, "Request_UnsupportedQuery", f"Invalid page size specified: "
                           f"'{raw}'. Must be between 1 and {MAX_PAGE} inclusive.")
    return int(raw)


def _skip() -> int:
    """The position a ``$skiptoken`` of ours stands for (opaque to clients)."""
    raw = next((v for k, v in request.args.items() if k.lower() == "$skiptoken"), None)
    if raw is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(raw.encode()).decode().removeprefix("emu:"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        # UNCONFIRMED wording for a skip token Entra did not issue.
        raise GraphFailure(400, "Request_BadRequest", "Invalid skip token.") from None


@route("GET", "users")
def list_users(caller: Caller):
    """The users of the caller's tenant (people and shared mailboxes; groups are not users)."""
    directory = get_state().directory
    tenant = directory.tenants.get(caller.tenant_id)
    # A personal account cannot list users (user-list.md); Graph's exact answer is UNCONFIRMED.
    if tenant is None or tenant.kind == "personal":
        raise GraphFailure(403, *DIRECTORY_DENIED)
    caller.require("profile", shared=True, denied=DIRECTORY_DENIED)
    if any(k.lower() == "$skip" for k in request.args):
        # UNCONFIRMED wording; user-list.md says only that $skip isn't supported.
        raise GraphFailure(400, "Request_BadRequest", "'$skip' is not supported by the service.")
    select = parse_select(request.args.get("$select"), USER_PROPERTIES + OTHER_PROPERTIES, "user")
    if select and any(name.lower() in SINGLE_ONLY for name in select):
        raise GraphFailure(501, "NotImplemented",  # status documented; code and wording UNCONFIRMED
                           "This operation target is not yet supported.")
    people = [u for u in directory.users.values()
              if u.tenant_id == caller.tenant_id and u.kind != "group"]
    records = {u.id: _user_values(u) for u in people}
    people, with_count = user_query.apply(people, lambda u: records[u.id])
    top, skip = _top(), _skip()
    page = people[skip:skip + top]
    names = USER_PROPERTIES if select is None else select
    context = f"{api_base()}/$metadata#users" + (f"({','.join(select)})" if select else "")
    body = {"@odata.context": context}
    if with_count:
        body["@odata.count"] = len(people)
    if skip + top < len(people):
        args = {k: v for k, v in request.args.items() if k.lower() != "$skiptoken"}
        token = base64.urlsafe_b64encode(f"emu:{skip + top}".encode()).decode()
        args["$skiptoken"] = token
        body["@odata.nextLink"] = f"{request.base_url}?{urlencode(args, safe='$,')}"
    body["value"] = [{k: records[u.id][k] for k in names} for u in page]
    return json_response(body)
