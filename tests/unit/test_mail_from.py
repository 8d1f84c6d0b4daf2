"""mail_from.py without Flask: the per-user From history, and what the page says next to From."""
from __future__ import annotations

from mailer.sending.store import FileStore
from mailer.sending.from_history import KEEP, FromHistory, page_state, personal_error, refusal_note

WORK = {"username": "patti@contoso.example", "personal": False}
PERSONAL = {"username": "sam@outlook.example", "personal": True}


def test_the_latest_outcome_wins_and_lists_keep_the_newest_first(tmp_path):
    history = FromHistory(FileStore(tmp_path))
    history.record("u1", "Alex@Contoso.example", worked=False)
    history.record("u1", "sales@contoso.example", worked=True)
    history.record("u1", "staff@contoso.example", worked=True)
    assert list(history.get("u1")["worked"]) == ["staff@contoso.example", "sales@contoso.example"]
    assert history.refused_at("u1", "alex@contoso.example")
    history.record("u1", "alex@contoso.example", worked=True)  # granted since
    assert history.get("u1")["refused"] == {}
    assert list(history.get("u1")["worked"])[0] == "alex@contoso.example"
    assert history.get("u2") == {"refused": {}, "worked": {}}  # per user
    for n in range(KEEP + 5):
        history.record("u1", f"box{n}@contoso.example", worked=True)
    assert len(history.get("u1")["worked"]) == KEEP


def test_only_finished_sends_from_another_mailbox_are_learned(tmp_path):
    history = FromHistory(FileStore(tmp_path))
    base = {"owner": "u1", "from_address": "alex@contoso.example"}
    history.record_job({**base, "state": "not_sent", "error_code": "ErrorInvalidRecipients"})
    history.record_job({**base, "state": "unknown", "error_code": None})
    history.record_job({**base, "from_address": None, "state": "sent"})
    assert history.get("u1") == {"refused": {}, "worked": {}}
    history.record_job({**base, "state": "not_sent", "error_code": "ErrorSendAsDenied"})
    assert list(history.get("u1")["refused"]) == ["alex@contoso.example"]


def test_a_personal_account_may_only_use_its_own_address():
    assert personal_error(PERSONAL, "") is None
    assert personal_error(PERSONAL, "Sam <SAM@outlook.example>") is None
    assert "personal Microsoft account" in personal_error(PERSONAL, "sales@contoso.example")
    assert personal_error(WORK, "sales@contoso.example") is None


def test_page_state_warns_for_a_refused_address_typed_in_any_form(tmp_path):
    history = FromHistory(FileStore(tmp_path))
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
