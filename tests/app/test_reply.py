"""Reply, reply all and forward from the message page, and drafts of the Drafts folder continued
in the compose page (Outlook's too) or discarded, through the app factory against the real
emulator; every Graph failure on these pages in words, never a 500."""
from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers.compose import (add_fault, csrf_of, finished_job, mailbox, only, post_form,
                             text)
from helpers.mailbox import PNG, attachment

ADELE, MEGAN, ALEX = "adele@contoso.example", "megan@contoso.example", "alex@contoso.example"
PATTI = "patti@contoso.example"
REPORT = bytes(range(256)) * 300  # 76,800 bytes
WRITE = ["Mail.Read", "Mail.ReadWrite", "Mail.Send"]
DRAFT = re.compile(r"^/compose/([0-9a-f-]{36})$")


def words(response) -> str:
    match = re.search(r'id="mail-error">(.*?)</div>', text(response), re.S)
    assert match, text(response)[:1500]
    return html.unescape(match.group(1))


def press(client, message_id, action, **form):
    """A button of the message page (its CSRF token read from the page, as a browser has it)."""
    page = client.get(f"/mail/me/m/{message_id}")
    assert page.status_code == 200, text(page)[:800]
    return client.post(f"/mail/me/m/{message_id}/{action}",
                       data={"csrf_token": csrf_of(text(page)), **form})


def opened(response) -> str:
    assert response.status_code == 303, text(response)[:1500]
    match = DRAFT.match(response.location)
    assert match, response.location
    return match.group(1)


def field(page: str, name: str) -> str:
    match = re.search(rf'<(?:textarea|input)[^>]*name="{name}"[^>]*>([^<]*)', page)
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1) if value and "<input" in match.group(0)
                         else match.group(1)).strip()


def send_page(client, draft_id: str, **changes):
    """Send the compose page as it stands (its fields as shown), with ``changes``."""
    page = text(client.get(f"/compose/{draft_id}"))
    fields = {name: field(page, name) for name in ("to", "cc", "bcc", "subject", "body")}
    fields.update(changes)
    response = post_form(client, draft_id, csrf_of(page), **fields)
    assert response.status_code == 303, text(response)[:2000]
    return finished_job(client, draft_id)


def test_reply_all_opens_compose_with_its_recipients_and_the_quote(client, sign_in, graph_app, emu):
    graph_app.send(ADELE, [MEGAN, ALEX], "Plans", "<p>Shall we meet?</p>",
                   ccRecipients=[{"emailAddress": {"address": PATTI}}])
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=WRITE)
    page = text(client.get(f"/mail/me/m/{got.id}"))
    assert all(f'id="{b}"' in page for b in ("reply", "replyall", "forward"))
    draft_id = opened(press(client, got.id, "respond", kind="replyall"))
    compose = text(client.get(f"/compose/{draft_id}"))
    assert field(compose, "subject") == "RE: Plans"
    assert ADELE in field(compose, "to") and ALEX in field(compose, "to")
    assert MEGAN not in field(compose, "to") + field(compose, "cc")
    assert PATTI in field(compose, "cc")
    assert "Shall we meet?" in field(compose, "body") and 'id="in-drafts">' in compose
    [graph_draft] = mailbox(emu, MEGAN, "drafts")
    assert graph_draft.props["subject"] == "RE: Plans"

    body = field(compose, "body").replace("<div></div>", "<p>Yes, Tuesday.</p>", 1)
    job = send_page(client, draft_id, body=body)
    assert job["state"] == "sent", job
    assert mailbox(emu, MEGAN, "drafts") == []
    for upn in (ADELE, ALEX, PATTI):
        [reply] = [m for m in mailbox(emu, upn) if m.props["subject"] == "RE: Plans"]
        assert "Yes, Tuesday." in reply.props["body"]["content"]
        assert "Shall we meet?" in reply.props["body"]["content"]


