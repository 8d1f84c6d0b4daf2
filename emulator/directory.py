"""The demo directory: tenants, users, mailboxes, mailbox grants and app registrations.

Everything a sign-in or a Graph call looks up lives here, as plain dataclasses built by
``demo_directory()``. Ids are fixed GUIDs so that a demo user keeps the same ``oid`` across
restarts (the app's token cache and a person's bookmarks stay valid); passwords are demo values,
printed by ``python -m emulator accounts`` and the README, and unlock nothing but this emulator.
"""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field

CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
WORK_TENANT_ID = "4f2d1b6e-8c3a-4e57-9b1d-2a6f0c9e7d31"
WORK_DOMAIN = "contoso.example"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"
DEMO_CLIENT_ID = "6a1f9c3e-2b7d-4e8a-9f05-3c4d2e1b0a97"
# A public client (no secret, "Allow public client flows" on): scripts using the device code flow.
DEMO_CLI_CLIENT_ID = "0c5e7a2d-94b1-4f6e-8d3a-7b2f1e9c4a68"
GLOBAL_ADMIN = "Global Administrator"  # the directory role that may grant tenant-wide consent
DEMO_PASSWORD = "Demo-Passw0rd!"

# Mailbox rights, named as Exchange names them.
SEND_AS = "SendAs"
SEND_ON_BEHALF = "SendOnBehalf"
FULL_ACCESS = "FullAccess"


@dataclass
class Tenant:
    id: str
    domains: tuple[str, ...]
    display_name: str
    kind: str  # "work" or "personal"


@dataclass
class User:
    """A directory object that can own a mailbox: a person, a shared mailbox or a group."""

    id: str  # the Graph user id, equal to the id token's oid
    tenant_id: str
    user_principal_name: str
    display_name: str
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    mail: str | None = None
    mobile_phone: str | None = None
    office_location: str | None = None
    preferred_language: str | None = "en-US"
    business_phones: list[str] = field(default_factory=list)
    password: str | None = None  # None: cannot sign in (shared mailbox, group)
    kind: str = "user"  # "user", "shared" (shared mailbox) or "group" (distribution list)
    members: list[str] = field(default_factory=list)  # group members' addresses
    max_message_size: int = 35 * 1024 * 1024  # Exchange Online's default
    has_mailbox: bool = True  # False for a distribution list: no Sent Items
    directory_roles: list[str] = field(default_factory=list)  # e.g. ["Global Administrator"]

    @property
    def is_admin(self) -> bool:
        """May grant consent for the whole tenant (admin-only permissions, /adminconsent)."""
        return GLOBAL_ADMIN in self.directory_roles

    @property
    def address(self) -> str:
        return (self.mail or self.user_principal_name).lower()

    def graph_json(self) -> dict:
        """The default property set of GET /users/{id}."""
        return {
            "businessPhones": list(self.business_phones),
            "displayName": self.display_name,
            "givenName": self.given_name,
            "jobTitle": self.job_title,
            "mail": self.mail,
            "mobilePhone": self.mobile_phone,
            "officeLocation": self.office_location,
            "preferredLanguage": self.preferred_language,
            "surname": self.surname,
            "userPrincipalName": self.user_principal_name,
            "id": self.id,
        }


