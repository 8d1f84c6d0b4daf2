"""Every sentence the app says about an outcome: Graph's errors, sign-in failures, mailbox pages
(a send job's words are job_words.py's, built on ``graph_advice``).

The layers below web/ keep outcomes as data (GraphError's status and code, AuthError's error
and AADSTS code, a send job's state, code and detail); this module and job_words.py alone turn
them into words. It branches on codes, never on Microsoft's message text (which Microsoft rewords), and
falls back on the HTTP status. What a page says around them lives in its template.
"""
from __future__ import annotations

from mailer.graph.errors import NETWORK_ERROR, OUTCOME_UNKNOWN, SIGN_IN_UNAVAILABLE, GraphError
from mailer.identity.errors import AuthError

# -- Microsoft Graph's errors ------------------------------------------------------------------
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


def graph_advice(error: GraphError, detail: str = "") -> str:
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


# -- sign-in failures -------------------------------------------------------------------------
_AGAIN = "Nothing was changed. Start the sign-in again."
_ADMIN = "Whoever runs this app has to fix its registration or configuration; "
# (title, text, status) by AADSTS code, then by error.
_BY_CODE = {
    7000215: ("The app's client secret is wrong",
              _ADMIN + "CLIENT_SECRET must be the secret's *value* (not its ID) from the app "
              "registration's Certificates & secrets.", 502),
    7000222: ("The app's client secret has expired",
              _ADMIN + "create a new client secret and set CLIENT_SECRET.", 502),
    7000218: ("The app sent no client secret", _ADMIN + "set CLIENT_SECRET.", 502),
    50011: ("This app's address is not registered with Microsoft",
            _ADMIN + "add this app's redirect URI to the app registration, or set REDIRECT_URI "
            "(behind a TLS proxy also TRUST_PROXY).", 502),
    700016: ("The app is not known in this directory",
             _ADMIN + "check CLIENT_ID and AUTHORITY (tenant).", 502),
    90002: ("The directory (tenant) does not exist", _ADMIN + "check AUTHORITY.", 502),
    9002331: ("This kind of account cannot sign in here",
              "The app registration accepts personal Microsoft accounts only; " + _ADMIN +
              "set AUTHORITY to https://login.microsoftonline.com/consumers.", 400),
    50020: ("This account cannot sign in to this app",
            "The account is not in the app's directory. Try another account.", 400),
    70008: ("The sign-in has expired", _AGAIN, 400),
    70000: ("The sign-in code has expired or was already used", _AGAIN, 400),
    54005: ("The sign-in code was already used", _AGAIN, 400),
    700082: ("Your sign-in has expired",
             "It was unused for too long. Sign in again to keep going.", 401),
    65001: ("Permission needed",
            "The app needs your consent for this. Sign in again and choose Accept; in a work "
            "or school directory an administrator may have to consent for you.", 403),
    65004: ("Permission declined", "You declined the permissions the app asked for. " + _AGAIN, 403),
}
_BY_ERROR = {
    "state_mismatch": ("This sign-in answer is stale",
                       "It matches no sign-in started in this browser: it was already used "
                       "(back button, refresh), started in another browser, or altered. " + _AGAIN,
                       400),
    "invalid_response": ("The sign-in answer was incomplete", _AGAIN, 400),
    "nonce_mismatch": ("The sign-in answer was not meant for this sign-in", _AGAIN, 400),
    "access_denied": ("Sign-in was cancelled",
                      "You (or your organisation) declined to sign in or to grant the permissions "
                      "the app asked for. You can try again.", 403),
    "consent_required": _BY_CODE[65001],
    "scopes_not_granted": ("Some permissions were not granted",
                           "Microsoft signed you in but did not grant everything the app asked "
                           "for, so this page cannot work. An administrator may have to consent.",
                           403),
    "invalid_client": ("The app could not prove who it is",
                       _ADMIN + "check CLIENT_ID and CLIENT_SECRET.", 502),
    "invalid_grant": ("Please sign in again", "Your sign-in is no longer valid. " + _AGAIN, 401),
    "login_required": ("Please sign in", "Your sign-in has ended. Sign in to keep going.", 401),
    "interaction_required": ("Please sign in again",
                             "Microsoft needs you to sign in again (or to approve something).",
                             401),
    "consent_loop": ("Microsoft still gives no token for this",
                     "You signed in again, yet Microsoft gives the app no token for these "
                     "permissions. An administrator may have to grant consent, or this account "
                     "may not be allowed to use them.", 403),
    "network_error": ("Microsoft's sign-in service could not be reached",
                      "The network or the service is down. Try again in a moment.", 503),
    # A 5xx (MSAL then holds the same request back for Retry-After, or 5 s without one), or
    # OAuth's own codes for an outage; nothing was changed, so the same step can be retried.
    "service_unavailable": ("Microsoft's sign-in service is not answering",
                            "It is temporarily unavailable. Nothing was lost; try again in a "
                            "few seconds.", 503),
    "temporarily_unavailable": ("Microsoft's sign-in service is busy",
                                "It asked the app to wait. Nothing was lost; try again in a few "
                                "seconds.", 503),
    "server_error": ("Microsoft's sign-in service had a problem",
                     "Nothing was lost; try again in a few seconds.", 503),
    "authority_unreachable": ("Microsoft's sign-in service could not be reached",
                              "Try again in a moment; if it keeps failing, check AUTHORITY.", 503),
}


