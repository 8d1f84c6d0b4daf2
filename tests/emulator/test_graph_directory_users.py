"""GET /me and /users/{id | upn}: shapes, $select, tokens (401), permissions (403), routing."""
from __future__ import annotations

import uuid

import pytest

DEFAULT_USER = ["@odata.context", "businessPhones", "displayName", "givenName", "jobTitle", "mail",
                "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                "userPrincipalName", "id"]


def test_me_returns_the_default_property_set(graph_api, emu):
    response = graph_api.get("/me")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == DEFAULT_USER
    assert body["@odata.context"] == f"{emu.api_url}/v1.0/$metadata#users/$entity"
    assert body["userPrincipalName"] == "adele@contoso.example"
    assert body["id"] == emu.state.directory.user("adele@contoso.example").id
    assert response.headers["Content-Type"].startswith("application/json")


def test_every_response_carries_request_ids(graph_api):
    sent = str(uuid.uuid4())
    ok = graph_api.get("/me", headers={"client-request-id": sent})
    assert ok.headers["client-request-id"] == sent
    uuid.UUID(ok.headers["request-id"])
    failed = graph_api.get("/users/nobody@contoso.example", headers={"client-request-id": sent})
    assert failed.headers["client-request-id"] == sent
    assert failed.json()["error"]["innerError"]["request-id"] == failed.headers["request-id"]


def test_select_returns_only_the_chosen_properties(graph_api, emu):
    body = graph_api.get("/me?$select=displayName,MAIL,department").json()
    assert body == {"@odata.context": f"{emu.api_url}/v1.0/$metadata#users(displayName,mail,"
                                      "department)/$entity",
                    "displayName": "Adele Vance", "mail": "adele@contoso.example",
                    "department": None}


def test_select_of_an_unknown_property_is_refused(graph_api):
    response = graph_api.get("/me?$select=displayName,shoeSize")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "RequestBroker--ParseUri"
    assert "shoeSize" in response.json()["error"]["message"]


@pytest.mark.parametrize("ref", ["alex@contoso.example", "ALEX@contoso.example"])
def test_users_by_upn_or_id(graph_api, graph_token, emu, ref):
    alex = emu.state.directory.user("alex@contoso.example")
    api = graph_api.as_(graph_token(scopes=["User.ReadBasic.All"]))
    assert api.get(f"/users/{ref}").json()["id"] == alex.id
    assert api.get(f"/users/{alex.id}").json()["displayName"] == "Alex Wilber"
    assert api.get(f"/users('{alex.id}')").json()["mail"] == "alex@contoso.example"


def test_unknown_user_is_404_request_resource_not_found(graph_api):
    response = graph_api.get("/users/nobody@contoso.example")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "Request_ResourceNotFound"
    assert error["message"] == ("Resource 'nobody@contoso.example' does not exist or one of its "
                                "queried reference-property objects are not present.")


def test_a_user_of_another_tenant_is_not_found(graph_api):
    assert graph_api.get("/users/sam.taylor@outlook.example").status_code == 404


def test_me_with_an_app_only_token_is_400(graph_api, graph_token):
    response = graph_api.as_(graph_token(roles=["User.Read.All"])).get("/me")
    assert response.status_code == 400
    assert response.json()["error"] == {
        **response.json()["error"], "code": "BadRequest",
        "message": "/me request is only valid with delegated authentication flow."}


def test_app_only_reads_users_with_a_role(graph_api, graph_token):
    assert graph_api.as_(graph_token(roles=["User.Read.All"])).get(
        "/users/alex@contoso.example").status_code == 200
    denied = graph_api.as_(graph_token(roles=["Mail.Send"])).get("/users/alex@contoso.example")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "Authorization_RequestDenied"


def test_other_users_need_more_than_user_read(graph_api, graph_token):
    api = graph_api.as_(graph_token(scopes=["User.Read"]))
    assert api.get("/me").status_code == 200
    response = api.get("/users/alex@contoso.example")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Insufficient privileges to complete the operation."


def test_me_without_a_profile_scope_is_403(graph_api, graph_token):
    response = graph_api.as_(graph_token(scopes=["Mail.Send"])).get("/me")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def _expect_401(response, message: str) -> None:
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.json()["error"]["message"] == message
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="", authorization_uri="https://')
    assert challenge.endswith('client_id="00000003-0000-0000-c000-000000000000"')


def test_missing_token_is_401_empty(graph_api):
    _expect_401(graph_api.as_(None).get("/me"), "Access token is empty.")


def test_malformed_token_is_401_compact_token(graph_api):
    _expect_401(graph_api.as_("not-a-jwt").get("/me"),
                "CompactToken parsing failed with error code: 80049217")


def test_expired_token_is_401(graph_api, graph_token):
    _expect_401(graph_api.as_(graph_token(lifetime=-10)).get("/me"),
                "Access token has expired or is not yet valid.")


def test_token_for_another_audience_is_401(graph_api, emu):
    from joserfc import jwt

    token = graph_api.token
    claims = jwt.decode(token, emu.state.signing_key.key).claims
    claims["aud"] = "https://outlook.office.com"
    forged = jwt.encode({"alg": "RS256", "kid": emu.state.signing_key.kid}, claims,
                        emu.state.signing_key.key)
    _expect_401(graph_api.as_(forged).get("/me"),
                "Access token validation failure. Invalid audience.")


def test_a_token_signed_by_someone_else_is_401(graph_api):
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    forged = jwt.encode({"alg": "RS256"}, {"aud": "https://graph.microsoft.com"},
                        RSAKey.generate_key(2048))
    assert graph_api.as_(forged).get("/me").status_code == 401


@pytest.mark.parametrize("path", ["/ME", "/Me/", "/users/adele@contoso.example",
                                  "/Users('adele@contoso.example')"])
def test_segments_match_case_insensitively(graph_api, path):
    assert graph_api.get(path).status_code == 200


def test_unknown_segment_is_400(graph_api):
    response = graph_api.get("/me/notAThing")
    assert response.status_code == 400
    assert response.json()["error"] == {
        **response.json()["error"], "code": "BadRequest",
        "message": "Resource not found for the segment 'notAThing'."}


def test_wrong_method_on_a_known_path_is_405(graph_api):
    response = graph_api.request("PUT", "/me/sendMail", json={})
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_personal_accounts_use_opaque_tokens_and_their_own_mailbox(graph_api, graph_token, mailbox):
    token = graph_token("sam.taylor@outlook.example", scopes=["User.Read", "Mail.Send"])
    assert token.count(".") != 2  # not a JWT, as Microsoft issues them
    api = graph_api.as_(token)
    assert api.get("/me").json()["userPrincipalName"] == "sam.taylor@outlook.example"
    sent = api.post("/me/sendMail", json={"message": {
        "subject": "From a personal account",
        "toRecipients": [{"emailAddress": {"address": "alex@contoso.example"}}]}})
    assert sent.status_code == 202
    assert len(mailbox("alex@contoso.example").in_folder("inbox")) == 1
    assert api.get("/users/alex@contoso.example").status_code == 404  # another tenant
