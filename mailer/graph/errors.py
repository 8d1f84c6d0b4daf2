"""GraphError, the one exception of the Graph boundary, and advice in plain words.

Every failed call (an error answer, a network failure, an unknown outcome) becomes a
``GraphError(status, code, message, request_id)``. ``explain()`` turns it into what a person
can act on: what went wrong and what to do next. It branches on ``code`` (never on Graph's
message text, which Microsoft rewords), and falls back on the status.
"""
from __future__ import annotations

import requests

from mailer.graph.retry import parse_retry_after

NETWORK_ERROR = "NetworkError"  # nothing reached Graph, or an idempotent call failed
OUTCOME_UNKNOWN = "OutcomeUnknown"  # a send went out but its answer never came back
SIGN_IN_UNAVAILABLE = "SignInUnavailable"  # no token: the sign-in service failed (not Graph)


class GraphError(Exception):
    """A failed Graph call, parsed from Graph's error body."""

    def __init__(self, status: int, code: str, message: str, request_id: str | None = None,
                 retry_after: float | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.request_id = status, code, message, request_id
        self.retry_after = retry_after  # seconds Graph asked us to wait, when it said so

    @classmethod
    def from_response(cls, response: requests.Response) -> "GraphError":
        try:
            error = response.json().get("error", {})
            if not isinstance(error, dict):
                error = {}
        except ValueError:
            error = {}
        inner = error.get("innerError") or error.get("innererror") or {}
        retry_after = None
        value = response.headers.get("Retry-After")
        if value:
            retry_after = parse_retry_after(value)
        return cls(response.status_code, error.get("code") or f"HTTP{response.status_code}",
                   error.get("message") or response.reason or "",
                   response.headers.get("request-id") or inner.get("request-id"), retry_after)

    @property
    def outcome_unknown(self) -> bool:
        return self.code == OUTCOME_UNKNOWN


SEND_AS_ADVICE = (
    "You are not allowed to send from that mailbox. Sending from another mailbox needs one of two "
    "Exchange rights on it: Send As (the mail looks as if that mailbox sent it; only an Exchange "
    "administrator can grant it) or Send on Behalf (recipients see \"you on behalf of them\"; the "
    "mailbox owner can grant it in Outlook, or an administrator in the Microsoft 365 admin center). "
    "This app also needs the Mail.Send.Shared permission, which you are asked to consent to (your "
    "organisation may require an administrator to consent). Microsoft Graph cannot list the "
    "mailboxes you may send from, so this shows only when sending. Ask the mailbox owner or your "
    "administrator for the right, check the address, or send from your own address.")

_ADVICE = {
    "ErrorSendAsDenied": SEND_AS_ADVICE,
    "ErrorInvalidRecipients": "Graph could not resolve a recipient. {detail} Check the address "
                              "for typos and that it exists, then send again.",
    "ErrorMessageSizeExceeded": "The message is larger than the mailbox accepts. {detail} Remove or "
                                "shrink an attachment (or share a link instead), then send again.",
    "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize": "An attachment was too small for an upload "
                                                         "session. {detail} Send again.",
    "RequestEntityTooLarge": "The request was too large for Graph. {detail} Remove or shrink an "
                             "attachment, then send again.",
    "ErrorAccessDenied": "Access was denied. {detail} You (or this app) lack a permission for this "
                         "mailbox or action. If you were not asked to consent to Mail.Send (and "
                         "Mail.ReadWrite for large attachments), sign in again to grant it; an "
                         "administrator may also have restricted the app.",
    "Authorization_RequestDenied": "Access was denied. {detail} Consent to the permission asked for, "
                                   "or ask an administrator to grant it.",
    "InvalidAuthenticationToken": "Your sign-in has expired or is not valid for Microsoft Graph. "
                                  "Sign in again; what you typed and attached is kept.",
    "MailboxNotEnabledForRESTAPI": "This account has no Exchange Online mailbox that Graph can use "
                                   "(it is inactive, soft-deleted or hosted on-premises). Use an "
                                   "account with an Exchange Online mailbox.",
    "TooManyRequests": "Microsoft Graph is throttling requests. {wait}Your message was not sent; "
                       "try again shortly.",
    "ApplicationThrottled": "Microsoft Graph is throttling this app. {wait}Your message was not "
                            "sent; try again shortly.",
    "serviceNotAvailable": "Microsoft Graph is temporarily unavailable. {wait}Your message was not "
                           "sent; try again shortly.",
    NETWORK_ERROR: "Microsoft Graph could not be reached. {detail} Check the connection and try "
                   "again.",
    SIGN_IN_UNAVAILABLE: "Microsoft's sign-in service did not answer, so the app could not get "
                         "a token for Microsoft Graph. {detail} Your message is kept; try again "
                         "in a few seconds.",
    OUTCOME_UNKNOWN: "The connection dropped after the message was handed to Graph, so whether it "
                     "was sent is not known. Check your Sent Items before sending again.",
}
_BY_STATUS = {
    401: "InvalidAuthenticationToken", 403: "ErrorAccessDenied", 413: "RequestEntityTooLarge",
    429: "TooManyRequests", 503: "serviceNotAvailable", 504: "serviceNotAvailable",
}
CONSENT_CODES = {"Authorization_RequestDenied"}


def needs_sign_in(error: GraphError) -> bool:
    """True when a fresh sign-in (or consent) is the way forward."""
    return error.status == 401 or error.code in {"InvalidAuthenticationToken"} | CONSENT_CODES


def explain(error: GraphError, detail: str = "") -> str:
    """Plain words for ``error``: what happened and what to do next.

    ``detail`` (e.g. which file or address, which limit) is woven in where it helps; when it is
    empty, Graph's own message is used for the codes whose message carries the specifics.
    """
    code = error.code if error.code in _ADVICE else _BY_STATUS.get(error.status, "")
    if code in ("ErrorInvalidRecipients", "ErrorMessageSizeExceeded", "ErrorAccessDenied",
                "RequestEntityTooLarge", NETWORK_ERROR, SIGN_IN_UNAVAILABLE) and not detail:
        detail = error.message
    wait = ""
    if error.retry_after:
        wait = f"It asked to wait {error.retry_after:.0f} seconds. "
    template = _ADVICE.get(code)
    if template is None:
        text = f"Microsoft Graph refused the request ({error.status} {error.code}): {error.message}"
    else:
        text = template.format(detail=detail.strip(), wait=wait)
    text = " ".join(text.split())
    if error.request_id:
        text += f" (request id {error.request_id})"
    return text
