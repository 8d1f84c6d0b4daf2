"""Admin consent from the app, over real HTTP: the admin page says whether app-only sending
works (asked of the emulator's token endpoint each time), and Grant admin consent goes through
the emulator's real sign-in and admin-consent pages (driven with requests) and back to the app,
which checks its one-use state and says the outcome in words. The demo tenant starts with
admin consent; tests that need a tenant without it undo it through the emulator's admin API."""
from __future__ import annotations

from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
import requests

from emulator.directory import DEMO_PASSWORD, WORK_TENANT_ID
from helpers.signin import parse_page

from api.api_support import ADELE, ADMIN, ALEX, csrf_token

CALLBACK = "/admin/consent/callback"


@pytest.fixture
def consent_callback(live_app, emu):
    """The consent callback's URL, registered on the demo app (an Azure admin registers it)."""
    uri = f"{live_app.url}{CALLBACK}"
    emu.state.add_redirect_uri(uri)
    return uri


def start_consent(http, live_app) -> str:
    """Press Grant admin consent on /admin/; where the app sends the browser."""
    page = http.get(f"{live_app.url}/admin/", timeout=30)
    assert page.status_code == 200 and 'id="grant-consent"' in page.text, page.text[:300]
    sent = http.post(f"{live_app.url}/admin/consent", data={"csrf_token": csrf_token(page.text)},
                     allow_redirects=False, timeout=30)
    assert sent.status_code == 303, sent.text[:300]
    return sent.headers["Location"]


def answer_at_microsoft(emu, url: str, username: str, action: str) -> str:
    """Sign in at the emulator's pages as ``username`` in a fresh browser and press ``action``
    (accept or cancel) on the admin-consent page; the URL it sends back to the app."""
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = str(emu.ca_file)
    try:
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code in (302, 303):  # a URL built on the authority: on to the pages
            response = browser.get(urljoin(url, response.headers["Location"]),
                                   allow_redirects=False, timeout=10)
        for _ in range(5):
            page = parse_page(response.text)
            fields = {"username": {"loginfmt": username},
                      "password": {"passwd": DEMO_PASSWORD},
                      "adminconsent": {"action": action}, "need_admin": {"action": action}}
            assert page.kind in fields, (page.kind, page.text[:300])
            form = page.forms[0] if page.kind in ("username", "password") \
                else page.form_with("action")
            response = browser.post(urljoin(response.url, form.action),
                                    data={**form.fields, **fields[page.kind]},
                                    allow_redirects=False, timeout=10)
            if response.status_code in (302, 303):
                return response.headers["Location"]
        raise AssertionError("no answer after five pages")
    finally:
        browser.close()


def app_only_state(http, live_app) -> str:
    page = http.get(f"{live_app.url}/admin/", timeout=30)
    assert page.status_code == 200, page.text[:300]
    return parse_page(page.text).text


