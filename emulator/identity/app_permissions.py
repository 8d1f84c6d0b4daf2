"""Application permissions granted per tenant: what a client-credentials token's ``roles`` carry.

An app registration lists the application permissions it wants (``AppRegistration.app_roles``);
they take effect in a tenant only once an administrator of that tenant consents (the client
credentials and admin-consent docs). Grants live in ``Directory.app_permission_grants``, so
``State.reset()`` brings back the demo tenant's consent for the demo app. Without a grant the
token endpoint still issues an app-only token, with no ``roles`` claim: Microsoft's client
credentials doc says app-only tokens may be issued without ``roles`` and that only an
assignment requirement on the resource stops that. UNCONFIRMED: that Graph's service principal
never sets that requirement (so no AADSTS error is sent here instead).
"""
from __future__ import annotations

from ..state import State

# Graph's admin-consent wording for the application permissions an app of this kind lists.
WORDS = {
    "Mail.Send": "Send mail as any user",
    "Mail.Read": "Read mail in all mailboxes",
    "Mail.ReadWrite": "Read and write mail in all mailboxes",
    "User.Read.All": "Read all users' full profiles",
}


def granted(state: State, tenant_id: str, client_id: str) -> list[str]:
    """The application permissions an admin granted the app in the tenant, in grant order."""
    with state.lock:
        return list(state.directory.app_permission_grants.get((tenant_id, client_id), []))


def grant_listed(state: State, tenant_id: str, client_id: str) -> list[str]:
    """Admin consent to ``/.default``: grant every application permission the app lists."""
    with state.lock:
        app = state.directory.apps[client_id]
        held = state.directory.app_permission_grants.setdefault((tenant_id, client_id), [])
        held.extend(name for name in app.app_roles if name not in held)
        return list(held)


def revoke(state: State, tenant_id: str, client_id: str) -> list[str]:
    """Remove the tenant's grant to the app (as deleting its app role assignments would)."""
    with state.lock:
        return state.directory.app_permission_grants.pop((tenant_id, client_id), [])


def describe(names) -> list[str]:
    """Plain-words lines for the admin-consent page."""
    return [WORDS.get(name, f"{name} (application permission)") for name in names]
