"""The mailbox pages through the app factory against the real emulator: folders, paging, unread
only, search, reading (on behalf of, the body's own document and CSP, inline pictures,
attachments), mark read/unread, delete, another mailbox, consent on first use, and every Graph
failure in words. Mail is put into the emulator through Graph itself, as the app's app-only
registration (Mail.Send, Mail.ReadWrite)."""
from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from helpers.compose import add_fault, csrf_of, mailbox, only, text
from helpers.mailbox import PNG, attachment

ADELE, MEGAN, ALEX = "adele@contoso.example", "megan@contoso.example", "alex@contoso.example"
SALES = "sales@contoso.example"
ROW = re.compile(r'<li class="list-group-item[^"]*" data-id="([^"]+)" data-unread="(true|false)">')


def rows(page: str) -> list[tuple[str, bool]]:
    return [(i, u == "true") for i, u in ROW.findall(page)]


def words(response) -> str:
    match = re.search(r'id="mail-error">(.*?)</div>', text(response), re.S)
    assert match, text(response)[:1500]
    return match.group(1)


def test_the_first_mail_page_asks_once_for_what_every_mail_page_needs(client, sign_in):
    sign_in(client)
    assert client.get("/").status_code == 200  # the nav's Mail link asks nothing yet
    assert client.get("/profile").status_code == 200
    first = client.get("/mail/me/inbox")
    assert first.status_code == 302 and "scopes=Mail.ReadWrite" in first.location
    to_microsoft = client.get(first.location)  # /login widens it to the mail pages' family
    asked = set(parse_qs(urlsplit(to_microsoft.location).query)["scope"][0].split())
    assert {"Mail.ReadWrite", "Mail.Send", "People.Read", "User.ReadBasic.All"} <= asked
    assert "Mail.Read" not in asked  # Mail.ReadWrite covers reading
    assert "prompt=select_account" not in to_microsoft.location  # the one signed in, hinted
    assert "login_hint=adele" in to_microsoft.location
    sign_in(client, scopes=["Mail.ReadWrite"])
    assert client.get("/mail/me/inbox").status_code == 200
    assert client.get("/mail").location == "/mail/me/inbox"


def test_a_person_who_granted_only_mail_read_reads_with_it_unasked(client, sign_in):
    sign_in(client, scopes=["Mail.Read"])  # before the families: their grant still serves
    assert client.get("/mail/me/inbox").status_code == 200