@dataclass
class AppRegistration:
    client_id: str
    display_name: str
    secrets: list[str]
    redirect_uris: list[str]
    # AzureADMyOrg, AzureADMultipleOrgs, AzureADandPersonalMicrosoftAccount, PersonalMicrosoftAccount
    sign_in_audience: str = "AzureADandPersonalMicrosoftAccount"
    home_tenant_id: str = WORK_TENANT_ID
    # Application permissions listed under "API permissions" (client credentials), e.g.
    # ["Mail.Send"]. They take effect in a tenant only once its admin consents: see
    # ``Directory.app_permission_grants``.
    app_roles: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    # Delegated permissions listed under "API permissions": what /.default asks an admin for.
    required_permissions: list[str] = field(default_factory=list)
    # "Allow public client flows": may redeem without a secret (device code, desktop apps).
    public_client: bool = False
    # App roles the app defines, assigned to users: user id -> role values (id token "roles").
    user_roles: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Directory:
    tenants: dict[str, Tenant]
    users: dict[str, User]  # by id
    apps: dict[str, AppRegistration]  # by client_id
    # grants[(grantee_id, mailbox_id)] = {SEND_AS, SEND_ON_BEHALF, FULL_ACCESS}
    grants: dict[tuple[str, str], set[str]]
    # Application permissions an admin granted: (tenant id, client id) -> names, in grant order.
    app_permission_grants: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def tenant(self, name: str) -> Tenant | None:
        """A tenant by GUID or by one of its domains (case-insensitive)."""
        key = name.lower()
        for tenant in self.tenants.values():
            if tenant.id == key or key in tenant.domains:
                return tenant
        return None

    def user(self, id_or_upn: str) -> User | None:
        """A user by object id, user principal name or mail address."""
        key = id_or_upn.strip().lower()
        if key in self.users:
            return self.users[key]
        for user in self.users.values():
            if key in (user.user_principal_name.lower(), user.address):
                return user
        return None

    def sign_in_users(self, tenant_id: str | None = None) -> list[User]:
        return [
            u for u in self.users.values()
            if u.password and (tenant_id is None or u.tenant_id == tenant_id)
        ]

    def rights(self, grantee_id: str, mailbox_id: str) -> set[str]:
        return self.grants.get((grantee_id, mailbox_id), set())

    def grant(self, grantee: str, mailbox: str, *rights: str) -> None:
        g, m = self.user(grantee), self.user(mailbox)
        if g is None or m is None:
            raise KeyError(f"unknown user: {grantee if g is None else mailbox}")
        self.grants.setdefault((g.id, m.id), set()).update(rights)

    def copy(self) -> "Directory":
        """A deep copy, so that a test may change grants without touching the demo data."""
        return Directory(
            tenants={k: dataclasses.replace(v) for k, v in self.tenants.items()},
            users={k: dataclasses.replace(v, business_phones=list(v.business_phones),
                                          members=list(v.members),
                                          directory_roles=list(v.directory_roles))
                   for k, v in self.users.items()},
            apps={k: dataclasses.replace(v, secrets=list(v.secrets),
                                         redirect_uris=list(v.redirect_uris),
                                         app_roles=list(v.app_roles),
                                         post_logout_redirect_uris=list(v.post_logout_redirect_uris),
                                         required_permissions=list(v.required_permissions),
                                         user_roles={u: list(r) for u, r in v.user_roles.items()})
                  for k, v in self.apps.items()},
            grants={k: set(v) for k, v in self.grants.items()},
            app_permission_grants={k: list(v) for k, v in self.app_permission_grants.items()},
        )


