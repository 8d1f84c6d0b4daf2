"""``/_emulator``: health and reset, for scripts and tests."""
from flask import Blueprint, jsonify

from .state import get_state

admin_bp = Blueprint("admin", __name__, url_prefix="/_emulator")


@admin_bp.get("/health")
def health():
    """Liveness, for scripts waiting on start-up."""
    return jsonify({"status": "ok"})


@admin_bp.post("/reset")
def reset():
    """Back to the demo directory: no tokens, consents, mail or faults."""
    get_state().reset()
    return "", 204