def test_a_folder_lists_newest_first_in_pages_with_an_opaque_token(client, sign_in, graph_app, emu):
    for n in range(23):
        graph_app.send(ADELE, MEGAN, f"Number {n:02d}")
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    page = text(client.get("/mail/me/inbox"))
    subjects = re.findall(r'class="d-block text-truncate subject">(?:<i[^>]*></i>)*([^<]+)<', page)
    assert len(subjects) == 20 and subjects[0] == "Number 22" and subjects[-1] == "Number 03"
    link = re.search(r'id="next-page" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    token = re.search(r"page=([^&]+)", link).group(1)
    assert "http" not in unquote(link) and len(token) == 16
    second = text(client.get(link))
    assert len(rows(second)) == 3 and "Number 00" in second and 'id="next-page"' not in second
    altered = token[:-1] + ("y" if token.endswith("x") else "x")  # never the token itself
    for odd in (altered, "https://evil.example/v1.0/me/messages", "a" * 16):
        response = client.get(f"/mail/me/inbox?page={odd}")
        assert response.status_code == 404 and "no longer remembered" in words(response)
    assert client.get(f"/mail/me/sentitems?page={token}").status_code == 404  # another folder's


def test_unread_only_and_search(client, sign_in, graph_app, emu):
    for subject in ("Quarterly figures", "Lunch on Friday", "Quarterly plan"):
        graph_app.send(ADELE, MEGAN, subject)
    read = next(m for m in mailbox(emu, MEGAN) if m.props["subject"] == "Quarterly plan")
    read.is_read = True
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    unread = text(client.get("/mail/me/inbox?unread=1"))
    assert len(rows(unread)) == 2 and read.id not in unread
    assert all(u for _, u in rows(unread))
    found = text(client.get("/mail/me/inbox?q=quarterly"))
    assert len(rows(found)) == 2 and "Lunch" not in found
    assert "No message matches" in text(client.get("/mail/me/inbox?q=nothing-like-it"))
    both = text(client.get("/mail/me/inbox?q=quarterly&unread=1"))
    assert 'id="search-note"' in both
    response = client.get("/mail/me/inbox?q=" + "x" * 201)
    assert response.status_code == 400 and "Search: at most 200" in words(response)


def test_reading_shows_on_behalf_of_as_outlook_does(client, sign_in, graph_app, emu):
    graph_app.send(ADELE, MEGAN, "For Alex", importance="high",
                   ccRecipients=[{"emailAddress": {"address": ALEX}}],
                   **{"from": {"emailAddress": {"address": ALEX}}})
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    listing = text(client.get("/mail/me/inbox"))
    assert "Adele Vance on behalf of Alex Wilber" in listing
    page = text(client.get(f"/mail/me/m/{got.id}"))
    assert re.search(r'id="from"><span[^>]*>Adele Vance</span> on behalf of <span[^>]*>'
                     r'Alex Wilber &lt;alex@contoso.example&gt;</span>', page)
    assert "megan@contoso.example" in re.search(r'id="to">(.*?)</dd>', page).group(1)
    assert "Alex Wilber" in re.search(r'id="cc">(.*?)</dd>', page).group(1)
    assert 'id="importance">High<' in page and 'id="bcc"' not in page
    assert re.search(r'<iframe[^>]*sandbox="allow-popups allow-popups-to-escape-sandbox"', page)


def test_the_sender_sees_bcc_in_sent_items(client, sign_in, graph_app, emu):
    graph_app.send(ADELE, MEGAN, "With Bcc", bccRecipients=[{"emailAddress": {"address": ALEX}}])
    sent = only(emu, ADELE, "sentitems")
    sign_in(client, ADELE, scopes=["Mail.Read"])
    assert "Megan Bowen" in text(client.get("/mail/me/sentitems"))
    page = text(client.get(f"/mail/me/m/{sent.id}?f=sentitems"))
    assert "Alex Wilber" in re.search(r'id="bcc">(.*?)</dd>', page).group(1)


def test_the_body_is_sanitized_and_served_under_its_own_csp(client, sign_in, graph_app, emu):
    html = ('<p onclick="steal()">Hi<script>document.title="owned"</script>'
            '<img src="https://tracker.example/p.png"><img src="cid:logo@x"></p>'
            '<a href="javascript:alert(1)">x</a>')
    graph_app.send(ADELE, MEGAN, "Unsafe", html,
                   [attachment("logo.png", PNG, "image/png", "logo@x")])
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    body = client.get(f"/mail/me/m/{got.id}/body")
    doc, csp = text(body), body.headers["Content-Security-Policy"]
    assert "<script" not in doc and "onclick" not in doc and "javascript:" not in doc
    assert "tracker.example" not in doc and "tracker.example" not in csp
    # The frame's own requests carry no cookie (opaque origin): its pictures travel inside it.
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in doc
    assert csp.startswith("default-src 'none'; img-src data:; ")
    assert "script-src" not in csp and "sandbox allow-popups" in csp
    assert "style-src 'unsafe-inline'" in csp and body.headers["X-Frame-Options"] == "SAMEORIGIN"
    shown = client.get(f"/mail/me/m/{got.id}/body?images=1")
    assert 'src="https://tracker.example/p.png"' in text(shown)
    assert "https://tracker.example" in shown.headers["Content-Security-Policy"]
    picture = client.get(f"/mail/me/m/{got.id}/cid/logo@x")  # the picture opened on its own
    assert picture.status_code == 200 and picture.data == PNG
    assert picture.content_type == "image/png"
    assert client.get(f"/mail/me/m/{got.id}/cid/other").status_code == 404


def test_attachments_download_streamed_with_their_name_and_a_safe_type(client, sign_in,
                                                                      graph_app, emu):
    data = bytes(range(256)) * 100
    graph_app.send(ADELE, MEGAN, "Files", attachments=[
        attachment("Résumé 2026.pdf", data, "application/pdf"),
        attachment("page.html", b"<script>alert(1)</script>", "text/html"),
        attachment("pic.svg", b"<svg onload='x()'/>", "image/svg+xml")])
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    page = text(client.get(f"/mail/me/m/{got.id}"))
    links = dict((n, u) for u, n in re.findall(
        r'<a href="(/mail/me/m/[^"]+/a/[^"]+)"><i[^>]*></i>([^<]+)</a>', page))
    assert set(links) == {"Résumé 2026.pdf", "page.html", "pic.svg"}
    pdf = client.get(links["Résumé 2026.pdf"])
    assert pdf.status_code == 200 and pdf.data == data
    assert pdf.content_type == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        "attachment; filename=\"R_sum_ 2026.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("page.html", "pic.svg"):
        risky = client.get(links[name])
        assert risky.content_type == "application/octet-stream"
        assert risky.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in risky.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name, offered", [
    ("../../evil.html", "evil.html"), ("..\\..\\Windows\\evil.exe", "evil.exe"),
    ("C:\\Users\\x\\report.pdf", "report.pdf"), ("/etc/passwd", "passwd"), ("../..", "attachment"),
])
def test_a_download_is_offered_under_the_last_part_of_its_name_only(client, sign_in, graph_app,
                                                                     emu, name, offered):
    graph_app.send(ADELE, MEGAN, "Odd name", attachments=[
        attachment(name, b"data", "application/octet-stream")])
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    [link] = re.findall(r'<a href="(/mail/me/m/[^"]+/a/[^"]+)">', text(client.get(
        f"/mail/me/m/{got.id}")))
    download = client.get(link)
    assert download.status_code == 200 and download.data == b"data"
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=\"{offered}\"; filename*=UTF-8''{offered}")