def _oid(name: str) -> str:
    """A stable GUID for a demo object, so ids survive restarts."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mail-emulator:{name}"))


def _work_user(alias: str, given: str, surname: str, job: str, office: str, phone: str) -> User:
    upn = f"{alias}@{WORK_DOMAIN}"
    return User(
        id=_oid(upn), tenant_id=WORK_TENANT_ID, user_principal_name=upn,
        display_name=f"{given} {surname}", given_name=given, surname=surname,
        job_title=job, mail=upn, office_location=office, business_phones=[phone],
        mobile_phone=None, password=DEMO_PASSWORD,
    )


def demo_directory(client_secret: str, redirect_uris: list[str] | None = None) -> Directory:
    """The demo tenant, its people, a shared mailbox, a distribution list and one personal account.

    Grants, as an Exchange admin would set them:
      - Adele may send *on behalf of* Alex, and *as* the Sales shared mailbox (with Full Access),
        and on behalf of the All Staff distribution list.
      - Megan may send *as* Alex, without Full Access.
      - Patti holds no rights: her attempts to send from another mailbox are denied.
    The MOD Administrator is the tenant's Global Administrator: the one who can grant admin
    consent, and who holds the demo app's "Mailer.Admin" app role; Megan holds its
    "Mailer.Sender" role (she may run mail merges, not manage API keys). The tenant starts with
    admin consent for the demo app's application permissions, so app-only sending works out of
    the box.
    """
    adele = _work_user("adele", "Adele", "Vance", "Retail Manager", "18/2111", "+1 425 555 0109")
    alex = _work_user("alex", "Alex", "Wilber", "Marketing Assistant", "131/1104", "+1 858 555 0110")
    megan = _work_user("megan", "Megan", "Bowen", "Marketing Manager", "12/1110", "+1 412 555 0109")
    patti = _work_user("patti", "Patti", "Fernandez", "President", "15/1102", "+1 980 555 0101")
    admin = _work_user("admin", "MOD", "Administrator", "IT Administrator", "1/1001",
                       "+1 425 555 0100")
    admin.directory_roles = [GLOBAL_ADMIN]
    sales = User(
        id=_oid(f"sales@{WORK_DOMAIN}"), tenant_id=WORK_TENANT_ID,
        user_principal_name=f"sales@{WORK_DOMAIN}", mail=f"sales@{WORK_DOMAIN}",
        display_name="Sales", kind="shared", preferred_language=None,
    )
    staff = User(
        id=_oid(f"allstaff@{WORK_DOMAIN}"), tenant_id=WORK_TENANT_ID,
        user_principal_name=f"allstaff@{WORK_DOMAIN}", mail=f"allstaff@{WORK_DOMAIN}",
        display_name="All Staff", kind="group", preferred_language=None, has_mailbox=False,
        members=[u.address for u in (adele, alex, megan, patti)],
    )
    sam = User(
        id=_oid("sam.taylor@outlook.example"), tenant_id=CONSUMERS_TENANT_ID,
        user_principal_name="sam.taylor@outlook.example", mail="sam.taylor@outlook.example",
        display_name="Sam Taylor", given_name="Sam", surname="Taylor", password=DEMO_PASSWORD,
    )
    tenants = {
        WORK_TENANT_ID: Tenant(WORK_TENANT_ID, (WORK_DOMAIN, "contoso.onmicrosoft.example"),
                               "Contoso (demo)", "work"),
        CONSUMERS_TENANT_ID: Tenant(CONSUMERS_TENANT_ID, (), "Microsoft accounts (demo)", "personal"),
    }
    app = AppRegistration(
        client_id=DEMO_CLIENT_ID, display_name="Mail sender (demo)", secrets=[client_secret],
        redirect_uris=list(redirect_uris or []),
        # Application permissions an app-only sender and reader needs.
        app_roles=["Mail.Send", "Mail.Read", "Mail.ReadWrite", "User.Read.All"],
        # Its delegated permissions as the README's step 3 lists them for Entra: what an
        # admin's /.default consent grants every user of the tenant at once.
        required_permissions=["User.Read", "Mail.Send", "Mail.Send.Shared", "Mail.ReadWrite",
                              "Mail.Read", "Mail.Read.Shared", "Mail.ReadWrite.Shared",
                              "People.Read", "User.ReadBasic.All"],
        user_roles={admin.id: ["Mailer.Admin"], megan.id: ["Mailer.Sender"]},
    )
    cli = AppRegistration(
        client_id=DEMO_CLI_CLIENT_ID, display_name="Mail CLI (demo)", secrets=[],
        redirect_uris=["http://localhost"], public_client=True,
        required_permissions=["User.Read", "Mail.Send"],
    )
    directory = Directory(
        tenants=tenants,
        users={u.id: u for u in (adele, alex, megan, patti, admin, sales, staff, sam)},
        apps={app.client_id: app, cli.client_id: cli},
        grants={},
        app_permission_grants={(WORK_TENANT_ID, app.client_id): list(app.app_roles)},
    )
    directory.grant(adele.id, alex.id, SEND_ON_BEHALF)
    directory.grant(adele.id, sales.id, SEND_AS, FULL_ACCESS)
    directory.grant(adele.id, staff.id, SEND_ON_BEHALF)
    directory.grant(megan.id, alex.id, SEND_AS)
    return directory
