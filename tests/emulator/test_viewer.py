"""The mailbox viewer (plain HTTP pages server): mailboxes, folders, messages, downloads."""
from __future__ import annotations

import base64
import re

import pytest
import requests

ALEX, MEGAN, PATTI = "alex@contoso.example", "megan@contoso.example", "patti@contoso.example"
DATA = bytes(range(256)) * 300


@pytest.fixture
def pages(emu):
    session = requests.Session()
    session.trust_env = False

    def get(path: str, **kwargs):
        return session.get(f"{emu.pages_url}{path}", timeout=10, **kwargs)
    yield get
    session.close()


@pytest.fixture
def sent(graph_api):
    """Adele sends on behalf of Alex to Megan, Cc Patti, Bcc Sales, with a file."""
    body = {"message": {
        "subject": "Plans <draft>", "from": {"emailAddress": {"address": ALEX}},
        "body": {"contentType": "html", "content": "<p>See <b>attached</b></p><script>alert(1)</script>"},
        "toRecipients": [{"emailAddress": {"address": MEGAN}}],
        "ccRecipients": [{"emailAddress": {"address": PATTI}}],
        "bccRecipients": [{"emailAddress": {"address": "sales@contoso.example"}}],
        "attachments": [{"@odata.type": "#microsoft.graph.fileAttachment", "name": "plan v2.bin",
                         "contentBytes": base64.b64encode(DATA).decode()}]}}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202


def user_id(emu, upn):
    return emu.state.directory.user(upn).id


def by_testid(html: str, name: str) -> list[str]:
    return re.findall(rf'data-testid="{name}"[^>]*>(.*?)</', html, re.S)


def test_index_lists_mailboxes_with_counts(pages, sent):
    page = pages("/mailbox")
    assert page.status_code == 200
    assert "Adele Vance" in by_testid(page.text, "mailbox-link")
    assert "All Staff" not in page.text.split("<tbody>")[1]  # a distribution list has no mailbox
    row = re.search(r'data-address="megan@contoso.example".*?</tr>', page.text, re.S).group(0)
    assert re.search(r'data-testid="count-inbox">1<', row)


def test_folder_lists_messages(pages, sent, emu):
    page = pages(f"/mailbox/{user_id(emu, MEGAN)}/inbox")
    assert by_testid(page.text, "message-link") == ["Plans &lt;draft&gt;"]
    assert 'class="unread"' in page.text
    sent_items = pages(f"/mailbox/{user_id(emu, 'adele@contoso.example')}/sentitems")
    assert len(by_testid(sent_items.text, "message-link")) == 1
    empty = pages(f"/mailbox/{user_id(emu, MEGAN)}/drafts")
    assert 'data-testid="empty-folder"' in empty.text


def test_mailbox_by_address_redirects_to_its_inbox(pages, emu):
    response = pages(f"/mailbox/{MEGAN}", allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/mailbox/{user_id(emu, MEGAN)}/inbox")


def _message_page(pages, emu, mailbox, upn):
    (item,) = mailbox(upn).messages.values()
    return item, pages(f"/mailbox/{user_id(emu, upn)}/messages/{item.id}").text


def test_recipient_copy_shows_from_sender_to_cc_and_no_bcc(pages, sent, emu, mailbox):
    _, html = _message_page(pages, emu, mailbox, MEGAN)
    assert "Alex Wilber &lt;alex@contoso.example&gt;" in by_testid(html, "field-from")[0]
    assert "Adele Vance" in html.split('data-testid="field-sender"')[1]
    assert 'data-testid="on-behalf"' in html
    assert "megan@contoso.example" in html.split('data-testid="field-to"')[1].split("</dd>")[0]
    assert "patti@contoso.example" in html.split('data-testid="field-cc"')[1].split("</dd>")[0]
    assert 'data-testid="field-bcc"' not in html


def test_senders_copy_shows_bcc(pages, sent, emu, mailbox):
    _, html = _message_page(pages, emu, mailbox, "adele@contoso.example")
    assert "sales@contoso.example" in html.split('data-testid="field-bcc"')[1].split("</dd>")[0]


def test_html_body_is_sandboxed_and_escaped(pages, sent, emu, mailbox):
    _, html = _message_page(pages, emu, mailbox, MEGAN)
    frame = re.search(r"<iframe[^>]*>", html).group(0)
    assert " sandbox " in frame
    assert "<script>" not in html  # the body is inside srcdoc, escaped
    assert "&lt;script&gt;" in frame


def test_attachment_downloads_byte_for_byte(pages, sent, emu, mailbox):
    item, html = _message_page(pages, emu, mailbox, MEGAN)
    (link,) = re.findall(r'href="([^"]+)"\s+data-testid="attachment-link"', html)
    download = pages(link)
    assert download.content == DATA
    assert "plan%20v2.bin" in download.headers["Content-Disposition"]


def test_web_link_leads_to_the_message(pages, graph_api, sent, emu):
    web_link = graph_api.get("/me/mailFolders/sentitems/messages").json()["value"][0]["webLink"]
    assert web_link.startswith(emu.pages_url)
    response = pages(web_link[len(emu.pages_url):])
    assert response.status_code == 200
    assert by_testid(response.text, "message-subject") == ["Plans &lt;draft&gt;"]


def test_text_bodies_are_shown_as_text(pages, graph_api, emu, mailbox):
    graph_api.post("/me/sendMail", json={"message": {
        "subject": "Plain", "body": {"contentType": "text", "content": "line 1\n<line 2>"},
        "toRecipients": [{"emailAddress": {"address": MEGAN}}]}})
    _, html = _message_page(pages, emu, mailbox, MEGAN)
    assert by_testid(html, "text-body") == ["line 1\n&lt;line 2&gt;"]


@pytest.mark.parametrize("path", ["/mailbox/nobody@contoso.example", "/mailbox/allstaff@contoso.example",
                                  "/owa/?ItemID=nothing"])
def test_unknown_things_are_404(pages, path):
    assert pages(path).status_code == 404


def test_unknown_folder_and_message_are_404(pages, emu):
    adele = user_id(emu, "adele@contoso.example")
    assert pages(f"/mailbox/{adele}/junk-drawer").status_code == 404
    assert pages(f"/mailbox/{adele}/messages/AAMkADnothing").status_code == 404


@pytest.mark.browser
def test_viewer_in_a_real_browser(page, sent, emu):
    """Click through as a person would: mailbox, folder, message, body in its sandbox."""
    page.goto(f"{emu.pages_url}/mailbox")
    page.locator('[data-testid="mailbox-row"][data-address="megan@contoso.example"] '
                 '[data-testid="mailbox-link"]').click()
    assert page.locator('[data-testid="folder-title"]').inner_text() == "Inbox"
    page.locator('[data-testid="message-link"]').first.click()
    assert page.locator('[data-testid="message-subject"]').inner_text() == "Plans <draft>"
    assert page.locator('[data-testid="on-behalf"]').count() == 1
    assert page.locator('[data-testid="field-bcc"]').count() == 0
    body = page.frame_locator('[data-testid="html-body"]').locator("b")
    assert body.inner_text() == "attached"
    assert page.locator('[data-testid="attachment-link"]').get_attribute("data-size") == str(len(DATA))
