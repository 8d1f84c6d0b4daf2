"""The server's guard against sending without a file the page still lists (uploading, or its
upload failed): the page names them in ``unattached``; Send is refused, Save is not."""
from __future__ import annotations

from helpers.compose import errors_on, mailbox, new_draft, post_form, text, upload

MEGAN = "megan@contoso.example"


def test_send_is_refused_while_the_page_lists_a_file_not_in_the_draft(client, sign_in, emu):
    sign_in(client, scopes=["Mail.Send"])
    draft_id, token = new_draft(client)
    assert upload(client, draft_id, token, "small.txt", b"s" * 1000).status_code == 201
    response = post_form(client, draft_id, token, to=MEGAN, subject="Wait",
                         unattached="big.bin\n\nsecond file.pdf\n")
    assert response.status_code == 400
    page = text(response)
    assert errors_on(page)["attachments"] == [
        f"'{name}' is not attached: it was still uploading, or its upload failed. Nothing was "
        "sent. Attach it again or remove it from the list, then press Send."
        for name in ("big.bin", "second file.pdf")]
    assert "small.txt" in page and 'value="Wait"' in page  # the rest is kept and shown
    assert mailbox(emu, MEGAN) == []
    saved = post_form(client, draft_id, token, action="save", to=MEGAN, unattached="big.bin")
    assert saved.status_code == 303  # saving never sends: nothing to guard
    sent = post_form(client, draft_id, token, to=MEGAN, subject="Wait", unattached="")
    assert sent.status_code == 303 and sent.location.endswith("/status")
