"""mailer.sending.from_history: the From addresses Graph refused or accepted, per user."""
from __future__ import annotations

from helpers.settings import file_store
from mailer.sending.from_history import KEEP, FromHistory



def test_the_latest_outcome_wins_and_lists_keep_the_newest_first(tmp_path):
    history = FromHistory(file_store(tmp_path, ttl=3600))
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
    history = FromHistory(file_store(tmp_path, ttl=3600))
    base = {"owner": "u1", "from_address": "alex@contoso.example"}
    history.record_job({**base, "state": "not_sent", "error_code": "ErrorInvalidRecipients"})
    history.record_job({**base, "state": "unknown", "error_code": None})
    history.record_job({**base, "from_address": None, "state": "sent"})
    assert history.get("u1") == {"refused": {}, "worked": {}}
    history.record_job({**base, "state": "failed", "error_code": "ErrorSendAsDenied"})
    assert list(history.get("u1")["refused"]) == ["alex@contoso.example"]
