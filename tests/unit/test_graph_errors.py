"""mailer.graph.errors: GraphError parsed from Graph's body; what needs a new sign-in."""
import json

import pytest
import requests

from mailer.graph.errors import GraphError, needs_sign_in


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


@pytest.mark.parametrize("error, expected", [
    (GraphError(401, "InvalidAuthenticationToken", ""), True),
    (GraphError(403, "Authorization_RequestDenied", ""), True),
    (GraphError(403, "ErrorSendAsDenied", ""), False),
])
def test_needs_sign_in(error, expected):
    assert needs_sign_in(error) is expected