def auth_advice(error: AuthError) -> tuple[str, str, int]:
    """(title, paragraph, HTTP status) for the sign-in error page."""
    found = _BY_CODE.get(error.code) or _BY_ERROR.get(error.error)
    return found or ("Sign-in failed", "Microsoft refused the sign-in. " + _AGAIN, 400)


# -- mailbox pages -----------------------------------------------------------------------------
_MAILBOX_ADVICE = {
    "ErrorItemNotFound": "This message is not there any more: it was moved or deleted, perhaps in "
                         "another app. Go back to the folder and open it again.",
    "ErrorInvalidUser": "There is no mailbox {box} in your organisation. Check the address.",
    "MailboxNotEnabledForRESTAPI": "{box} has no Exchange Online mailbox that Graph can open.",
    "ErrorAccessDenied": "You may not open {box}. Reading another person's or a shared mailbox "
                         "needs Full Access to it (an Exchange administrator grants it) and this "
                         "app's Mail.Read.Shared permission. Ask the mailbox owner or your "
                         "administrator.",
    "TooManyRequests": "Microsoft Graph is throttling requests. {wait}Nothing was changed; try "
                       "again shortly.",
    "ApplicationThrottled": "Microsoft Graph is throttling this app. {wait}Nothing was changed; "
                            "try again shortly.",
    "serviceNotAvailable": "Microsoft Graph is temporarily unavailable. {wait}Nothing was changed; "
                           "try again shortly.",
    "InvalidNextLink": "That page of the folder can no longer be found. Start from its first page.",
}
MAILBOX_NOT_FOUND = ("There is nothing at this address: the folder, message, attachment or page "
                     "named in it does not exist. Go back to the folder.")
PAGE_EXPIRED = ("That page of the folder is no longer remembered (pages are kept for your "
                "latest listings only). Start again from the folder's first page.")


def mailbox_advice(error: GraphError, box: str | None = None) -> str:
    """Plain words for a Graph error on a mailbox page; ``box`` names another mailbox."""
    code = error.code if error.code in _MAILBOX_ADVICE else _BY_STATUS.get(error.status, "")
    if error.status == 403 and not box and code == "ErrorAccessDenied":
        code = ""  # one's own mailbox: the general words about permissions fit better
    template = _MAILBOX_ADVICE.get(code)
    if template is None:
        return graph_advice(error)
    wait = f"It asked to wait {error.retry_after:.0f} seconds. " if error.retry_after else ""
    text = template.format(box=box or "your mailbox", wait=wait)
    if error.request_id:
        text += f" (request id {error.request_id})"
    return text
