"""Internationalised domains: Graph gets the ASCII (IDNA) form, the person sees what they typed.

The defect: ``user@xn--bcher-kva.example`` went to Graph as ``user@bücher.example`` (email-
validator's ``normalized`` form) and was refused as an invalid recipient.
"""
from __future__ import annotations

import pytest
from helpers.compose import finished_job, mailbox, new_draft, post_form, text

ADELE = "adele@contoso.example"
ASCII = "user@xn--bcher-kva.example"


@pytest.mark.parametrize("typed", [ASCII, "user@bücher.example", "Ada <user@BÜCHER.example>"],
                         ids=["ascii", "unicode", "named-upper"])
def test_an_idn_recipient_goes_to_graph_in_ascii_and_the_page_shows_what_was_typed(
        client, sign_in, emu, typed):
    sign_in(client, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    response = post_form(client, draft_id, token, to=typed, subject="Books")
    assert response.status_code == 303, text(response)[:500]
    job = finished_job(client, draft_id)
    assert job["state"] == "sent", job
    [sent] = mailbox(emu, ADELE, "sentitems")
    assert [r["emailAddress"]["address"] for r in sent.props["toRecipients"]] == [ASCII]
    shown = typed.split("<")[-1].rstrip(">")
    assert shown in text(client.get(f"/compose/{draft_id}/status"))
