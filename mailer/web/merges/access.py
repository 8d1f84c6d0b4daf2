"""Who may use the merge pages, and which merges each one sees.

People holding ``Mailer.Admin`` or ``Mailer.Sender`` (the id token's app roles, checked again
every ROLE_CHECK_EVERY seconds): a sender runs merges from the mailboxes automation may send
as, without managing API keys; she sees the merges she started, an admin sees every merge (the
command line's too). A merge someone may not see is "not found", as if it did not exist.
"""
from __future__ import annotations

from mailer.web.admin.base import ADMIN_ROLE, refused_page
from mailer.web.auth import current_roles, current_user

SENDER_ROLE = "Mailer.Sender"
ROLES = (ADMIN_ROLE, SENDER_ROLE)


def me() -> str:
    """The signed-in person's username, as merges record who started them."""
    return ((current_user() or {}).get("username") or "").lower()


def is_admin() -> bool:
    return ADMIN_ROLE in current_roles()


def merge_people_only():
    """A before_request: the 403 page in words for anyone without either role."""
    if not set(ROLES) & set(current_roles()):
        return refused_page(f"the app role {SENDER_ROLE} (people who run mail merges) or "
                            f"{ADMIN_ROLE} (administrators)")
    return None


def may_see(found: dict | None) -> bool:
    """Whether the signed-in person may see this merge (its record, or a summary of it)."""
    return bool(found) and (is_admin() or (found.get("started_by") or "") == me())


def whose() -> str | None:
    """The merges list's filter on who started them: None (everyone's) for an admin."""
    return None if is_admin() else me()
