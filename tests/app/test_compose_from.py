"""From another mailbox, checked before anything reaches Graph: a personal account is told at
once, a From that Graph refused before asks for confirmation, ones that worked are offered, and
a refusal after large uploads says that nothing (no attachment either) was sent."""
from __future__ import annotations

import html
import json
import re

from helpers.compose import errors_on, finished_job, mailbox, new_draft, post_form, text, upload

from emulator.directory import SEND_ON_BEHALF
from emulator.graph.mail.store import MailStore

ADELE, ALEX, MEGAN = "adele@contoso.example", "alex@contoso.example", "megan@contoso.example"
PATTI, SAM, SALES = "patti@contoso.example", "sam.taylor@outlook.example", "sales@contoso.example"
SHARED = ["Mail.Send", "Mail.Send.Shared"]
MB = 1024 * 1024


def nothing_reached_graph(emu) -> bool:
    """No message in any mailbox (no draft either) and no upload session."""
    store = emu.state.extension("mail", MailStore)
    return not store.sessions and all(not box.messages for box in store.mailboxes.values())


def from_warning(page: str) -> tuple[bool, str]:
    """(shown, its words) of the warning next to From."""
    match = re.search(r'<div class="alert[^"]*from-warning"[^>]*?( hidden)?>(.*?)</div>\s*</div>\s*'
                      r'</div>', page, re.S)
    assert match, "no From warning on the page"
    visible = re.sub(r"<(p|div)[^>]* hidden>.*?</\1>", "", match.group(2), flags=re.S)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", visible)).split())
    return match.group(1) is None, words


def refused_list(page: str) -> dict:
    return json.loads(html.unescape(re.search(r'data-refused="([^"]*)"', page).group(1)))


def from_offers(page: str) -> list[tuple[str, str]]:
    """From's offers: (address, why) in the page's order."""
    match = re.search(r'<datalist id="from-history">(.*?)</datalist>', page, re.S)
    return re.findall(r'<option value="([^"]+)" label="([^"]+)">', match.group(1)) if match else []


def history_options(page: str) -> list[str]:
    return [address for address, why in from_offers(page) if why == "sent from before"]


def test_from_offers_your_own_the_ones_that_sent_and_the_mailboxes_you_opened(client, sign_in,
                                                                              emu):
    sign_in(client, ADELE, scopes=SHARED)
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, from_address=SALES, to=MEGAN, subject="From sales")
    assert finished_job(client, draft_id)["state"] == "sent"
    with client.session_transaction() as session:
        session["mail_boxes"] = ["allstaff@contoso.example", SALES]  # opened in Mail
    draft_id, _ = new_draft(client)
    assert from_offers(text(client.get(f"/compose/{draft_id}"))) == [
        (ADELE, "you"), (SALES, "sent from before"),
        ("allstaff@contoso.example", "a mailbox you opened")]


def refuse_once(client, sign_in, user=PATTI, address=ALEX):
    """Sign in as ``user`` and let Graph refuse one send from ``address``."""
    sign_in(client, user, scopes=SHARED)
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, from_address=address, to=MEGAN, subject="First try")
    job = finished_job(client, draft_id)
    assert job["state"] == "not_sent" and job["error_code"] == "ErrorSendAsDenied"