def test_mark_read_unread_and_delete_ask_mail_readwrite_then_work(client, sign_in, graph_app,
                                                                  emu):
    graph_app.send(ADELE, MEGAN, "To handle")
    got = only(emu, MEGAN)
    old_id = got.id  # moving gives it a new one
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    page = text(client.get(f"/mail/me/m/{got.id}"))
    token = csrf_of(page)
    assert client.post(f"/mail/me/m/{got.id}/read", data={"read": "1"}).status_code == 400  # CSRF
    ask = client.post(f"/mail/me/m/{got.id}/read", data={"read": "1", "csrf_token": token})
    assert ask.status_code == 303 and "scopes=Mail.ReadWrite" in ask.location
    sign_in(client, MEGAN, scopes=["Mail.Read", "Mail.ReadWrite"])
    token = csrf_of(text(client.get(f"/mail/me/m/{got.id}")))
    done = client.post(f"/mail/me/m/{got.id}/read", data={"read": "1", "csrf_token": token})
    assert done.status_code == 303 and got.is_read
    assert "Mark as unread" in text(client.get(done.location))
    client.post(f"/mail/me/m/{got.id}/read", data={"read": "0", "csrf_token": token})
    assert not got.is_read
    bad = client.post(f"/mail/me/m/{got.id}/read", data={"read": "maybe", "csrf_token": token})
    assert bad.status_code == 400 and "Read: the form must say" in words(bad)
    gone = client.post(f"/mail/me/m/{got.id}/delete", data={"csrf_token": token, "f": "inbox"})
    assert gone.status_code == 303 and gone.location == "/mail/me/inbox"
    assert mailbox(emu, MEGAN) == [] and len(mailbox(emu, MEGAN, "deleteditems")) == 1
    again = client.get(f"/mail/me/m/{old_id}")
    assert again.status_code == 404 and "not there any more" in words(again)


