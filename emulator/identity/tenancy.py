"""The ``{tenant}`` path segment, and who may sign in where.

``common`` (work and personal accounts), ``organizations`` (work accounts), ``consumers``
(personal accounts) or one tenant by GUID or verified domain. An app's ``signInAudience``
narrows that further. The messages are Microsoft's own where a source gave them (AADSTS
reference, recorded sign-in pages); each check says which code it stands for.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..directory import CONSUMERS_TENANT_ID, AppRegistration, Directory, Tenant, User

ALIASES = ("common", "organizations", "consumers")
PERSONAL_ONLY = "PersonalMicrosoftAccount"
MY_ORG = "AzureADMyOrg"
MULTIPLE_ORGS = "AzureADMultipleOrgs"


@dataclass(frozen=True)
class TenantPath:
    segment: str  # as it appears in URLs we build: the alias, or the tenant GUID
    alias: str | None  # common / organizations / consumers, None for one tenant
    tenant: Tenant | None  # the one tenant (None for common / organizations)

    @property
    def personal_only(self) -> bool:
        return self.alias == "consumers" or (self.tenant is not None and self.tenant.kind == "personal")

    @property
    def work_only(self) -> bool:
        return self.alias == "organizations" or (self.tenant is not None and self.tenant.kind == "work")

    @property
    def specific(self) -> bool:
        """One known tenant (a GUID or domain), as client credentials need."""
        return self.alias is None


def resolve(directory: Directory, segment: str) -> TenantPath | None:
    """The tenant path for a URL segment, or None (→ AADSTS90002)."""
    name = segment.strip().lower()
    if name in ("common", "organizations"):
        return TenantPath(name, name, None)
    if name == "consumers":
        return TenantPath(name, name, directory.tenants.get(CONSUMERS_TENANT_ID))
    tenant = directory.tenant(name)
    if tenant is None:
        return None
    return TenantPath(tenant.id, None, tenant)


def unknown_tenant_message(segment: str) -> str:
    return (f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID "
            "and are signing into the correct cloud. Check with your subscription administrator, "
            "this may happen if there are no active subscriptions for the tenant.")


def unknown_app_message(client_id: str, path: TenantPath | None, segment: str) -> str:
    """AADSTS700016: the app is not in the directory the request named (or implied)."""
    directory = path.tenant.id if path is not None and path.tenant is not None else segment
    return (f"Application with identifier '{client_id}' was not found in the directory "
            f"'{directory}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You may have "
            "sent your authentication request to the wrong tenant.")


def app_path_error(app: AppRegistration, path: TenantPath) -> tuple[int, str] | None:
    """(code, message) when the app cannot be used at this endpoint at all (a page, not a redirect)."""
    name = f"'{app.client_id}'({app.display_name})"
    audience = app.sign_in_audience
    if audience in (MY_ORG, MULTIPLE_ORGS) and path.personal_only:
        return 9002332, (f"Application {name} is configured for use by Azure Active Directory users "
                         "only. Please do not use the /consumers endpoint to serve this request.")
    if audience == MY_ORG and not path.specific:
        return 50194, (f"Application {name} is not configured as a multi-tenant application. Usage "
                       "of the /common endpoint is not supported for such applications. Use a "
                       "tenant-specific endpoint or configure the application to be multi-tenant.")
    if audience == PERSONAL_ONLY and path.work_only:
        return 9002331, (f"Application {name} is configured for use by Microsoft Account users "
                         "only. Please use the /consumers endpoint to serve this request.")
    return None


def user_error(app: AppRegistration, path: TenantPath, user: User) -> str | None:
    """Why this account cannot sign in to this app at this endpoint; None when it can."""
    personal = user.tenant_id == CONSUMERS_TENANT_ID
    if personal and (path.work_only or app.sign_in_audience in (MY_ORG, MULTIPLE_ORGS)):
        # AADSTS500208: a personal account where only work or school accounts are allowed.
        return ("You can't sign in here with a personal account. Use your work or school "
                "account instead.")
    if not personal and (path.personal_only or app.sign_in_audience == PERSONAL_ONLY):
        return ("You can't sign in here with a work or school account. Use your personal "
                "Microsoft account instead.")
    tenant_id = path.tenant.id if path.tenant is not None and not personal else None
    if app.sign_in_audience == MY_ORG:
        tenant_id = app.home_tenant_id
    if tenant_id is not None and user.tenant_id != tenant_id:
        return (f"AADSTS50020: User account '{user.user_principal_name}' from identity provider "
                f"'https://sts.windows.net/{user.tenant_id}/' does not exist in tenant "
                f"'{tenant_id}' and cannot access the application '{app.client_id}'"
                f"({app.display_name}) in that tenant. The account needs to be added as an "
                "external user in the tenant first. Sign out and sign in again with a different "
                "Azure Active Directory user account.")
    return None


def same_authority(issued_at: str, path: TenantPath, directory: Directory, user: User) -> bool:
    """A code or refresh token is redeemed at the endpoint it came from, or at the user's tenant.

    AADSTS700005: "Authorization Code must be redeemed against same tenant it was acquired for
    (/common or /{tenant-ID} as appropriate)".
    """
    origin = resolve(directory, issued_at)
    if origin is None:
        return False
    if path.alias is not None and path.alias == origin.alias:
        return True
    if path.tenant is not None and path.alias is None:
        if origin.alias is None:
            return origin.tenant is not None and origin.tenant.id == path.tenant.id
        return path.tenant.id == user.tenant_id
    return False