def test_forward_lists_the_attachments_and_they_arrive_byte_identical(client, sign_in, graph_app,
                                                                       emu):
    graph_app.send(ADELE, MEGAN, "Report", '<p>Here</p><img src="cid:logo">', attachments=[
        attachment("report.bin", REPORT, "application/octet-stream"),
        attachment("logo.png", PNG, "image/png", cid="logo")])
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=WRITE)
    draft_id = opened(press(client, got.id, "respond", kind="forward"))
    compose = text(client.get(f"/compose/{draft_id}"))
    assert re.search(r'class="file-name[^"]*">report\.bin<', compose)  # listed, removable
    assert "logo.png" not in re.search(r'id="file-list".*?</ul>', compose, re.S).group(0)
    inline = json.loads(html.unescape(re.search(r"data-inline-files='([^']*)'", compose).group(1)))
    assert [f["content_id"] for f in inline] == ["logo"]  # cid:logo in the body still shows it
    assert field(compose, "to") == "" and field(compose, "subject") == "FW: Report"

    job = send_page(client, draft_id, to=ALEX)
    assert job["state"] == "sent", job
    [forwarded] = mailbox(emu, ALEX)
    kept = {a.name: (a.blob.read(), a.is_inline, a.content_id) for a in forwarded.attachments}
    assert kept == {"report.bin": (REPORT, False, None), "logo.png": (PNG, True, "logo")}
    assert 'src="cid:logo"' in forwarded.props["body"]["content"]


def test_reply_asks_for_mail_readwrite_first_then_makes_the_reply_it_was_asked_for(
        client, sign_in, graph_app, emu):
    graph_app.send(ADELE, MEGAN, "Hello")
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=["Mail.Read"])  # an older, narrower grant
    response = press(client, got.id, "respond", kind="replyall")
    assert response.status_code == 303 and "scopes=Mail.ReadWrite" in response.location
    resume = parse_qs(urlsplit(response.location).query)["next"][0]
    assert resume.startswith("/resume/") and got.id not in response.location
    assert mailbox(emu, MEGAN, "drafts") == [] and not only(emu, MEGAN).is_read
    sign_in(client, MEGAN, scopes=["Mail.ReadWrite"])  # the person grants it
    page = text(client.get(resume))  # where the sign-in comes back: the same form, a new token
    assert f'action="/mail/me/m/{got.id}/respond"' in page and 'value="replyall"' in page
    assert 'data-resume-form' in page and 'name="csrf_token"' in page
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    made = client.post(f"/mail/me/m/{got.id}/respond", data=form)  # what resume.js posts
    assert made.status_code == 303 and made.location.startswith("/compose/")
    assert len(mailbox(emu, MEGAN, "drafts")) == 1
    assert only(emu, MEGAN).is_read  # answered: read
    assert client.get(resume).status_code == 404  # used up: Back never makes a second reply


def test_a_resumed_form_is_posted_by_the_browser_with_its_csrf_checked(client, sign_in,
                                                                        graph_app, emu):
    graph_app.send(ADELE, MEGAN, "Hello")
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=["Mail.Read"])
    response = press(client, got.id, "read", read="1")
    resume = parse_qs(urlsplit(response.location).query)["next"][0]
    sign_in(client, MEGAN, scopes=["Mail.ReadWrite"])
    assert client.get(resume).status_code == 200
    forged = client.post(f"/mail/me/m/{got.id}/read", data={"read": "1"})  # no token: refused
    assert forged.status_code == 400 and not only(emu, MEGAN).is_read


