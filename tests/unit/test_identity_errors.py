"""mailer.identity.errors: MSAL's result dicts read in one place."""
from __future__ import annotations

from mailer.identity.errors import AuthError

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
