"""$filter, $orderby, $search and $count on message lists, and Graph's refusals of combinations."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from helpers.kiota import run_async, sdk_client, trust
from helpers.sdk_models import leftovers

ALEX = "alex@contoso.example"
MEGAN = "megan@contoso.example"


@pytest.fixture
def alex_api(graph_api, graph_token):
    return graph_api.as_(graph_token(ALEX))


@pytest.fixture
def inbox(graph_api, graph_token, mailbox):
    """Alex's inbox: three messages from Adele, one from Megan, on known dates; one read."""
    megan_api = graph_api.as_(graph_token(MEGAN))
    sent = [(graph_api, "Quarterly pizza party", "<p>Bring toppings</p>", None),
            (graph_api, "Budget review", "<p>Numbers attached</p>", "budget.txt"),
            (megan_api, "Launch plan", "<p>Pizza is not on the plan</p>", None),
            (graph_api, "Weekly notes", "<p>Nothing special</p>", None)]
    for api, subject, html, attachment in sent:
        message = {"subject": subject, "body": {"contentType": "html", "content": html},
                   "toRecipients": [{"emailAddress": {"address": ALEX}}]}
        if attachment:
            message["attachments"] = [{"@odata.type": "#microsoft.graph.fileAttachment",
                                       "name": attachment, "contentBytes": "aGVsbG8="}]
        assert api.post("/me/sendMail", json={"message": message}).status_code == 202
    items = {m.props["subject"]: m for m in mailbox(ALEX).in_folder("inbox")}
    for day, subject in enumerate(["Quarterly pizza party", "Budget review", "Launch plan",
                                   "Weekly notes"], start=1):
        moment = dt.datetime(2024, 3, day, 9, 0, tzinfo=dt.timezone.utc)
        items[subject].received = items[subject].sent = moment
    items["Weekly notes"].is_read = True
    return items


