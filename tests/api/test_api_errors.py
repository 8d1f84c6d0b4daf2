"""Every refusal of the API in its one JSON shape, naming what is wrong; and the OpenAPI
document served by flask-smorest, listing the routes."""
from __future__ import annotations

import pytest

from api.api_support import ADELE, ADMIN, ALEX, MEGAN, SALES, bearer, error_of

GOOD = {"from": SALES, "to": [ALEX], "subject": "s", "text": "t"}


@pytest.mark.parametrize("authorization", [
    None, "Bearer nonsense", "Basic dXNlcjpwYXNz",
    "Bearer mk_0123456789abcdef_" + "A" * 43,  # the right shape, but no such key
])
def test_a_bad_key_is_401_in_json(live_app, http, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = http.post(f"{live_app.url}/api/v1/messages", json=GOOD, headers=headers, timeout=30)
    error = error_of(answer, 401)
    assert error["code"] == "unauthorized" and error["field"] == "Authorization"
    assert "API key" in error["message"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_for_a_real_key_id_is_refused(live_app, http, make_key):
    key = make_key([SALES])
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    error_of(http.post(f"{live_app.url}/api/v1/messages", json=GOOD, headers=bearer(forged),
                       timeout=30), 401)


def test_a_key_for_another_mailbox_is_403_naming_it(live_app, http, make_key):
    key = make_key([SALES])
    error = error_of(http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key),
                               json={**GOOD, "from": MEGAN}, timeout=30), 403)
    assert error["field"] == "from" and MEGAN in error["message"]
    assert SALES in error["message"]  # what the key may do
    reading = error_of(http.get(f"{live_app.url}/api/v1/mailboxes/{ADELE}/messages",
                                headers=bearer(key), timeout=30), 403)
    assert reading["field"] == "mailbox" and ADELE in reading["message"]
    megan_key = make_key([MEGAN])
    job = http.post(f"{live_app.url}/api/v1/messages", json=GOOD, headers=bearer(key),
                    timeout=30).json()
    other = error_of(http.get(f"{live_app.url}/api/v1/jobs/{job['id']}",
                              headers=bearer(megan_key), timeout=30), 403)
    assert SALES in other["message"]


def test_a_sender_outside_automation_senders_is_403_even_with_a_key_for_it(live_app, http,
                                                                           make_key):
    key = make_key([ADMIN])  # a key can only be made for AUTOMATION_SENDERS on the page
    error = error_of(http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key),
                               json={**GOOD, "from": ADMIN}, timeout=30), 403)
    assert error["field"] == "from" and "AUTOMATION_SENDERS" in error["message"]


@pytest.mark.parametrize("body, field, words", [
    ({**GOOD, "to": "alex@contoso.example"}, "to", "list"),
    ({**GOOD, "to": [ALEX, 7]}, "to.1", "string"),
    ({**GOOD, "colour": "blue"}, "colour", "Unknown field"),
    ({k: v for k, v in GOOD.items() if k != "from"}, "from", "required"),
    ({**GOOD, "importance": "urgent"}, "importance", "Must be one of"),
    ({**GOOD, "to": ["not an address"]}, "to", "not an address"),
    ({**GOOD, "html": "<p>x</p>"}, "html", "not both"),
    ({**GOOD, "subject": "two\nlines"}, "subject", ""),
    ({**GOOD, "subject": "s" * 999}, "subject", "998"),
    ({**GOOD, "text": "t" * (4 * 1024 * 1024 + 1)}, "text", "4194304"),  # the compose page's cap
    ([GOOD], "body", "object"),
])
def test_a_malformed_body_is_400_naming_the_field(live_app, http, make_key, body, field, words):
    key = make_key([SALES])
    error = error_of(http.post(f"{live_app.url}/api/v1/messages", json=body, headers=bearer(key),
                               timeout=30), 400)
    assert error["code"] == "invalid_request" and error["field"] == field, error
    assert error["message"].startswith(f"{field}: ") and words in error["message"], error


@pytest.mark.parametrize("raw, field", [
    ('{"from": "%s", "to": %s"a"%s}' % (SALES, "[" * 5000, "]" * 5000), "to"),
    ('{"from": "%s", "subject": "s", "colour": %s1%s}' % (SALES, '{"x":' * 5000, "}" * 5000),
     "colour"),
    ("[" * 5000 + "]" * 5000, "body"),
], ids=["arrays-in-to", "objects-in-a-field", "the-body-itself"])
@pytest.mark.parametrize("as_form", [False, True], ids=["json", "multipart"])
def test_json_nested_thousands_deep_is_400_naming_the_field(live_app, http, make_key, raw,
                                                            field, as_form):
    key = make_key([SALES])
    url = f"{live_app.url}/api/v1/messages"
    if as_form:
        answer = http.post(url, data={"message": raw}, files={"attachments": ("a.txt", b"x")},
                           headers=bearer(key), timeout=30)
        field = "message" if field == "body" else field
    else:
        answer = http.post(url, data=raw, timeout=30, headers={
            **bearer(key), "Content-Type": "application/json"})
    error = error_of(answer, 400)
    assert error["field"] == field and "nested more than" in error["message"], error