def revoke_app_permissions(emu, https) -> list[str]:
    """Undo the demo tenant's admin consent to the app's application permissions (the
    emulator's admin API); the permissions it held."""
    client_id = emu.client_config()["client_id"]
    response = https.delete(f"{emu.api_url}/_emulator/identity/app-permissions/contoso.example/"
                            f"{client_id}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["revoked"]


def test_an_admin_grants_consent_through_microsofts_pages(live_app, live_sign_in, emu, https,
                                                          consent_callback):
    admin = live_sign_in(ADMIN)
    assert "Granted. In contoso.example the app holds" in app_only_state(admin, live_app)
    assert "Mail.Send" in revoke_app_permissions(emu, https)
    text = app_only_state(admin, live_app)  # asked again now: nothing cached on the instance
    assert "Not granted. A token was issued for contoso.example, but without the application " \
           "permission Mail.Send: an administrator of the organization must grant consent" in text
    url = start_consent(admin, live_app)
    parts, query = urlsplit(url), dict(parse_qsl(urlsplit(url).query))
    # Built from discovery's authorization_endpoint, as MSAL builds sign-in: the emulator's
    # plain-HTTP pages, never its HTTPS API origin (a certificate warning in a browser).
    assert url.startswith(f"{emu.pages_url}/contoso.example/v2.0/adminconsent?")
    assert query["scope"] == "https://graph.microsoft.com/.default"
    assert query["redirect_uri"] == consent_callback and len(query["state"]) >= 32
    assert parts.netloc == urlsplit(emu.pages_url).netloc and "secret" not in url.lower()
    back = answer_at_microsoft(emu, url, ADMIN, "accept")
    assert back.startswith(consent_callback + "?") and "admin_consent=True" in back
    page = admin.get(back, timeout=30)
    assert page.status_code == 200, page.text[:300]
    text = parse_page(page.text).text
    assert f"Admin consent was granted for the organization {WORK_TENANT_ID}" in text
    assert "Granted. In contoso.example the app holds the application permissions Mail.Read, " \
           "Mail.ReadWrite, Mail.Send, User.Read.All" in text
    again = admin.get(back, timeout=30)  # the state was used up: the same answer twice is not
    assert again.status_code == 400 and "No admin consent is waiting" in again.text


def test_a_non_admins_answer_leaves_app_only_sending_not_granted(live_app, live_sign_in, emu,
                                                                https, consent_callback):
    admin = live_sign_in(ADMIN)
    revoke_app_permissions(emu, https)
    back = answer_at_microsoft(emu, start_consent(admin, live_app), ALEX, "cancel")
    text = parse_page(admin.get(back, timeout=30).text).text
    assert "Consent was not granted" in text
    assert "Not granted. A token was issued for contoso.example, but without the application " \
           "permission Mail.Send" in app_only_state(admin, live_app)


def test_app_only_status_says_when_no_token_could_be_had(live_app, live_sign_in, emu):
    admin = live_sign_in(ADMIN)
    demo = emu.state.directory.apps[emu.client_config()["client_id"]]
    # The app's secret was rotated in Entra but not in the app's settings (no admin API for it).
    demo.secrets = ["another secret"]
    text = app_only_state(admin, live_app)
    assert "Not granted. No app-only token could be had for contoso.example: invalid_client" in text


def test_a_non_admin_cannot_start_consent_nor_answer_it(live_app, live_sign_in,
                                                        consent_callback):
    adele = live_sign_in(ADELE)
    token = csrf_token(adele.get(f"{live_app.url}/", timeout=30).text)
    tried = adele.post(f"{live_app.url}/admin/consent", data={"csrf_token": token},
                       allow_redirects=False, timeout=30)
    assert tried.status_code == 403 and "Mailer.Admin" in tried.text
    assert "adminconsent" not in tried.headers.get("Location", "")
    answered = adele.get(f"{consent_callback}?admin_consent=True&state=x", timeout=30)
    assert answered.status_code == 403 and "granted" not in answered.text.lower()
    admin = live_sign_in(ADMIN)
    no_csrf = admin.post(f"{live_app.url}/admin/consent", allow_redirects=False, timeout=30)
    assert no_csrf.status_code == 400 and "adminconsent" not in no_csrf.headers.get(
        "Location", "")


@pytest.mark.parametrize("state, words", [
    (None, "This answer carries no state"),
    ("forged-state-of-an-attacker-000000000000000", "does not match the consent started here"),
])
def test_a_missing_or_forged_state_is_refused_in_words(live_app, live_sign_in, emu,
                                                       consent_callback, state, words):
    admin = live_sign_in(ADMIN)
    start_consent(admin, live_app)  # a consent is waiting; the answer below is not its own
    params = {"admin_consent": "True", "tenant": "<b>evil</b>",
              "error_description": "<script>alert(1)</script>"}
    if state:
        params["state"] = state
    page = admin.get(consent_callback, params=params, timeout=30)
    assert page.status_code == 400 and words in page.text
    assert "<script>alert(1)</script>" not in page.text and "<b>evil</b>" not in page.text
    assert "Admin consent was granted" not in page.text


def test_access_denied_is_explained(live_app, live_sign_in, emu, consent_callback):
    admin = live_sign_in(ADMIN)
    url = start_consent(admin, live_app)
    back = answer_at_microsoft(emu, url, ALEX, "cancel")  # Alex is no administrator
    assert "error=access_denied" in back
    page = admin.get(back, timeout=30)
    assert page.status_code == 200, page.text[:300]
    text = parse_page(page.text).text
    assert "Consent was not granted: the account that answered cannot grant it for the " \
           "organization" in text
    assert "Microsoft said: AADSTS90094" in text
    assert "Admin consent was granted" not in text


def test_a_callback_with_html_in_the_error_is_shown_escaped(live_app, live_sign_in,
                                                            consent_callback):
    admin = live_sign_in(ADMIN)
    url = start_consent(admin, live_app)
    state = dict(parse_qsl(urlsplit(url).query))["state"]
    page = admin.get(consent_callback, timeout=30, params={
        "state": state, "error": "<i>server_error</i>",
        "error_description": "<img src=x onerror=alert(1)>" + "x" * 3000})
    assert page.status_code == 200
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
    assert "<i>server_error</i>" not in page.text and "x" * 600 not in page.text
