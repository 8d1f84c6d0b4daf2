"""mailer.web.compose.from_field: what the compose page says next to From, and after a refusal."""
from __future__ import annotations

from helpers.settings import file_store
from mailer.sending.from_history import FromHistory
from mailer.web.compose.from_field import page_state, personal_error, refusal_note

WORK = {"username": "patti@contoso.example", "personal": False}
PERSONAL = {"username": "sam@outlook.example", "personal": True}


def test_a_personal_account_may_only_use_its_own_address():
    assert personal_error(PERSONAL, "") is None
    assert personal_error(PERSONAL, "Sam <SAM@outlook.example>") is None
    assert "personal Microsoft account" in personal_error(PERSONAL, "sales@contoso.example")
    assert personal_error(WORK, "sales@contoso.example") is None


def test_page_state_warns_for_a_refused_address_typed_in_any_form(tmp_path):
    history = FromHistory(file_store(tmp_path, ttl=3600))
    history.record("u1", "alex@contoso.example", worked=False)
    state = page_state(history, WORK, "u1", "Alex <ALEX@contoso.example>")
    assert state["warn"] == "refused" and "refused to send from alex@" in state["refused_words"]
    assert not state["confirmed"]
    assert page_state(history, WORK, "u1", "alex@contoso.example",
                      confirmed="alex@contoso.example")["confirmed"]
    assert page_state(history, WORK, "u1", "")["warn"] == ""
    assert page_state(history, PERSONAL, "u1", "x@contoso.example")["warn"] == "personal"


def test_the_refusal_note_names_the_uploaded_attachments_only_on_the_draft_path():
    denied = {"error_code": "ErrorSendAsDenied", "plan": "draft", "files": [{"name": "a"}]}
    assert "never left it" in refusal_note(denied)
    assert "never left it" not in refusal_note({**denied, "plan": "sendmail"})
    assert refusal_note({**denied, "error_code": "ErrorInvalidRecipients"}) == ""