def test_bodies_that_are_not_json_or_headers_that_are_wrong(live_app, http, make_key):
    key = make_key([SALES])
    url = f"{live_app.url}/api/v1/messages"
    broken = error_of(http.post(url, data="{not json", timeout=30, headers={
        **bearer(key), "Content-Type": "application/json"}), 400)
    assert broken["field"] == "body"
    form = error_of(http.post(url, data={"message": "{oops"}, headers=bearer(key), timeout=30,
                              files={"attachments": ("a.txt", b"x")}), 400)
    assert form["field"] == "message" and "not JSON" in form["message"]
    stray = error_of(http.post(url, data={"message": "{}"}, headers=bearer(key), timeout=30,
                               files={"file": ("a.txt", b"x")}), 400)
    assert stray["field"] == "file"
    kind = error_of(http.post(url, data="hello", headers={**bearer(key), "Content-Type":
                                                          "text/plain"}, timeout=30), 415)
    assert kind["field"] == "Content-Type"
    idem = error_of(http.post(url, json=GOOD, timeout=30, headers={
        **bearer(key), "Idempotency-Key": "x" * 181}), 400)
    assert idem["field"] == "Idempotency-Key"
    query = error_of(http.get(f"{live_app.url}/api/v1/mailboxes/{SALES}/messages",
                              params={"top": "1000"}, headers=bearer(key), timeout=30), 400)
    assert query["field"] == "top"
    nowhere = error_of(http.get(f"{live_app.url}/api/v1/nowhere", headers=bearer(key),
                                timeout=30), 404)
    assert "/api/v1/nowhere" in nowhere["message"]
    no_job = error_of(http.get(f"{live_app.url}/api/v1/jobs/j{'0' * 24}", headers=bearer(key),
                               timeout=30), 404)
    assert no_job["field"] == "job_id"


def test_the_browser_session_does_not_authenticate_the_api(live_app, live_sign_in):
    browser = live_sign_in(ADMIN)
    assert browser.cookies  # signed in to the pages
    answer = browser.post(f"{live_app.url}/api/v1/messages", json=GOOD, timeout=30)
    assert error_of(answer, 401)["field"] == "Authorization"
    assert "Set-Cookie" not in answer.headers


def test_the_openapi_document_lists_the_routes(live_app, http):
    answer = http.get(f"{live_app.url}/api/v1/openapi.json", timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    doc = answer.json()
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "Mail sender API"
    paths = doc["paths"]
    assert set(paths) >= {"/api/v1/messages", "/api/v1/jobs/{job_id}",
                          "/api/v1/jobs/{job_id}/cancel", "/api/v1/mailboxes/{mailbox}/messages",
                          "/api/v1/mailboxes/{mailbox}/messages/{message_id}",
                          "/api/v1/mailboxes/{mailbox}/messages/{message_id}/read"}
    submit = paths["/api/v1/messages"]["post"]
    assert set(submit["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert "202" in submit["responses"] and "403" in submit["responses"]
    assert doc["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert {"from", "to", "html", "importance"} <= set(doc["components"]["schemas"]["Message"]
                                                        ["properties"])
    assert not any("{anything}" in p for p in paths)  # the JSON 404 is not a route to document


def test_the_openapi_document_states_the_rules_in_openapi_3_shapes(live_app, http):
    doc = http.get(f"{live_app.url}/api/v1/openapi.json", timeout=30).json()
    submit = doc["paths"]["/api/v1/messages"]["post"]
    [idem] = [p for p in submit["parameters"] if p["name"] == "Idempotency-Key"]
    assert idem["in"] == "header" and idem["schema"] == {
        "type": "string", "minLength": 1, "maxLength": 180, "pattern": "^[!-~]{1,180}$"}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method == "parameters":  # the path's own, beside its operations
                continue
            for status, response in operation["responses"].items():
                assert "schema" not in response, (path, method, status)  # OpenAPI 2's layout
                if status in ("400", "401", "403", "404"):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, (path, method, status)
    words = doc["info"]["description"]
    assert "any live key scoped to that mailbox may read it" in words
    for route in ("/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/cancel"):
        operation = next(v for k, v in doc["paths"][route].items() if k != "parameters")
        assert "any live key scoped to" in operation["description"], route


def test_a_json_body_over_form_memory_is_413_in_json(live_app, http, make_key):
    key = make_key([SALES])
    live_app.app.config["FORM_MEMORY"] = 10_000  # a JSON body is held in memory: bounded
    answer = http.post(f"{live_app.url}/api/v1/messages", headers=bearer(key), timeout=30,
                       json={**GOOD, "text": "x" * 20_000})
    error = error_of(answer, 413)
    assert error["code"] == "too_large" and "FORM_MEMORY" in error["message"]
