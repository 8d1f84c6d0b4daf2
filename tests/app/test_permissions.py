"""Permissions as a person meets them (issue 17, item 3): asked once for the mail pages'
family, the click that asked completes after the grant, and in a tenant whose admin consented
nobody is asked at all (SCOPES set to Graph's /.default)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from helpers.compose import csrf_of, mailbox, new_draft, post_form, text
from helpers.signin import sign_in_with_requests

from app import create_app
from emulator.directory import DEMO_CLIENT_ID, DEMO_PASSWORD, WORK_TENANT_ID
from emulator.identity import grants

ADELE, MEGAN, SAM = "adele@contoso.example", "megan@contoso.example", "sam.taylor@outlook.example"
FAMILY = {"Mail.ReadWrite", "Mail.Send", "People.Read", "User.ReadBasic.All"}


def asked_at_microsoft(client, location: str) -> set[str]:
    """The scopes the authorize URL asks, following the app's /login link."""
    for _ in range(3):  # the app's own redirects, up to the sign-in pages
        response = client.get(location)
        assert response.status_code == 302, text(response)[:300]
        location = response.location
        if location.startswith("http"):
            break
    query = parse_qs(urlsplit(location).query)
    return set(query["scope"][0].split()) - {"openid", "profile", "offline_access"}


def test_any_mail_permission_asks_the_whole_family_once(client, sign_in):
    sign_in(client)
    draft_id, token = new_draft(client)
    picker = client.get("/people?q=meg").get_json()  # the picker's first use
    assert FAMILY <= asked_at_microsoft(client, "/people/consent/work")
    assert picker["consent"]
    sign_in(client, scopes=sorted(FAMILY))  # granted once
    assert client.get("/mail/me/inbox").status_code == 200
    assert "people" in client.get("/people?q=meg").get_json()
    sent = post_form(client, draft_id, token, to=MEGAN, subject="No more asking")
    assert sent.status_code == 303 and "/login" not in sent.location


def test_a_personal_account_is_not_asked_the_directory(client, sign_in):
    sign_in(client, SAM)
    asked = asked_at_microsoft(client, "/login?next=/mail&scopes=Mail.Read")
    assert asked == {"User.Read", "Mail.ReadWrite", "Mail.Send", "People.Read", "Mail.Read"}


def test_save_draft_through_a_prompt_saves_once_granted(client, sign_in, emu):
    sign_in(client)
    draft_id, token = new_draft(client)
    response = post_form(client, draft_id, token, action="save", to=MEGAN, subject="Keep me")
    assert response.status_code == 303
    back = parse_qs(urlsplit(response.location).query)["next"][0]
    assert back == f"/compose/{draft_id}?resume=save"
    sign_in(client, scopes=["Mail.ReadWrite"])
    page = text(client.get(back))
    assert 'data-resume="save"' in page and "Saving your draft" in page
    saved = post_form(client, draft_id, csrf_of(page), action="save", resume="1", to=MEGAN,
                      subject="Keep me")  # what compose.js presses on that page
    assert saved.status_code == 303
    assert "Draft saved to your Drafts folder." in text(client.get(saved.location))
    [kept] = mailbox(emu, ADELE, "drafts")
    assert kept.props["subject"] == "Keep me"


def test_in_a_tenant_an_admin_consented_nobody_is_asked(app_config, emu):
    emu.state.add_redirect_uri("http://localhost/auth/callback")
    names = set(emu.state.directory.apps[DEMO_CLIENT_ID].required_permissions)
    grants.grant_tenant_wide(emu.state, WORK_TENANT_ID, DEMO_CLIENT_ID,
                             names | {"openid", "profile", "offline_access"})  # as /adminconsent
    app = create_app({**app_config, "SCOPES": "https://graph.microsoft.com/.default"},
                     environ={})
    try:
        client = app.test_client()
        login = client.get("/login")
        scope = parse_qs(urlsplit(login.location).query)["scope"][0].split()
        assert "https://graph.microsoft.com/.default" in scope and "User.Read" not in scope
        result = sign_in_with_requests(login.location, ADELE, DEMO_PASSWORD, consent=False)
        assert "consent" not in result.pages, result.pages  # no consent page at all
        assert client.get("/auth/callback", query_string=result.params).status_code == 302
        for path in ("/mail/me/inbox", "/mail/me/drafts", "/profile"):
            assert client.get(path).status_code == 200, path
        assert "people" in client.get("/people?q=meg").get_json()
        draft_id, token = new_draft(client)
        sent = post_form(client, draft_id, token, to=MEGAN, subject="Consented for me")
        assert sent.status_code == 303 and "/login" not in sent.location
        assert re.search(r"/compose/[0-9a-f-]{36}/status", sent.location)
    finally:
        app.extensions["mailer"]["http"].close()
