"""AuthError: MSAL's result dicts read in one place, and the words each error gets."""
from __future__ import annotations

import pytest

from mailer.identity.errors import AuthError, explain

AADSTS_BODY = {
    "error": "invalid_client",
    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                         "sent in the request is the client secret value.\r\nTrace ID: 1b2\r\n"
                         "Correlation ID: 9f8\r\nTimestamp: 2026-01-01 00:00:00Z",
    "error_codes": [7000215], "correlation_id": "9f8", "trace_id": "1b2",
}


def test_from_result_reads_code_description_and_ids():
    err = AuthError.from_result(AADSTS_BODY)
    assert (err.error, err.code, err.correlation_id) == ("invalid_client", 7000215, "9f8")
    assert err.description.startswith("Invalid client secret provided.")
    assert "Trace ID" not in err.description and not err.interaction_required


def test_from_result_without_error_codes_reads_the_description():
    err = AuthError.from_result({"error": "invalid_grant", "suberror": "consent_required",
                                 "error_description": "AADSTS65001: The user has not consented."})
    assert err.code == 65001 and err.interaction_required and err.suberror == "consent_required"


def test_from_result_of_nothing():
    err = AuthError.from_result({})
    assert err.error == "unknown_error" and err.code is None and err.description == ""


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
def test_every_error_gets_words_and_a_status(error, code, title, status):
    assert explain(AuthError(error, code=code))[0::2] == (title, status)
