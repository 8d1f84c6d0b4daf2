"""``/_emulator``: health and reset, sending limits, the mail clock and delta-token expiry, more
shared mailboxes, for scripts and tests."""
import datetime as dt

from flask import Blueprint, jsonify, request

from .directory import WORK_DOMAIN, WORK_TENANT_ID, User, _oid
from .graph.mail.store import MailStore
from .graph.sending_limits import LimitError, clock, limits_of, parse_settings
from .state import get_state

admin_bp = Blueprint("admin", __name__, url_prefix="/_emulator")


@admin_bp.get("/health")
def health():
    """Liveness, for scripts waiting on start-up."""
    return jsonify({"status": "ok"})


@admin_bp.post("/reset")
def reset():
    """Back to the demo directory (its admin consent to the demo app's application permissions
    included): no tokens, other consents, mail or faults."""
    get_state().reset()
    return "", 204


@admin_bp.get("/limits")
def get_limits():
    """Sending and throttling limits in force, and each mailbox's usage (by user id)."""
    state = get_state()
    limits = limits_of(state)
    return jsonify({"limits": dict(limits.settings), "usage": limits.usage(clock(state))})


@admin_bp.route("/limits", methods=["PUT", "PATCH", "POST"])
def put_limits():
    """Change some limits until the next reset, e.g. ``{"messages_per_minute": 3}``."""
    try:
        changes = parse_settings(request.get_json(silent=True))
    except LimitError as exc:
        return jsonify({"error": str(exc)}), 400
    limits = limits_of(get_state())
    with limits.lock:
        limits.settings.update(changes)
    return get_limits()


@admin_bp.route("/clock", methods=["GET", "PUT"])
def mail_clock():
    """The mail clock's offset from real time (``{"offset_seconds": 90}`` moves it), which
    deferred sends and sending limits read: tests move it instead of sleeping."""
    store = get_state().extension("mail", MailStore)
    if request.method == "PUT":
        body = request.get_json(silent=True)
        offset = body.get("offset_seconds") if isinstance(body, dict) else None
        if isinstance(offset, bool) or not isinstance(offset, (int, float)):
            return jsonify({"error": "offset_seconds (a number of seconds) is required"}), 400
        store.clock_offset = dt.timedelta(seconds=offset)
    return jsonify({"offset_seconds": store.clock_offset.total_seconds()})


@admin_bp.post("/delta/expire")
def expire_delta_tokens():
    """Every delta token issued so far becomes too old (410 SyncStateNotFound), as when
    Outlook's token cache drops them: for tests of a client's full resync."""
    store = get_state().extension("mail", MailStore)
    with store.lock:
        for box in store.mailboxes.values():
            box.changes.expire()
    return "", 204


@admin_bp.post("/directory/shared-mailboxes")
def add_shared_mailbox():
    """One more shared mailbox in the demo tenant (``{"address": "box07@contoso.example"}``),
    for benchmarks of many mailboxes at once; gone at the next reset. 201, or 200 if it is
    there already."""
    body = request.get_json(silent=True)
    address = (body.get("address") if isinstance(body, dict) else None) or ""
    alias, _, domain = address.lower().partition("@")
    if not alias or domain != WORK_DOMAIN or not alias.replace(".", "").replace("-", "").isalnum():
        return jsonify({"error": f"address: a name @{WORK_DOMAIN}"}), 400
    state = get_state()
    with state.lock:
        if state.directory.user(address) is not None:
            return jsonify({"address": address.lower()}), 200
        user = User(id=_oid(address.lower()),
                    tenant_id=WORK_TENANT_ID, user_principal_name=address.lower(),
                    mail=address.lower(), display_name=body.get("name") or alias,
                    kind="shared", preferred_language=None)
        state.directory.users[user.id] = user
    return jsonify({"address": user.address, "id": user.id}), 201
