"""Discovery documents and signing keys, per kind of tenant, over real TLS."""
from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography import x509
from joserfc.jwk import RSAKey

from emulator.directory import CONSUMERS_TENANT_ID, WORK_DOMAIN, WORK_TENANT_ID

FIELDS = {
    "token_endpoint", "token_endpoint_auth_methods_supported", "jwks_uri",
    "response_modes_supported", "subject_types_supported", "id_token_signing_alg_values_supported",
    "response_types_supported", "scopes_supported", "issuer", "request_uri_parameter_supported",
    "userinfo_endpoint", "authorization_endpoint", "device_authorization_endpoint",
    "http_logout_supported", "frontchannel_logout_supported", "end_session_endpoint",
    "claims_supported", "kerberos_endpoint", "tenant_region_scope", "cloud_instance_name",
    "cloud_graph_host_name", "msgraph_host", "rbac_url",
}


def discovery(https, emu, tenant):
    return https.get(f"{emu.api_url}/{tenant}/v2.0/.well-known/openid-configuration", timeout=10)


@pytest.mark.parametrize("tenant, segment, issuer_tenant", [
    ("common", "common", "{tenantid}"),
    ("organizations", "organizations", "{tenantid}"),
    ("consumers", "consumers", CONSUMERS_TENANT_ID),
    (WORK_TENANT_ID, WORK_TENANT_ID, WORK_TENANT_ID),
    (WORK_DOMAIN, WORK_TENANT_ID, WORK_TENANT_ID),  # a domain is answered with the GUID
    ("CONTOSO.EXAMPLE", WORK_TENANT_ID, WORK_TENANT_ID),
])
def test_discovery_document_is_azure_shaped_per_tenant(emu, https, tenant, segment, issuer_tenant):
    response = discovery(https, emu, tenant)
    assert response.status_code == 200
    doc = response.json()
    assert set(doc) == FIELDS
    api, pages = emu.api_url, emu.pages_url
    assert doc["issuer"] == f"{api}/{issuer_tenant}/v2.0"
    assert doc["token_endpoint"] == f"{api}/{segment}/oauth2/v2.0/token"
    assert doc["jwks_uri"] == f"{api}/{segment}/discovery/v2.0/keys"
    assert doc["device_authorization_endpoint"] == f"{api}/{segment}/oauth2/v2.0/devicecode"
    assert doc["kerberos_endpoint"] == f"{api}/{segment}/kerberos"
    # The browser-facing endpoints are on the plain-HTTP pages server.
    assert doc["authorization_endpoint"] == f"{pages}/{segment}/oauth2/v2.0/authorize"
    assert doc["end_session_endpoint"] == f"{pages}/{segment}/oauth2/v2.0/logout"
    assert pages.startswith("http://") and api.startswith("https://")
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_post", "private_key_jwt", "client_secret_basic"]
    assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["scopes_supported"] == ["openid", "profile", "email", "offline_access"]
    assert doc["request_uri_parameter_supported"] is False
    assert doc["http_logout_supported"] is True and doc["frontchannel_logout_supported"] is True
    assert doc["cloud_instance_name"] == "microsoftonline.com"
    assert doc["msgraph_host"] == "graph.microsoft.com"
    assert {"sub", "iss", "aud", "nonce", "tid", "ver", "preferred_username"} <= set(doc["claims_supported"])


def test_region_scope_is_null_for_multi_tenant_aliases(emu, https):
    assert discovery(https, emu, "common").json()["tenant_region_scope"] is None
    assert discovery(https, emu, WORK_TENANT_ID).json()["tenant_region_scope"] == "NA"


@pytest.mark.parametrize("path", [
    "nosuchtenant.example/v2.0/.well-known/openid-configuration",
    "00000000-0000-0000-0000-000000000001/discovery/v2.0/keys",
])
def test_unknown_tenant_is_aadsts90002(emu, https, assert_aadsts, path):
    response = https.get(f"{emu.api_url}/{path}", timeout=10)
    assert_aadsts(response, 400, "invalid_tenant", 90002)
    assert "Tenant '" in response.json()["error_description"]


@pytest.mark.parametrize("tenant, issuer_tenant", [
    ("common", "{tenantid}"), ("consumers", CONSUMERS_TENANT_ID), (WORK_DOMAIN, WORK_TENANT_ID)])
def test_jwks_has_one_rsa_signing_key_with_matching_thumbprint(emu, https, tenant, issuer_tenant):
    response = https.get(f"{emu.api_url}/{tenant}/discovery/v2.0/keys", timeout=10)
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"}
    assert key["kty"] == "RSA" and key["use"] == "sig"
    assert key["issuer"] == f"{emu.api_url}/{issuer_tenant}/v2.0"
    der = base64.b64decode(key["x5c"][0])
    thumbprint = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
    assert key["x5t"] == thumbprint == key["kid"]
    # The certificate in x5c carries the same public key as n/e.
    cert_key = x509.load_der_x509_certificate(der).public_key().public_numbers()
    jwk = RSAKey.import_key({"kty": "RSA", "n": key["n"], "e": key["e"]})
    assert jwk.public_key.public_numbers() == cert_key
