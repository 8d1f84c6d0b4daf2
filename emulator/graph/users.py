"""``GET /me`` and ``GET /users/{id | userPrincipalName}``: the user's default property set."""
from __future__ import annotations

from flask import request

from .auth import DIRECTORY_DENIED, Caller, resolve_user
from .common import api_base, json_response
from .render import parse_select
from .routes import mailbox_route

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
