"""mailer.web.words and job_words: Graph's errors, sign-in failures and send jobs, in words."""
from __future__ import annotations

import pytest

from mailer.graph.errors import GraphError
from mailer.identity.errors import AuthError
from mailer.delivery import outcomes as jobs
from mailer.web.job_words import job_advice, job_message
from mailer.web.words import auth_advice, graph_advice


@pytest.mark.parametrize("code, status, message, detail, expected", [
    ("ErrorSendAsDenied", 403, "…", "", ["Send As", "Send on Behalf", "Mail.Send.Shared",
                                         "administrator"]),
    ("ErrorInvalidRecipients", 400,
     'At least one recipient isn\'t valid., Recipient "bad@x" isn\'t resolved.', "",
     ['"bad@x"', "Check the address"]),
    ("ErrorMessageSizeExceeded", 400, "The message exceeds the maximum supported size.",
     "While attaching 'big.iso' (40 MB).", ["'big.iso' (40 MB)", "shrink an attachment"]),
    ("HTTP413", 413, "Request Entity Too Large", "", ["too large", "shrink"]),
    ("InvalidAuthenticationToken", 401, "Access token has expired or is not yet valid.", "",
     ["Sign in again", "kept"]),
    ("MailboxNotEnabledForRESTAPI", 404, "…", "", ["Exchange Online mailbox"]),
    ("ErrorAccessDenied", 403, "Access is denied. Check credentials and try again.", "",
     ["Access was denied", "permission"]),
    ("Authorization_RequestDenied", 403, "Insufficient privileges", "", ["Consent"]),
    ("ApplicationThrottled", 429, "MailboxConcurrency", "", ["throttling", "wait 30 seconds"]),
    ("serviceNotAvailable", 503, "", "", ["temporarily unavailable"]),
    ("OutcomeUnknown", 0, "", "", ["Sent Items"]),
    ("SomethingNew", 400, "Odd thing.", "", ["SomethingNew", "Odd thing."]),
])
def test_graph_errors_in_plain_words(code, status, message, detail, expected):
    error = GraphError(status, code, message, "req-9", retry_after=30 if status == 429 else None)
    text = graph_advice(error, detail)
    for part in expected:
        assert part in text, text
    assert text.endswith("(request id req-9)")


@pytest.mark.parametrize("error, code, title, status", [
    ("invalid_client", 7000215, "The app's client secret is wrong", 502),
    ("invalid_grant", 54005, "The sign-in code was already used", 400),
    ("invalid_grant", 700082, "Your sign-in has expired", 401),
    ("invalid_request", 50011, "This app's address is not registered with Microsoft", 502),
    ("state_mismatch", None, "This sign-in answer is stale", 400),
    ("access_denied", None, "Sign-in was cancelled", 403),
    ("network_error", None, "Microsoft's sign-in service could not be reached", 503),
    ("something_new", None, "Sign-in failed", 400),
])
def test_every_sign_in_error_gets_words_and_a_status(error, code, title, status):
    assert auth_advice(AuthError(error, code=code))[0::2] == (title, status)


def _job(state, code=None, **detail):
    return {"state": state, "code": code, "detail": detail, "plan": "draft", "phase": "done"}


DENIED = {"status": 403, "code": "ErrorSendAsDenied", "message": "denied", "request_id": "r-1",
          "retry_after": None}


@pytest.mark.parametrize("job, message, advice", [
    (_job(jobs.SENT), "Sent.", "Sent."),
    ({**_job(jobs.QUEUED), "phase": "queued"}, "Queued: it goes in a moment.",
     "Queued: it goes in a moment."),
    ({**_job(jobs.SENDING), "phase": "sending"}, "Sending…", "Sending…"),
    ({**_job(jobs.WAITING), "waiting_for": jobs.FOR_THROTTLING, "waiting_until": None},
     "Microsoft Graph asked to wait (throttling); it will go by itself.",
     "Microsoft Graph asked to wait (throttling); it will go by itself."),
    (_job(jobs.SCHEDULED), "Scheduled: it will be sent at the time you chose.",
     "Scheduled: it will be sent at the time you chose."),
    ({**_job(jobs.HELD), "phase": "held"},
     "Paused with its merge: it goes when the merge is resumed.",
     "Paused with its merge: it goes when the merge is resumed."),
    (_job(jobs.CANCELLED), "Cancelled: not sent. The message is back in your drafts.",
     "Cancelled: not sent. The message is back in your drafts."),
    ({**_job(jobs.SENDING, file={"name": "a.pdf", "size": 5 * 1024 * 1024}), "phase": "uploading"},
     "Attaching 'a.pdf' (5 MB)…", "Attaching 'a.pdf' (5 MB)…"),
    ({**_job(jobs.SENDING), "phase": "confirming", "plan": "sendmail"},
     "Checking Sent Items…", "Checking Sent Items…"),
    (_job(jobs.FAILED, jobs.SIGN_IN_EXPIRED),
     "Not sent: your sign-in has ended (signed out, or a permission withdrawn). Sign in again "
     "and send it; what you typed and attached is kept.",
     "Your sign-in has ended (signed out, or a permission withdrawn). Sign in again and send "
     "it; what you typed and attached is kept."),
    (_job(jobs.FAILED, jobs.INVALID, reason="'a.pdf' is no longer held."),
     "Not sent: 'a.pdf' is no longer held. Nothing was sent; your message is kept.",
     "'a.pdf' is no longer held. Nothing was sent; your message is kept."),
    (_job(jobs.FAILED, jobs.FAILED_INTERNALLY, exception="OSError"),
     "Not sent: OSError. Nothing was sent; your message is kept, try again.",
     "OSError. Nothing was sent; your message is kept, try again."),
    (_job(jobs.UNKNOWN, jobs.INTERRUPTED),
     "The send was interrupted. Could not confirm whether the message was sent — check your "
     "Sent Items before sending it again.",
     "The send was interrupted. Could not confirm whether the message was sent — check your "
     "Sent Items before sending it again."),
])
def test_a_job_record_in_words(job, message, advice):
    assert (job_message(job), job_advice(job)) == (message, advice)


def test_a_graph_refusal_is_said_from_its_fields_with_the_file_being_attached():
    job = _job(jobs.FAILED, jobs.GRAPH_REFUSED, graph=DENIED, file={"name": "b.bin", "size": 10})
    assert job_message(job).startswith("Not sent. You are not allowed to send from that mailbox.")
    assert job_advice(job).startswith("You are not allowed to send from that mailbox.")
    assert job_message(job).endswith("(request id r-1)")
    throttled = _job(jobs.FAILED, jobs.GRAPH_REFUSED, file={"name": "b.bin", "size": 10},
                     graph={**DENIED, "status": 413, "code": "RequestEntityTooLarge"})
    assert "While attaching 'b.bin' (10 bytes)." in job_advice(throttled)
