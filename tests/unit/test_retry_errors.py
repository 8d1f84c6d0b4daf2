"""graph_errors.py: GraphError parsed from Graph's body, and plain advice per code."""
import json

import pytest
import requests

from mailer.graph.errors import GraphError, explain, needs_sign_in


def _response(status, body, headers=None):
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if isinstance(body, dict) else body
    response.headers.update(headers or {})
    return response


def test_parsed_from_graph_body_with_request_id_and_retry_after():
    error = GraphError.from_response(_response(
        429, {"error": {"code": "TooManyRequests", "message": "Please retry again later.",
                        "innerError": {"request-id": "r-1"}}}, {"Retry-After": "30"}))
    assert (error.status, error.code, error.message, error.request_id, error.retry_after) == \
        (429, "TooManyRequests", "Please retry again later.", "r-1", 30.0)


def test_a_body_that_is_not_json_still_gives_a_graph_error():
    error = GraphError.from_response(_response(502, b"<html>bad gateway</html>"))
    assert (error.status, error.code) == (502, "HTTP502")


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
def test_explain_in_plain_words(code, status, message, detail, expected):
    error = GraphError(status, code, message, "req-9", retry_after=30 if status == 429 else None)
    text = explain(error, detail)
    for part in expected:
        assert part in text, text
    assert text.endswith("(request id req-9)")


@pytest.mark.parametrize("error, expected", [
    (GraphError(401, "InvalidAuthenticationToken", ""), True),
    (GraphError(403, "Authorization_RequestDenied", ""), True),
    (GraphError(403, "ErrorSendAsDenied", ""), False),
])
def test_needs_sign_in(error, expected):
    assert needs_sign_in(error) is expected
