"""``/devicelogin`` on the sign-in pages origin: the person types the device flow's code.

A known, pending code starts an ordinary sign-in flow of kind ``device`` (account picker or
username and password, then consent); its end records the answer on the device code (see
``device_code_grant.settle``) instead of redirecting anywhere, and says the device may go on.
"""
from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from . import device_code_grant
from .authorize_request import AuthorizeRequest
from .signin_pages import _route, headers
from .signin_sessions import FLOW_KINDS, get_or_create_session, new_flow, set_cookie
from ..state import get_state

device_bp = Blueprint("devicelogin", __name__)
device_bp.after_request(headers)  # no-store, no framing, as every sign-in page

BAD_CODE = "That code didn't work. Check the code and try again."


def _code_page(error: str | None = None, status: int = 200):
    return make_response(render_template("signin/devicelogin.html", error=error), status)


@device_bp.get("/devicelogin")
def devicelogin():
    """The "Enter code" page."""
    return _code_page()


@device_bp.post("/devicelogin")
def enter_code():
    """A typed code: on to sign-in for the device's app, or the page again with an error."""
    state = get_state()
    device_code, record = device_code_grant.by_user_code(state, request.form.get("otc", ""))
    if record is None:
        return _code_page(BAD_CODE, 400)
    req = AuthorizeRequest(
        tenant=record["tenant"], client_id=record["client_id"], redirect_uri="",
        response_mode="query", state=None, scope=record["scope"], nonce=None, prompt=None,
        login_hint=None, domain_hint=None, code_challenge="", code_challenge_method="plain",
        client_info=False, max_age=None)
    sid, session, _ = get_or_create_session(state)
    flow = new_flow(state, session, req, kind="device", device_code=device_code)
    response = make_response(_route(state, session, flow, req))
    set_cookie(response, sid)
    return response


class _DeviceFlow:
    """How a device flow ends: the answer goes to the device code, the page says so."""

    @staticmethod
    def after_sign_in(state, session, flow, req, user):
        return None  # the usual consent rules apply

    @staticmethod
    def finish(state, session, flow, req, user):
        done = device_code_grant.settle(state, flow["device_code"], user=user, session=session)
        return _done(state, req, done is not None, declined=False)

    @staticmethod
    def decline(state, session, flow, req):
        done = device_code_grant.settle(state, flow["device_code"], declined=True)
        return _done(state, req, done is not None, declined=True)


def _done(state, req, recorded: bool, declined: bool):
    app = state.directory.apps[req.client_id]
    if not recorded:
        return _code_page("This code has expired or was already used. Start again on your "
                          "device.", 400)
    return render_template("signin/device_done.html", app=app, declined=declined)


FLOW_KINDS["device"] = _DeviceFlow()
