"""The rough edges a new user noticed (issue 17, item 9), through the factory and the emulator:
sign-out says so; the dashboard has a Mail card; a message opens read and its menu says so; a
draft's page offers Continue and Discard only; "Show images" only where there is a remote
picture; one size formatter; the sidebar names a mailbox once; a discarded draft in Deleted
Items shows its recipients; times go out as <time> for the browser's zone."""
from __future__ import annotations

import re

from helpers.compose import csrf_of, only, text
from helpers.mailbox import attachment

ADELE, MEGAN, ALEX = "adele@contoso.example", "megan@contoso.example", "alex@contoso.example"


def test_sign_out_lands_on_a_page_that_says_so(client, sign_in):
    sign_in(client)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/"))).group(1)
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and "mailer_signed_out=1" in out.headers["Set-Cookie"]
    landing = client.get("/")  # where Microsoft's sign-out comes back
    assert "You are signed out." in text(landing)
    assert "You are signed out." not in text(client.get("/"))  # said once


def test_the_dashboard_has_a_mail_card(client, sign_in):
    sign_in(client)
    page = text(client.get("/"))
    assert re.search(r'href="/mail/me/inbox" id="mail-card"', page)


def test_a_message_opens_read_once_mail_readwrite_is_held(client, sign_in, graph_app, emu):
    graph_app.send(ALEX, MEGAN, "Unread until opened", "<p>Hello</p>",
                   attachments=[attachment("notes.txt", b"x" * 37, "text/plain")])
    got = only(emu, MEGAN)
    assert not got.is_read
    sign_in(client, MEGAN, scopes=["Mail.Read"])  # reading only: opened, not marked
    page = text(client.get(f"/mail/me/m/{got.id}"))
    assert not only(emu, MEGAN).is_read and ">Mark as read<" in page
    assert "Mark as read</em> asks once" in page
    assert "(37 bytes)" in page  # the one size formatter, never "37 Bytes"
    sign_in(client, MEGAN, scopes=["Mail.ReadWrite"])
    page = text(client.get(f"/mail/me/m/{got.id}"))
    assert only(emu, MEGAN).is_read and ">Mark as unread<" in page
    assert "Opening a message marks it as read" in page
    assert 'id="show-images"' not in page  # no remote picture: nothing to show
    assert re.search(r'id="date"><time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" data-local>'
                     r'\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>', page)


def test_show_images_only_with_a_remote_picture(client, sign_in, graph_app, emu):
    graph_app.send(ALEX, MEGAN, "With a picture",
                   '<p>Look</p><img src="https://pictures.example/a.png" alt="a">')
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=["Mail.ReadWrite"])
    page = text(client.get(f"/mail/me/m/{got.id}"))
    assert 'id="show-images"' in page and 'id="images-note"' in page


def test_a_drafts_page_offers_continue_and_discard_only(client, sign_in, graph_app, emu):
    response = graph_app.http.post(f"{graph_app.graph}/users/{MEGAN}/messages",
                                   headers=graph_app.headers, timeout=10, json={
                                       "subject": "Half done",
                                       "toRecipients": [{"emailAddress": {"address": ALEX,
                                                                          "name": "Alex Wilber"}}]})
    draft_id = response.json()["id"]
    sign_in(client, MEGAN, scopes=["Mail.ReadWrite"])
    page = text(client.get(f"/mail/me/m/{draft_id}?f=drafts"))
    actions = page[page.index('id="message-actions"'):page.index("</iframe>")]
    assert 'id="continue"' in actions and 'id="discard"' in actions
    assert 'id="delete"' not in actions and 'id="mark"' not in actions
    assert 'data-confirm="Discard this draft?' in actions
    gone = client.post(f"/mail/me/m/{draft_id}/discard",
                       data={"csrf_token": csrf_of(page), "f": "drafts"})
    assert gone.status_code == 303
    deleted = text(client.get("/mail/me/deleteditems"))
    assert "Half done" in deleted and "(unknown sender)" not in deleted
    assert 'class="text-truncate who">Alex Wilber<' in deleted


def test_the_sidebar_names_your_mailbox_once(client, sign_in):
    sign_in(client, scopes=["Mail.ReadWrite"])
    page = text(client.get("/mail/me/inbox"))
    side = page[page.index('aria-label="Folders"'):page.index('id="open-mailbox"')]
    assert side.lower().count("your mailbox") == 1
