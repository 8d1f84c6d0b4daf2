"""``/_emulator/notifications``: what the notification dispatcher did, and fault rules for it.

``GET`` gives the settings, the number of subscriptions, jobs pending, counters (produced,
delivered, failed_attempts, dropped, duplicated, discarded, expired, paused, lifecycle_*) and
the last deliveries. ``PUT`` changes settings until the next reset, e.g. ``{"drop_one_in": 10,
"duplicate_one_in": 10, "delay_ms": 200, "retry_base_seconds": 0.1}`` (a dropped notification
sends a ``missed`` lifecycle notification, as Graph does when it could not deliver), or
``{"http_loopback": false}`` to refuse http notification URLs as Graph always does. ``DELETE``
restores the defaults. ``POST /_emulator/notifications/subscriptions/{id}/remove`` removes a
subscription as the service may, with a ``subscriptionRemoved`` lifecycle notification.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ...state import get_state
from .registry import Settings, registry

notifications_bp = Blueprint("notifications", __name__, url_prefix="/_emulator/notifications")


def _report():
    return jsonify(registry(get_state()).report())


@notifications_bp.get("")
def show():
    """Settings, counters and the recent deliveries."""
    return _report()


@notifications_bp.route("", methods=["PUT", "PATCH"])
def change():
    """Change some settings (fault rules, retry schedule, timeouts, http loopback URLs)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "a JSON object of settings is required"}), 400
    reg = registry(get_state())
    trial = Settings(**vars(reg.settings))
    try:
        trial.update(body)  # all or nothing: a bad value changes no setting
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    reg.settings = trial
    return _report()


@notifications_bp.delete("")
def defaults():
    """Back to Graph's behaviour: no faults, the documented timeouts."""
    state = get_state()
    registry(state).settings = Settings(http_loopback=state.http_loopback_webhooks)
    return "", 204


@notifications_bp.post("/subscriptions/<subscription_id>/remove")
def remove(subscription_id: str):
    """Remove a subscription as the service may, telling its lifecycle URL."""
    reg = registry(get_state())
    sub = reg.remove(subscription_id)
    if sub is None:
        return jsonify({"error": f"no subscription '{subscription_id}'"}), 404
    reg.lifecycle(sub, "subscriptionRemoved")
    return "", 204