def test_another_mailbox_opens_with_full_access_and_says_why_not_without(client, sign_in,
                                                                         graph_app, emu):
    graph_app.send(ADELE, SALES, "For the sales team")
    sign_in(client, ADELE, scopes=["Mail.Read"])
    opened = client.post("/mail/open", data={"address": SALES,
                                              "csrf_token": csrf_of(text(client.get("/mail/me/inbox")))})
    assert opened.status_code == 303 and opened.location == f"/mail/{SALES}/inbox"
    ask = client.get(opened.location)
    assert ask.status_code == 302 and "scopes=Mail.ReadWrite.Shared" in ask.location
    sign_in(client, ADELE, scopes=["Mail.Read", "Mail.Read.Shared"])  # an older, narrower grant
    page = text(client.get(opened.location))
    assert "For the sales team" in page and 'data-box="me"' in page
    assert f'data-box="{SALES}"' in text(client.get("/mail/me/inbox"))  # remembered
    got = only(emu, SALES)
    assert "For the sales team" in text(client.get(f"/mail/{SALES}/m/{got.id}"))
    token = csrf_of(page)
    bad = client.post("/mail/open", data={"address": "not an address", "csrf_token": token})
    assert bad.status_code == 400 and "Mailbox address" in words(bad)

    client.post("/logout")
    sign_in(client, MEGAN, scopes=["Mail.Read", "Mail.Read.Shared"])
    refused = client.get(f"/mail/{SALES}/inbox")
    assert refused.status_code == 403
    assert f"You may not open {SALES}" in words(refused) and "Full Access" in words(refused)
    nobody = client.get("/mail/nobody@contoso.example/inbox")
    assert nobody.status_code == 404 and "no mailbox nobody@contoso.example" in words(nobody)


@pytest.mark.parametrize("status, expected", [
    (429, "Microsoft Graph is throttling requests. It asked to wait 1 seconds."),
    (503, "Microsoft Graph is temporarily unavailable."),
])
def test_graph_failures_are_said_in_words(client, sign_in, graph_app, emu, https, status,
                                          expected):
    graph_app.send(ADELE, MEGAN, "Hello")
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    for url in ("/mail/me/inbox", f"/mail/me/m/{got.id}", f"/mail/me/m/{got.id}/body"):
        # Graph keeps refusing: every request of the page, batched or sent again on its own.
        add_fault(https, emu, path="/mailFolders/|/messages/", status=status, retry_after=1,
                  count=8)
        response = client.get(url)
        assert https.delete(f"{emu.api_url}/_emulator/faults", timeout=10).status_code == 204
        assert response.status_code == 503, url
        assert expected in words(response) and "Nothing was changed" in words(response)


def test_odd_values_in_urls_are_not_found_in_words(client, sign_in):
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    for url in ("/mail/me/junk", "/mail/not-an-address/inbox", "/mail/me/m/bad%20id",
                "/mail/me/m/" + "A" * 600, "/mail/me/m/AAA/a/bad..id", "/mail/me/m/AAA/cid/%01",
                "/mail/a@b@c/inbox"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "There is nothing at this address" in words(response), url
    missing = client.get("/mail/me/m/AAMkADnothere")
    assert missing.status_code in (400, 404) and words(missing)


def test_the_navigation_shows_the_inbox_unread_count_and_survives_a_failure(
        client, sign_in, graph_app, emu, https):
    graph_app.send(ADELE, MEGAN, "One")
    graph_app.send(ADELE, MEGAN, "Two")
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    assert 'id="nav-unread"' not in text(client.get("/"))  # not asked before the Inbox opened
    client.get("/mail/me/inbox")
    assert re.search(r'id="nav-unread"[^>]*>2<', text(client.get("/")))
    with client.session_transaction() as session:
        session["mail_unread"] = dict(session["mail_unread"], at=0)  # old: asked again
    add_fault(https, emu, path="/mailFolders/inbox$", status=503, count=5)
    page = client.get("/")
    assert page.status_code == 200 and 'id="nav-unread"' not in text(page)
