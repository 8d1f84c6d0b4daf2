"""mailer.sending.plan: the 4 MB decision measured exactly, limits checked first, scopes per plan."""
import base64
import json

import pytest

from helpers.settings import limits, plan, prepare
from mailer.sending.compose import Attachment, ComposeData
from mailer.graph.shapes import encode_json, file_attachment_json
from mailer.sending.plan import DRAFT, SENDMAIL, PlanRefused, message_with_header, sendmail_size
from mailer.sending.sizes import MB

DRAFT_ID = "0b9f5e0e-8a6f-4d4c-9d56-1b1f0f3f3c11"


def _file(tmp_path, name, size, inline=False):
    path = tmp_path / f"f{len(list(tmp_path.iterdir()))}"
    path.write_bytes((bytes(range(251)) * (size // 251 + 1))[:size])
    return Attachment(name, path, size, "application/pdf", inline, "logo@x" if inline else None)


def _prepared(tmp_path, *sizes, **fields):
    files = [_file(tmp_path, f"ﬁle-{i}.pdf", s) for i, s in enumerate(sizes)]
    return prepare(ComposeData(to="Zoë <zoe@x.org>", subject="Größe", body="<p>é</p>",
                               attachments=files, **fields))


def _real_body(prepared, draft_id=DRAFT_ID):
    message = message_with_header(prepared, draft_id)
    message["attachments"] = [
        file_attachment_json(a, base64.b64encode(a.path.read_bytes()).decode())
        for a in prepared.attachments]
    return encode_json({"message": message, "saveToSentItems": prepared.save_to_sent_items})


@pytest.mark.parametrize("sizes", [(), (1,), (2,), (3,), (1000, 1001, 1002), (300_000,)])
def test_sendmail_size_is_exact(tmp_path, sizes):
    prepared = _prepared(tmp_path, *sizes)
    body = _real_body(prepared)
    assert sendmail_size(prepared, DRAFT_ID) == len(body)
    assert json.loads(body)["message"]["internetMessageHeaders"] == [
        {"name": "x-mailer-draft-id", "value": DRAFT_ID}]


def test_the_4mb_boundary_is_exact(tmp_path):
    small = limits(sendmail_max_request=200_000, sendmail_margin=10_000)  # budget 190,000
    skeleton = sendmail_size(_prepared(tmp_path, 3), DRAFT_ID) - 4
    fits = (small.sendmail_budget - skeleton) // 4 * 3  # raw bytes whose base64 just fits
    at = _prepared(tmp_path, fits)
    assert sendmail_size(at, DRAFT_ID) <= small.sendmail_budget
    assert plan(at, small, DRAFT_ID).kind == SENDMAIL
    over = _prepared(tmp_path, fits + 1)  # one more byte: 4 more base64 characters
    assert sendmail_size(over, DRAFT_ID) > small.sendmail_budget
    assert plan(over, small, DRAFT_ID).kind == DRAFT


def test_default_budget_is_3_5_mb_of_request():
    assert limits().sendmail_budget == 4 * MB - MB // 2


def test_a_big_file_goes_through_a_draft_and_upload_session(tmp_path):
    prepared = _prepared(tmp_path, 100, 3 * MB - 1, 3 * MB)
    p = plan(prepared)
    assert p.kind == DRAFT
    assert [a.size for a in p.small] == [100, 3 * MB - 1]
    assert [a.size for a in p.large] == [3 * MB]
    assert p.total_bytes == 6 * MB + 99
    assert "draft, attachments, then send" in p.reason


@pytest.mark.parametrize("from_address, sizes, scopes", [
    ("", (10,), ["Mail.Send"]),
    ("", (4 * MB,), ["Mail.Send", "Mail.ReadWrite"]),
    ("sales@contoso.example", (10,), ["Mail.Send", "Mail.Send.Shared"]),
    ("sales@contoso.example", (4 * MB,), ["Mail.Send", "Mail.ReadWrite", "Mail.Send.Shared"]),
])
def test_plan_names_the_scopes_it_needs(tmp_path, from_address, sizes, scopes):
    prepared = _prepared(tmp_path, *sizes, from_address=from_address)
    assert plan(prepared).scopes == scopes


@pytest.mark.parametrize("limits, sizes, message", [
    (limits(max_file=1000, max_message=10_000), (1001,),
     "'ﬁle-0.pdf' is 1001 bytes; a single attachment can be at most 1000 bytes."),
    (limits(max_file=150 * MB), (151 * MB,),
     "'ﬁle-0.pdf' is 151 MB; a single attachment can be at most 150 MB."),
    (limits(max_file=150 * MB), (150 * MB + 1,),  # just over: rounding would hide it
     "'ﬁle-0.pdf' is 157,286,401 bytes; a single attachment can be at most 157,286,400 bytes."),
    (limits(max_file=10_000, max_message=5000), (3000, 2500),
     "The message is 5,500 bytes with its attachments; the mailbox accepts at most 5,000 bytes "
     "per message. The largest file is 'ﬁle-0.pdf' (3 KB)."),
    (limits(max_file=10 * MB, max_message=3 * MB), (2 * MB, 2 * MB),
     "The message is 4 MB with its attachments; the mailbox accepts at most 3 MB per message. "
     "The largest file is 'ﬁle-0.pdf' (2 MB)."),
])
def test_limits_are_checked_before_anything_is_sent(tmp_path, limits, sizes, message, monkeypatch):
    # Sparse files: the check reads sizes, never contents, so 151 MB costs nothing here.
    files = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"sparse{i}"
        with path.open("wb") as f:
            f.truncate(size)
        files.append(Attachment(f"ﬁle-{i}.pdf", path, size))
    prepared = prepare(ComposeData(to="a@x.org", attachments=files))
    with pytest.raises(PlanRefused) as info:
        plan(prepared, limits)
    assert message in info.value.errors


def test_size_without_a_draft_id_counts_a_uuid_sized_header(tmp_path):
    prepared = _prepared(tmp_path, 10)
    assert sendmail_size(prepared) == sendmail_size(prepared, DRAFT_ID) == len(_real_body(prepared))