def test_a_personal_account_is_told_at_once_and_nothing_goes_to_graph(client, sign_in, emu):
    sign_in(client, SAM, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    assert "can send only from its own address" in text(client.get(f"/compose/{draft_id}"))
    upload(client, draft_id, token, "notes.txt", b"my notes")
    response = post_form(client, draft_id, token, from_address=f"Adele <{ADELE}>", to=MEGAN,
                         subject="From someone else", body="Kept body")
    page = text(response)
    assert response.status_code == 400  # no detour to consent for Mail.Send.Shared
    [error] = errors_on(page)["from_address"]
    assert "personal Microsoft account" in error and f"own address ({SAM})" in error
    assert 'value="From someone else"' in page and "Kept body" in page and "notes.txt" in page
    assert client.get(f"/compose/{draft_id}/status.json").status_code == 404  # no send started
    assert nothing_reached_graph(emu)
    shown, words = from_warning(text(client.get(f"/compose/{draft_id}")))  # kept, and said
    assert shown and "personal Microsoft account" in words
    # From their own address they send as usual.
    post_form(client, draft_id, token, from_address=SAM, to=MEGAN, subject="From me")
    assert finished_job(client, draft_id)["state"] == "sent"
    assert [m.props["subject"] for m in mailbox(emu, MEGAN)] == ["From me"]


def test_a_from_refused_before_is_warned_about_before_sending(client, sign_in, emu):
    refuse_once(client, sign_in)
    draft_id, token = new_draft(client)
    page = text(client.get(f"/compose/{draft_id}"))
    assert ALEX in refused_list(page) and not from_warning(page)[0]  # From empty: no warning
    assert history_options(page) == []
    response = post_form(client, draft_id, token, from_address=f"Alex <{ALEX.upper()}>",
                         to=MEGAN, subject="Second try")
    page = text(response)
    assert response.status_code == 409 and "Not sent yet: check the From address" in page
    shown, words = from_warning(page)
    assert shown and f"refused to send from {ALEX} last time" in words and "send anyway" in words
    assert re.search(r'name="from_confirmed" id="from-confirmed" value="alex@contoso.example">',
                     page)  # offered, not ticked
    assert 'value="Second try"' in page
    assert client.get(f"/compose/{draft_id}/status.json").status_code == 404  # nothing started
    assert mailbox(emu, MEGAN) == [] and mailbox(emu, PATTI, "sentitems") == []
    # Alex grants Send on Behalf meanwhile: ticking "send anyway" sends, and it is learned.
    emu.state.directory.grant(PATTI, ALEX, SEND_ON_BEHALF)
    post_form(client, draft_id, token, from_address=ALEX, to=MEGAN, subject="Second try",
              from_confirmed=ALEX)
    assert finished_job(client, draft_id)["state"] == "sent"
    [got] = mailbox(emu, MEGAN)
    assert got.props["from"]["emailAddress"]["address"] == ALEX
    assert got.props["sender"]["emailAddress"]["address"] == PATTI
    draft_id, token = new_draft(client)
    page = text(client.get(f"/compose/{draft_id}"))
    assert refused_list(page) == {} and history_options(page) == [ALEX]


def test_a_tick_for_one_address_does_not_cover_another(client, sign_in, emu):
    refuse_once(client, sign_in, address=ALEX)
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, from_address=SALES, to=MEGAN, subject="Sales")
    assert finished_job(client, draft_id)["error_code"] == "ErrorSendAsDenied"
    draft_id, token = new_draft(client)
    response = post_form(client, draft_id, token, from_address=SALES, to=MEGAN, subject="Again",
                         from_confirmed=ALEX)
    assert response.status_code == 409 and f"refused to send from {SALES}" in text(response)
    assert client.get(f"/compose/{draft_id}/status.json").status_code == 404


def test_a_tick_is_kept_across_the_consent_round_trip(client, sign_in, emu):
    refuse_once(client, sign_in)  # Patti has Mail.Send(.Shared), not Mail.ReadWrite
    draft_id, token = new_draft(client)
    # A body too long for one sendMail: the draft path, which needs Mail.ReadWrite.
    response = post_form(client, draft_id, token, from_address=ALEX, to=MEGAN, subject="Big",
                         from_confirmed=ALEX, body="b" * (3_800_000))
    assert response.status_code == 303 and response.location.startswith("/login?")
    page = text(client.get(f"/compose/{draft_id}?resume=send"))  # back from consent
    assert re.search(r'id="from-confirmed" value="alex@contoso.example" checked>', page)
    assert nothing_reached_graph(emu)


def test_a_from_that_worked_is_offered_to_that_user_only(client, sign_in, emu):
    sign_in(client, ADELE, scopes=SHARED)
    draft_id, token = new_draft(client)
    post_form(client, draft_id, token, from_address=SALES, to=MEGAN, subject="From sales")
    assert finished_job(client, draft_id)["state"] == "sent"
    [got] = mailbox(emu, MEGAN)
    assert got.props["sender"]["emailAddress"]["address"] == SALES  # Send As
    draft_id, _ = new_draft(client)
    page = text(client.get(f"/compose/{draft_id}"))
    assert history_options(page) == [SALES] and 'list="from-history"' in page
    assert not from_warning(page)[0]
    sign_in(client, MEGAN)  # someone else, same browser: their own (empty) history
    draft_id, _ = new_draft(client)
    page = text(client.get(f"/compose/{draft_id}"))
    assert history_options(page) == [] and refused_list(page) == {}


def test_a_refusal_after_large_uploads_says_nothing_was_sent_and_the_draft_is_intact(
        client, sign_in, emu):
    sign_in(client, PATTI, scopes=[*SHARED, "Mail.ReadWrite"])
    draft_id, token = new_draft(client)
    assert upload(client, draft_id, token, "big.bin", b"b" * (4 * MB)).status_code == 201
    post_form(client, draft_id, token, from_address=ALEX, to=MEGAN, subject="Large")
    job = finished_job(client, draft_id)  # the file went into the mailbox's draft when picked
    assert job["plan"] == "mailbox" and job["error_code"] == "ErrorSendAsDenied"
    status = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text(
        client.get(f"/compose/{draft_id}/status")))).split())
    for words in ("Nothing was sent to anyone: not the message, and not its attachments",
                  "never left it", "Your draft here is intact, with every file",
                  "Send As", "only an Exchange administrator can grant it", "Send on Behalf",
                  "the mailbox owner can grant it in Outlook", "Mail.Send.Shared",
                  "Kept in your draft in the Drafts folder, never sent"):
        assert words in status, words
    page = text(client.get(f"/compose/{draft_id}"))
    assert "Nothing was sent to anyone" in page and "big.bin" in page
    [kept] = mailbox(emu, PATTI, "drafts")  # the person's draft stays, with its file
    assert mailbox(emu, MEGAN) == [] and [a.name for a in kept.attachments] == ["big.bin"]
