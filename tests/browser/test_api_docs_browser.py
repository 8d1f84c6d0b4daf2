"""The API documentation page (/api/v1/docs) in real Chromium: Swagger UI served by the app
under its CSP loads with no console error, and "Try it out" with a key submits a message that
a worker sends."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from automation.automation_support import inbox_subjects, wait_until
from mailer.web.api import services

pytestmark = pytest.mark.browser

SALES, ALEX = "sales@contoso.example", "alex@contoso.example"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "AUTOMATION_SENDERS": SALES}


def test_the_docs_page_loads_clean_and_try_it_out_sends_with_a_key(page, live_app,
                                                                   console_errors):
    with live_app.app.app_context():
        key = services.api_keys().create("docs page", [SALES], "tests")[0]
    page.goto(f"{live_app.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Mail sender API")
    operation = page.locator("#operations-api-submitMessage")
    expect(operation).to_be_visible()
    page.click(".swagger-ui .btn.authorize")
    page.locator(".modal-ux input").first.fill(key)
    page.click(".modal-ux .auth-btn-wrapper .btn.authorize")
    page.click(".modal-ux .btn-done")
    operation.locator(".opblock-summary").click()
    expect(operation.locator(".opblock-description-wrapper").first).to_contain_text(
        "Queue one message, sent app-only")
    expect(operation.locator(".opblock-section-request-body")).to_contain_text(
        "Your order 1042 has shipped")  # the documented example
    operation.locator(".try-out__btn").click()
    body = {"from": SALES, "to": [ALEX], "subject": "Sent from the docs page", "text": "Hello"}
    operation.locator("textarea.body-param__text").fill(json.dumps(body))
    operation.locator(".execute").click()
    answer = operation.locator(".live-responses-table .response .response-col_status").first
    expect(answer).to_have_text("202", timeout=20_000)
    rt = live_app.app.extensions["mailer"]["delivery"]
    assert wait_until(lambda: inbox_subjects(rt, ALEX, "Sent from the docs page"), 30)
    assert key not in page.evaluate("JSON.stringify(window.localStorage)")  # kept in the page
    assert not console_errors, console_errors