def subjects(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [m["subject"] for m in response.json()["value"]]


@pytest.mark.parametrize("query, expected", [
    ("isRead eq false", {"Quarterly pizza party", "Budget review", "Launch plan"}),
    ("hasAttachments eq true", {"Budget review"}),
    ("from/emailAddress/address eq 'MEGAN@contoso.example'", {"Launch plan"}),
    ("receivedDateTime ge 2024-03-02T00:00:00Z and receivedDateTime lt 2024-03-04T00:00:00Z",
     {"Budget review", "Launch plan"}),
    ("isRead eq true or hasAttachments eq true", {"Weekly notes", "Budget review"}),
    ("startswith(subject,'week')", {"Weekly notes"}),
    ("contains(subject,'PIZZA') and not (isRead eq true)", {"Quarterly pizza party"}),
])
def test_filter_keeps_the_matching_messages(alex_api, inbox, query, expected):
    assert set(subjects(alex_api.get(f"/me/messages?$filter={quote(query)}"))) == expected


def test_filter_applies_to_folders_and_to_users_mirror(alex_api, graph_api, graph_token, inbox):
    query = quote("isRead eq false")
    assert len(subjects(alex_api.get(f"/me/mailFolders/inbox/messages?$filter={query}"))) == 3
    assert subjects(alex_api.get(f"/me/mailFolders/sentitems/messages?$filter={query}")) == []
    app = graph_api.as_(graph_token(roles=["Mail.Read"]))
    assert len(subjects(app.get(f"/users/{ALEX}/messages?$filter={query}"))) == 3


def test_orderby_received_desc_and_asc(alex_api, inbox):
    newest = subjects(alex_api.get("/me/messages?$orderby=receivedDateTime desc"))
    assert newest == ["Weekly notes", "Launch plan", "Budget review", "Quarterly pizza party"]
    oldest = subjects(alex_api.get("/me/messages?$orderby=receivedDateTime"))
    assert oldest == list(reversed(newest))


def test_filter_with_orderby_on_its_first_property(alex_api, inbox):
    query = quote("receivedDateTime ge 2024-03-02T00:00:00Z and isRead eq false")
    got = subjects(alex_api.get(f"/me/messages?$filter={query}&$orderby=receivedDateTime asc"))
    assert got == ["Budget review", "Launch plan"]


@pytest.mark.parametrize("query, order", [
    ("isRead eq false", "receivedDateTime desc"),  # sort property missing from the filter
    ("isRead eq false and receivedDateTime ge 2024-01-01T00:00:00Z", "receivedDateTime desc"),
    ("subject eq 'a' and importance eq 'normal'", "importance,subject"),  # other order
])
def test_orderby_not_leading_the_filter_is_inefficient(alex_api, inbox, query, order):
    response = alex_api.get(f"/me/messages?$filter={quote(query)}&$orderby={quote(order)}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "InefficientFilter"
    assert error["message"] == "The restriction or sort order is too complex for this operation."


@pytest.mark.parametrize("search, expected", [
    ('"pizza"', {"Quarterly pizza party", "Launch plan"}),  # subject or body
    ('"from:megan"', {"Launch plan"}),
    ('"subject:pizza"', {"Quarterly pizza party"}),
    ('"budget OR weekly"', {"Budget review", "Weekly notes"}),
    ('"attachment:budget.txt"', {"Budget review"}),
    ("pizza", {"Quarterly pizza party", "Launch plan"}),  # unquoted, as Graph also accepts
])
def test_search_matches_words_and_properties(alex_api, inbox, search, expected):
    assert set(subjects(alex_api.get(f"/me/messages?$search={quote(search)}"))) == expected


def test_search_results_come_newest_sent_first(alex_api, inbox):
    assert subjects(alex_api.get('/me/messages?$search="pizza"')) == [
        "Launch plan", "Quarterly pizza party"]


@pytest.mark.parametrize("extra, code, option", [
    ("$filter=isRead eq false", "SearchWithFilter", "$filter"),
    ("$orderby=receivedDateTime desc", "SearchWithOrderBy", "$orderBy"),
])
def test_search_refuses_filter_and_orderby(alex_api, inbox, extra, code, option):
    response = alex_api.get(f'/me/messages?$search="pizza"&{extra}')
    assert response.status_code == 400
    assert response.json()["error"] == {**response.json()["error"], "code": code}
    assert f"'{option}' is not supported with '$search'" in response.json()["error"]["message"]


def test_count_reports_every_match_beside_the_first_page(alex_api, inbox):
    body = alex_api.get(f"/me/messages?$count=true&$top=1&$filter={quote('isRead eq false')}").json()
    assert body["@odata.count"] == 3 and len(body["value"]) == 1
    assert list(body)[:3] == ["@odata.context", "@odata.count", "value"]
    follow = alex_api.get(body["@odata.nextLink"]).json()
    assert len(follow["value"]) == 1 and follow["@odata.count"] == 3
    assert "@odata.count" not in alex_api.get("/me/messages").json()


@pytest.mark.parametrize("query, status, code", [
    ("isRead eq", 400, "BadRequest"),
    ("shoeSize eq 3", 400, "RequestBroker--ParseUri"),
    ("from/emailAddress/street eq 'x'", 400, "RequestBroker--ParseUri"),
    ("toRecipients/any(r: r/emailAddress/address eq 'x@y.z')", 501, "NotImplemented"),
    ("endswith(subject,'x')", 501, "NotImplemented"),
    ("uniqueBody/content eq 'x'", 501, "NotImplemented"),
])
def test_filter_errors_name_what_is_wrong(alex_api, inbox, query, status, code):
    response = alex_api.get(f"/me/messages?$filter={quote(query)}")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    if status == 501:
        assert "emulator" in response.json()["error"]["message"]


def test_count_must_be_true_or_false(alex_api):
    assert alex_api.get("/me/messages?$count=yes").status_code == 400


# --- Through msgraph-sdk (kiota), authenticated by azure-identity (app-only, Mail.Read) ----------

def test_msgraph_sdk_filters_orders_and_searches_messages(emu, demo_client, tmp_path, monkeypatch,
                                                          inbox):
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.users.item.messages.messages_request_builder import (
        MessagesRequestBuilder)

    from emulator.directory import WORK_TENANT_ID

    trust(emu, tmp_path, monkeypatch)
    Query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters

    async def run():
        client, credential = sdk_client(emu, demo_client["client_id"],
                                        demo_client["client_secret"], WORK_TENANT_ID)
        try:
            messages = client.users.by_user_id(ALEX).messages
            unread = await messages.get(request_configuration=RequestConfiguration(
                query_parameters=Query(filter="receivedDateTime ge 2024-03-02T00:00:00Z and "
                                       "isRead eq false", orderby=["receivedDateTime desc"],
                                       count=True, top=1)))
            following = await messages.with_url(unread.odata_next_link).get()
            found = await messages.get(request_configuration=RequestConfiguration(
                query_parameters=Query(search='"from:megan"')))
            return unread, following, found
        finally:
            await credential.close()

    unread, following, found = run_async(run())
    assert unread.odata_count == 2 and [m.subject for m in unread.value] == ["Launch plan"]
    assert [m.subject for m in following.value] == ["Budget review"]
    assert [m.subject for m in found.value] == ["Launch plan"]
    for page in (unread, following, found):
        assert leftovers(page) == [] and all(leftovers(m) == [] for m in page.value)