def outlook_draft(graph_app, upn, subject, attachments=(), **props):
    """A draft as Outlook writes it: POST /users/{upn}/messages, no x-mailer-draft-id header."""
    message = {"subject": subject, "body": {"contentType": "html", "content": "<p>Draft text</p>"},
               "toRecipients": [{"emailAddress": {"address": ALEX, "name": "Alex Wilber"}}],
               "attachments": list(attachments), **props}
    response = graph_app.http.post(f"{graph_app.graph}/users/{upn}/messages",
                                   headers=graph_app.headers, json=message, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_an_outlook_draft_is_continued_once_per_tab_and_sent(client, sign_in, graph_app, emu):
    graph_id = outlook_draft(graph_app, MEGAN, "From Outlook", [
        attachment("report.bin", REPORT, "application/octet-stream")],
        importance="high", bccRecipients=[{"emailAddress": {"address": PATTI}}])
    sign_in(client, MEGAN, scopes=WRITE)
    folder = text(client.get("/mail/me/drafts"))
    assert f"/mail/me/m/{graph_id}/continue" in folder
    assert f"/mail/me/m/{graph_id}/discard" in folder
    token = csrf_of(folder)
    first = opened(client.post(f"/mail/me/m/{graph_id}/continue", data={"csrf_token": token}))
    again = opened(client.post(f"/mail/me/m/{graph_id}/continue", data={"csrf_token": token}))
    assert again == first  # a second tab opens the same draft
    compose = text(client.get(f"/compose/{first}"))
    assert field(compose, "to") == f"Alex Wilber <{ALEX}>" \
        and field(compose, "bcc") == f"Patti Fernandez <{PATTI}>"
    assert re.search(r'<option selected value="high"|value="high" selected', compose)
    assert "report.bin" in compose
    job = send_page(client, first, importance="high")
    assert job["state"] == "sent", job
    [arrived] = mailbox(emu, ALEX)
    assert arrived.props["subject"] == "From Outlook" and arrived.props["importance"] == "high"
    assert [(a.name, a.blob.read()) for a in arrived.attachments] == [("report.bin", REPORT)]
    assert only(emu, PATTI).props["subject"] == "From Outlook"
    assert mailbox(emu, MEGAN, "drafts") == []


def test_a_draft_is_discarded_from_the_drafts_folder(client, sign_in, graph_app, emu):
    plain = outlook_draft(graph_app, MEGAN, "Never mind")
    continued = outlook_draft(graph_app, MEGAN, "Opened, then dropped")
    sign_in(client, MEGAN, scopes=WRITE)
    token = csrf_of(text(client.get("/mail/me/drafts")))
    local = opened(client.post(f"/mail/me/m/{continued}/continue", data={"csrf_token": token}))
    for graph_id in (plain, continued, plain):  # the last: a double click, already gone
        response = client.post(f"/mail/me/m/{graph_id}/discard", data={"csrf_token": token})
        assert response.status_code == 303 and response.location == "/mail/me/drafts"
    assert mailbox(emu, MEGAN, "drafts") == []
    # The compose page's record went with it: its address is a new, empty message now.
    assert client.application.extensions["mailer.mail"].drafts.record(local) is None
    assert "Opened, then dropped" not in text(client.get(f"/compose/{local}"))


def test_only_drafts_continue_and_only_ones_own_mailbox(client, sign_in, graph_app, emu):
    graph_app.send(ADELE, MEGAN, "Received")
    got = only(emu, MEGAN)
    sign_in(client, MEGAN, scopes=WRITE)
    token = csrf_of(text(client.get("/mail/me/inbox")))
    refused = client.post(f"/mail/me/m/{got.id}/continue", data={"csrf_token": token})
    assert refused.status_code == 409 and "has been sent already" in words(refused)
    kept = client.post(f"/mail/me/m/{got.id}/discard", data={"csrf_token": token})
    assert kept.status_code == 409 and "use Delete" in words(kept)
    assert only(emu, MEGAN).id == got.id
    other = client.post(f"/mail/sales@contoso.example/m/{got.id}/respond",
                        data={"csrf_token": token, "kind": "reply"})
    assert other.status_code == 400 and "your own mailbox" in words(other)
    odd = client.post(f"/mail/me/m/{got.id}/respond", data={"csrf_token": token, "kind": "x"})
    assert odd.status_code == 400 and "Reply, Reply all or Forward" in words(odd)
    no_csrf = client.post(f"/mail/me/m/{got.id}/respond", data={"kind": "reply"})
    assert no_csrf.status_code == 400
    assert mailbox(emu, MEGAN, "drafts") == []


@pytest.mark.parametrize("fault, action, status, expected", [
    ({"path": "/createReply$", "status": 503, "count": 2}, "reply", 503,
     "Microsoft Graph is temporarily unavailable."),
    ({"path": "/createForward$", "status": 429, "retry_after": 1, "count": 2}, "forward", 503,
     "It asked to wait 1 seconds."),
    # The reply is read from createReply's own answer; listing its attachments is what fails.
    ({"path": "/messages/[^/]+/attachments$", "method": "GET", "status": 503, "count": 2},
     "reply", 502, "was made in your Drafts folder, but it could not be opened here"),
    ({"path": "/messages/[^/]+$", "method": "GET", "status": 503, "count": 2}, "continue", 503,
     "Microsoft Graph is temporarily unavailable."),
    ({"path": "/messages/[^/]+$", "method": "DELETE", "status": 503, "count": 2}, "discard",
     503, "Microsoft Graph is temporarily unavailable."),
])
def test_graph_failures_on_these_pages_are_said_in_words(client, sign_in, graph_app, emu, https,
                                                         fault, action, status, expected):
    graph_app.send(ADELE, MEGAN, "Hello")
    target = only(emu, MEGAN).id
    if action in ("continue", "discard"):
        target = outlook_draft(graph_app, MEGAN, "A draft")
    sign_in(client, MEGAN, scopes=WRITE)
    token = csrf_of(text(client.get("/mail/me/inbox")))
    add_fault(https, emu, **fault)
    kind = {"reply": "reply", "forward": "forward"}.get(action)
    response = client.post(f"/mail/me/m/{target}/{'respond' if kind else action}",
                           data={"csrf_token": token, **({"kind": kind} if kind else {})})
    assert response.status_code == status, text(response)[:1500]
    assert expected in words(response)


def test_a_message_that_is_gone_is_not_found_in_words(client, sign_in, graph_app, emu):
    sign_in(client, MEGAN, scopes=WRITE)
    token = csrf_of(text(client.get("/mail/me/inbox")))
    for action, extra in (("respond", {"kind": "reply"}), ("continue", {}), ("discard", {})):
        response = client.post(f"/mail/me/m/AAMkADnothere/{action}",
                               data={"csrf_token": token, **extra})
        assert response.status_code == 404, (action, text(response)[:800])
        assert words(response)


def test_item_and_reference_attachments_are_recorded_to_be_kept_as_they_are():
    """The emulator stores file attachments only, so these shapes are Graph's documented ones:
    an entry (in the mailbox, with its id) keeps the reconcile step from deleting them."""
    from mailer.sending.adopt import KEPT_AS_IS, address_text, attachment_entry
    from mailer.sending.compose import parse_recipients
    item = attachment_entry({"@odata.type": "#microsoft.graph.itemAttachment", "id": "AAMkX=",
                             "name": "Minutes", "size": 5120, "contentType": None,
                             "isInline": False})
    assert (item["where"], item["graph_id"], item["kind"]) == ("graph", "AAMkX=", KEPT_AS_IS)
    inline = attachment_entry({"@odata.type": "#microsoft.graph.fileAttachment", "id": "AAMkY=",
                               "name": "../logo.png", "size": 70, "isInline": True,
                               "contentId": "<logo@x>"})
    assert (inline["name"], inline["content_id"], "kind" in inline) == ("logo.png", "logo@x",
                                                                        False)
    people = [{"emailAddress": {"name": 'Vance, Adele "AV"', "address": ADELE}},
              {"emailAddress": {"name": ALEX, "address": ALEX}}, {"emailAddress": {}}]
    found, bad = parse_recipients(address_text(people))
    assert bad == [] and [(a.name, a.address) for a in found] == [
        ('Vance, Adele "AV"', ADELE), ("", ALEX)]
