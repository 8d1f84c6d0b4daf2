"""GET /me/people: relevance from the mailbox over the directory, $search, $top, permissions."""
from __future__ import annotations

from msgraph.generated.models.person import Person

from helpers.sdk_models import leftovers, parse_list

ADELE, ALEX, MEGAN = "adele@contoso.example", "alex@contoso.example", "megan@contoso.example"
PEOPLE = ["User.Read", "People.Read", "Mail.Send"]


def send(api, *addresses):
    response = api.post("/me/sendMail", json={"message": {
        "subject": "hi", "body": {"contentType": "text", "content": "x"},
        "toRecipients": [{"emailAddress": {"address": a}} for a in addresses]}})
    assert response.status_code == 202, response.text


def names(response):
    assert response.status_code == 200, response.text
    return [p["displayName"] for p in response.json()["value"]]


def test_people_default_shape_and_directory(graph_api, graph_token):
    api = graph_api.as_(graph_token(ADELE, PEOPLE))
    response = api.get("/me/people")
    people = response.json()["value"]
    assert "Adele Vance" not in names(response)
    assert {"Alex Wilber", "Megan Bowen", "Sales", "All Staff"} <= set(names(response))
    alex = next(p for p in people if p["displayName"] == "Alex Wilber")
    assert alex["personType"] == {"class": "Person", "subclass": "OrganizationUser"}
    assert alex["scoredEmailAddresses"][0]["address"] == ALEX
    assert alex["userPrincipalName"] == ALEX and alex["givenName"] == "Alex"
    assert response.json()["@odata.context"].endswith("/people")
    assert all(leftovers(p) == [] for p in parse_list(response.content, Person))
    assert "Sam Taylor" not in names(response)  # another tenant's person


def test_people_i_mail_rank_first(graph_api, graph_token):
    api = graph_api.as_(graph_token(ADELE, PEOPLE))
    send(api, MEGAN)
    send(api, MEGAN, "outsider@fabrikam.example")
    ranked = api.get("/me/people").json()["value"]
    assert ranked[0]["displayName"] == "Megan Bowen"
    assert ranked[1]["scoredEmailAddresses"][0]["address"] == "outsider@fabrikam.example"
    assert ranked[1]["personType"]["subclass"] == "ImplicitContact"
    assert ranked[0]["scoredEmailAddresses"][0]["relevanceScore"] > \
        ranked[1]["scoredEmailAddresses"][0]["relevanceScore"]


def test_people_who_mail_me_count_too(graph_api, graph_token):
    send(graph_api.as_(graph_token(ALEX)), ADELE)
    ranked = graph_api.as_(graph_token(ADELE, PEOPLE)).get("/me/people").json()["value"]
    assert ranked[0]["displayName"] == "Alex Wilber"


def test_search_matches_the_start_of_names_and_addresses(graph_api, graph_token):
    api = graph_api.as_(graph_token(ADELE, PEOPLE))
    assert names(api.get("/me/people", params={"$search": '"meg"'})) == ["Megan Bowen"]
    assert names(api.get("/me/people", params={"$search": "wilb"})) == ["Alex Wilber"]
    assert names(api.get("/me/people", params={"$search": "sales"})) == ["Sales"]
    assert names(api.get("/me/people", params={"$search": "zz"})) == []


def test_top_select_and_paging(graph_api, graph_token):
    api = graph_api.as_(graph_token(ADELE, PEOPLE))
    first = api.get("/me/people", params={"$top": "2", "$select": "displayName"}).json()
    assert len(first["value"]) == 2 and set(first["value"][0]) == {"id", "displayName"}
    rest = api.get(first["@odata.nextLink"]).json()
    assert rest["value"] and rest["value"][0]["id"] not in {p["id"] for p in first["value"]}
    assert api.get("/me/people", params={"$top": "0"}).status_code == 400
    bad = api.get("/me/people", params={"$select": "shoeSize"})
    assert bad.status_code == 400 and "shoeSize" in bad.json()["error"]["message"]
    assert api.get("/me/people", params={"$search": "a", "$skip": "1"}).status_code == 400


def test_people_needs_people_read(graph_api, graph_token):
    denied = graph_api.as_(graph_token(ADELE, ["User.Read", "Mail.Read"])).get("/me/people")
    assert denied.status_code == 403
    other = graph_api.as_(graph_token(ADELE, PEOPLE)).get(f"/users/{MEGAN}/people")
    assert other.status_code == 403  # someone else's list needs People.Read.All
    allowed = graph_api.as_(graph_token(ADELE, ["People.Read.All"])).get(f"/users/{MEGAN}/people")
    assert allowed.status_code == 200 and "Megan Bowen" not in names(allowed)


def test_app_only_needs_people_read_all(graph_api, graph_token):
    assert graph_api.as_(graph_token(roles=["Mail.Send"])).get(f"/users/{ADELE}/people") \
        .status_code == 403
    assert graph_api.as_(graph_token(roles=["People.Read.All"])).get(f"/users/{ADELE}/people") \
        .status_code == 200
