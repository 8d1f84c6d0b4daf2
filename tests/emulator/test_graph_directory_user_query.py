"""GET /users: default properties, paging, $select, $filter, $search, $orderby, $count, permissions."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from helpers.kiota import run_async, sdk_client, trust
from helpers.sdk_models import leftovers

DEFAULT_USER = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"]
EVENTUAL = {"ConsistencyLevel": "eventual"}


@pytest.fixture
def people(emu) -> set[str]:
    """Display names of the work tenant's users (people and shared mailboxes, not groups)."""
    from emulator.directory import WORK_TENANT_ID

    found = {u.display_name for u in emu.state.directory.users.values()
             if u.tenant_id == WORK_TENANT_ID and u.kind != "group"}
    assert {"Adele Vance", "Alex Wilber", "Megan Bowen", "Patti Fernandez", "Sales"} <= found
    return found


@pytest.fixture
def users_api(graph_api, graph_token):
    return graph_api.as_(graph_token(scopes=["User.ReadBasic.All"]))


def names(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {u["displayName"] for u in response.json()["value"]}


def error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    return response.json()["error"]["message"]


def test_lists_the_tenants_users_with_the_default_properties(users_api, emu, people):
    for path in ("/users", "/Users"):
        body = users_api.get(path).json()
        assert body["@odata.context"] == f"{emu.api_url}/v1.0/$metadata#users"
        assert {u["displayName"] for u in body["value"]} == people  # no group, no personal account
        assert all(list(u) == DEFAULT_USER for u in body["value"])
        assert "@odata.nextLink" not in body and "@odata.count" not in body


def test_top_pages_with_an_opaque_skiptoken(users_api, people):
    first = users_api.get("/users?$top=2&$select=displayName").json()
    assert len(first["value"]) == 2 and "$skiptoken=" in first["@odata.nextLink"]
    seen = [u["displayName"] for u in first["value"]]
    link = first["@odata.nextLink"]
    while link:
        page = users_api.get(link).json()
        assert all(set(u) == {"displayName"} for u in page["value"])
        seen += [u["displayName"] for u in page["value"]]
        link = page.get("@odata.nextLink")
    assert sorted(seen) == sorted(people)


@pytest.mark.parametrize("top", ["0", "1000", "x"])
def test_top_outside_1_to_999_is_refused(users_api, top):
    message = error(users_api.get(f"/users?$top={top}"), 400, "Request_UnsupportedQuery")
    assert message == f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive."


def test_select_chooses_properties_and_context(users_api, emu):
    body = users_api.get("/users?$select=id,displayName,department").json()
    assert body["@odata.context"] == f"{emu.api_url}/v1.0/$metadata#users(id,displayName,department)"
    assert all(set(u) == {"id", "displayName", "department"} for u in body["value"])


def test_select_of_a_single_user_property_is_501(users_api):
    error(users_api.get("/users?$select=displayName,aboutMe"), 501, "NotImplemented")


@pytest.mark.parametrize("query, expected", [
    ("startswith(displayName,'a')", {"Adele Vance", "Alex Wilber"}),
    ("startswith(givenName,'MEG')", {"Megan Bowen"}),
    ("startswith(surname,'Fer')", {"Patti Fernandez"}),
    ("startswith(mail,'sales')", {"Sales"}),
    ("startswith(userPrincipalName,'alex@')", {"Alex Wilber"}),
    ("mail eq 'adele@contoso.example'", {"Adele Vance"}),
    ("startswith(displayName,'Adele') or surname eq 'Bowen'", {"Adele Vance", "Megan Bowen"}),
    ("startswith(displayName,'A') and jobTitle eq 'Marketing Assistant'", {"Alex Wilber"}),
    ("givenName in ('Patti', 'Alex')", {"Patti Fernandez", "Alex Wilber"}),
])
def test_filter(users_api, query, expected):
    assert names(users_api.get(f"/users?$filter={quote(query)}")) == expected


def test_filter_on_an_unsupported_property_is_request_unsupported_query(users_api):
    message = error(users_api.get(f"/users?$filter={quote('aboutMe eq 1')}"), 400,
                    "Request_UnsupportedQuery")
    assert message == ("Unsupported or invalid query filter clause specified for property "
                       "'aboutMe' of resource 'User'.")


@pytest.mark.parametrize("query, operator", [
    ("endswith(mail,'@contoso.example')", "endsWith"),
    ("displayName ne 'Sales'", "ne"),
    ("not startswith(displayName,'A')", "not"),
])
def test_advanced_operators_need_consistency_level_and_count(users_api, query, operator, people):
    url = f"/users?$filter={quote(query)}"
    message = error(users_api.get(url), 400, "Request_UnsupportedQuery")
    assert message.startswith(f"Operator '{operator}' is not supported")
    error(users_api.get(url, headers=EVENTUAL), 400, "Request_UnsupportedQuery")  # no $count
    body = users_api.get(f"{url}&$count=true", headers=EVENTUAL).json()
    assert body["@odata.count"] == len(body["value"]) > 0


def test_search_needs_consistency_level(users_api):
    message = error(users_api.get('/users?$search="displayName:ade"'), 400, "Request_UnsupportedQuery")
    assert message == ("Request with $search query parameter only works through MSGraph with a "
                       "special request header: 'ConsistencyLevel: eventual'")


@pytest.mark.parametrize("search, expected", [
    ('"displayName:ade"', {"Adele Vance"}),
    ('"displayName:van ade"', {"Adele Vance"}),  # tokens in any order
    ('"displayName:wilber" OR "mail:megan"', {"Alex Wilber", "Megan Bowen"}),
    ('"displayName:p" AND "mail:patti"', {"Patti Fernandez"}),
    ('("displayName:adele" OR "displayName:alex") AND "mail:alex"', {"Alex Wilber"}),
])
def test_search(users_api, search, expected):
    assert names(users_api.get(f"/users?$search={quote(search)}", headers=EVENTUAL)) == expected


@pytest.mark.parametrize("search", ["ada", '"ada"', '"shoeSize:9"'])
def test_search_clause_needs_quotes_and_a_property(users_api, search):
    error(users_api.get(f"/users?$search={quote(search)}", headers=EVENTUAL), 400,
          "Request_UnsupportedQuery")


def test_orderby_display_name(users_api, people):
    body = users_api.get("/users?$orderby=displayName desc&$select=displayName").json()
    assert [u["displayName"] for u in body["value"]] == sorted(people, key=str.lower, reverse=True)


def test_filter_with_orderby_is_advanced(users_api):
    url = f"/users?$filter={quote(chr(39).join(['startswith(displayName,', 'a', ')']))}" \
          "&$orderby=displayName"
    message = error(users_api.get(url), 400, "Request_UnsupportedQuery")
    assert message == "Sorting not supported for current query."
    body = users_api.get(f"{url}&$count=true", headers=EVENTUAL).json()
    assert [u["displayName"] for u in body["value"]] == ["Adele Vance", "Alex Wilber"]
    assert body["@odata.count"] == 2


def test_count_without_consistency_level_is_ignored(users_api, people):
    assert "@odata.count" not in users_api.get("/users?$count=true").json()
    counted = users_api.get("/users?$count=true", headers=EVENTUAL).json()
    assert counted["@odata.count"] == len(people)
    assert list(counted)[:2] == ["@odata.context", "@odata.count"]


@pytest.mark.parametrize("scopes", [["User.Read.All"], ["Directory.Read.All"], ["User.ReadWrite.All"]])
def test_delegated_permissions_that_list_users(graph_api, graph_token, scopes, people):
    assert names(graph_api.as_(graph_token(scopes=scopes)).get("/users")) == people


@pytest.mark.parametrize("roles", [["User.Read.All"], ["Directory.Read.All"]])
def test_application_permissions_that_list_users(graph_api, graph_token, roles, people):
    assert names(graph_api.as_(graph_token(roles=roles)).get("/users")) == people


def test_without_permission_is_authorization_request_denied(graph_api, graph_token):
    for api in (graph_api.as_(graph_token(scopes=["User.Read", "Mail.Read"])),
                graph_api.as_(graph_token(roles=["Mail.Send"]))):
        error(api.get("/users"), 403, "Authorization_RequestDenied")


def test_a_personal_account_cannot_list_users(graph_api, graph_token):
    api = graph_api.as_(graph_token("sam.taylor@outlook.example", scopes=["User.ReadBasic.All"]))
    error(api.get("/users"), 403, "Authorization_RequestDenied")


def test_skip_is_not_supported(users_api):
    error(users_api.get("/users?$skip=1"), 400, "Request_BadRequest")


# --- Through msgraph-sdk (kiota), authenticated by azure-identity (app-only, User.Read.All) -------

@pytest.fixture
def sdk(emu, demo_client, tmp_path, monkeypatch):
    from emulator.directory import WORK_TENANT_ID

    trust(emu, tmp_path, monkeypatch)
    return lambda: sdk_client(emu, demo_client["client_id"], demo_client["client_secret"],
                              WORK_TENANT_ID)


def test_msgraph_sdk_lists_users_with_query_parameters(sdk, people):
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder

    async def run():
        client, credential = sdk()
        try:
            config = RequestConfiguration(
                query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                    filter="startswith(displayName,'a')", orderby=["displayName"], count=True,
                    select=["displayName", "mail", "id"], top=1))
            config.headers.add("ConsistencyLevel", "eventual")
            first = await client.users.get(request_configuration=config)
            rest = await client.users.with_url(first.odata_next_link).get(request_configuration=config)
            searched = RequestConfiguration(
                query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                    search='"displayName:megan"'))
            searched.headers.add("ConsistencyLevel", "eventual")
            found = await client.users.get(request_configuration=searched)
            every = await client.users.get()
            return first, rest, found, every
        finally:
            await credential.close()

    first, rest, found, every = run_async(run())
    assert first.odata_count == 2 and [u.display_name for u in first.value] == ["Adele Vance"]
    assert [u.display_name for u in rest.value] == ["Alex Wilber"] and rest.odata_next_link is None
    assert [u.mail for u in found.value] == ["megan@contoso.example"]
    assert {u.display_name for u in every.value} == people
    for page in (first, rest, found, every):
        assert leftovers(page) == [] and all(leftovers(u) == [] for u in page.value)
