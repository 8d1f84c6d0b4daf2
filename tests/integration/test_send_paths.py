"""The whole send pipeline against the real emulator: compose → plan → job → a mailbox.

Each test asserts on what arrived in a mailbox (read back through Graph as the recipient),
never on calls made: one copy, the right sender, byte-identical attachments.
"""
import hashlib
import io
import uuid

import pytest

from helpers.settings import (draft_store, file_store, graph_client, limits, plan, prepare,
                              redis_store, send_jobs)
from mailer.sending.compose import Attachment, ComposeData
from mailer.sending.mailbox_drafts import MailboxDrafts
from mailer.sending.jobs import NOT_SENT, SENT
from mailer.sending.plan import DRAFT, SENDMAIL
from mailer.sending.sizes import MB
from mailer.web.words import job_message

MEGAN = "megan@contoso.example"


@pytest.fixture
def jobs(tmp_path):
    return send_jobs(file_store(tmp_path / "jobs"), confirm_delay=0.05)


def _attachment(path, content_type="application/octet-stream"):
    return Attachment(path.name.split("-", 1)[1], path, path.stat().st_size, content_type)


def _send(jobs, graph, data, me="adele@contoso.example", owner="oid-adele", draft_id=None,
          mailbox_draft=None):
    draft_id = draft_id or str(uuid.uuid4())
    prepared = prepare(data, me_address=me)
    the_plan = plan(prepared, draft_id=draft_id, mailbox_draft=mailbox_draft)
    job, started = jobs.start(draft_id, owner, prepared, the_plan, graph, background=False)
    return job, the_plan, draft_id


def _inbox(graph_for, upn=MEGAN, subject=None):
    items = graph_for(upn).list_messages(
        "inbox", select=["subject", "from", "sender", "hasAttachments", "toRecipients",
                         "bccRecipients", "importance", "body", "internetMessageHeaders"], top=50)
    return [m for m in items if subject is None or m["subject"] == subject]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _attachment_bytes(emu, https, token, message_id, attachment_id) -> bytes:
    url = f"{emu.client_config()['graph_endpoint']}/me/messages/{message_id}/attachments/" \
          f"{attachment_id}/$value"
    response = https.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    return response.content


def test_a_small_message_goes_out_in_one_sendmail(jobs, graph, graph_for, make_file):
    note = make_file("note.txt", 2000)
    data = ComposeData(to=f"Megan Bowen <{MEGAN}>", bcc="patti@contoso.example",
                       subject="Small one", body="<p>Hello <b>Megan</b><script>x()</script></p>",
                       importance="high", attachments=[_attachment(note, "text/plain")])
    job, the_plan, draft_id = _send(jobs, graph, data)
    assert the_plan.kind == SENDMAIL and job["state"] == SENT, job
    [got] = _inbox(graph_for, subject="Small one")
    assert got["hasAttachments"] is True and got["importance"] == "high"
    assert "script" not in got["body"]["content"] and "<b>Megan</b>" in got["body"]["content"]
    assert got["bccRecipients"] == []  # Bcc is never shown to recipients
    assert got["from"]["emailAddress"]["address"].lower() == "adele@contoso.example"
    [copy] = _inbox(graph_for, "patti@contoso.example", "Small one")  # Bcc delivered
    sent = graph.list_messages("sentitems", select=["subject", "internetMessageHeaders"])
    [mine] = [m for m in sent if m["subject"] == "Small one"]
    assert {"name": "x-mailer-draft-id", "value": draft_id} in mine["internetMessageHeaders"]


@pytest.mark.slow
def test_a_large_attachment_goes_through_a_draft_and_arrives_byte_identical(
        emu, https, jobs, graph, graph_for, token_for, make_file):
    big, small = make_file("big video.mp4", 12 * MB + 12345), make_file("notes.txt", 150_000)
    data = ComposeData(to=MEGAN, subject="Big one", body="see attached",
                       attachments=[_attachment(big, "video/mp4"), _attachment(small)])
    job, the_plan, _ = _send(jobs, graph, data)
    assert the_plan.kind == DRAFT and [a.size for a in the_plan.large] == [big.stat().st_size]
    assert job["state"] == SENT and job["bytes_done"] == job["bytes_total"], job
    assert [f["done"] for f in job["files"]] == [big.stat().st_size, 150_000]
    [got] = _inbox(graph_for, subject="Big one")
    token = token_for(MEGAN)
    listed = https.get(f"{emu.client_config()['graph_endpoint']}/me/messages/{got['id']}"
                       "/attachments?$select=id,name,size",
                       headers={"Authorization": f"Bearer {token}"}, timeout=30).json()["value"]
    by_name = {a["name"]: a for a in listed}
    assert set(by_name) == {"big video.mp4", "notes.txt"}
    for name, path in (("big video.mp4", big), ("notes.txt", small)):
        content = _attachment_bytes(emu, https, token, got["id"], by_name[name]["id"])
        assert _sha(content) == _sha(path.read_bytes())
    drafts = graph.list_messages("drafts", select=["subject"])
    assert [d for d in drafts if d["subject"] == "Big one"] == []  # the draft became the sent mail


@pytest.mark.parametrize("sender, from_address, expect_from, expect_sender", [
    ("adele@contoso.example", "alex@contoso.example", "alex", "adele"),  # on behalf
    ("adele@contoso.example", "sales@contoso.example", "sales", "sales"),  # send as
    ("megan@contoso.example", "alex@contoso.example", "alex", "alex"),  # send as
])
def test_sending_from_another_mailbox(jobs, graph_for, sender, from_address, expect_from,
                                      expect_sender):
    data = ComposeData(to="patti@contoso.example", subject=f"From {from_address}",
                       from_address=from_address)
    job, the_plan, _ = _send(jobs, graph_for(sender), data, me=sender)
    assert "Mail.Send.Shared" in the_plan.scopes and job["state"] == SENT, job
    [got] = _inbox(graph_for, "patti@contoso.example", f"From {from_address}")
    assert got["from"]["emailAddress"]["address"].split("@")[0] == expect_from
    assert got["sender"]["emailAddress"]["address"].split("@")[0] == expect_sender


@pytest.mark.parametrize("size", [100, 5 * MB])
def test_send_as_denied_is_explained_and_nothing_is_left_behind(jobs, graph_for, make_file, size):
    patti = graph_for("patti@contoso.example")
    data = ComposeData(to=MEGAN, subject="Not allowed", from_address="alex@contoso.example",
                       attachments=[_attachment(make_file("a.bin", size))])
    job, _, draft_id = _send(jobs, patti, data, me="patti@contoso.example", owner="oid-patti")
    assert job["state"] == NOT_SENT and job["error_code"] == "ErrorSendAsDenied"
    assert "Send As" in job_message(job) and "Mail.Send.Shared" in job_message(job)
    assert _inbox(graph_for, subject="Not allowed") == []
    assert [d for d in patti.list_messages("drafts", select=["subject"])
            if d["subject"] == "Not allowed"] == []  # the failed draft was removed
    # A definite failure releases the claim: fixed (From cleared), the same draft id sends.
    data.from_address = ""
    job, _, _ = _send(jobs, patti, data, me="patti@contoso.example", owner="oid-patti",
                      draft_id=draft_id)
    assert job["state"] == SENT and len(_inbox(graph_for, subject="Not allowed")) == 1


def test_missing_scope_is_not_sent_and_says_so(jobs, graph_for):
    graph = graph_for(scopes=["User.Read"])
    job, _, _ = _send(jobs, graph, ComposeData(to=MEGAN, subject="No scope"))
    assert job["state"] == NOT_SENT and job["error_code"] == "ErrorAccessDenied"
    assert "Access was denied" in job_message(job)


def test_an_expired_token_asks_for_a_fresh_sign_in(emu, https, jobs, token_for):
    from mailer.graph.client import GraphClient
    stale = token_for(lifetime=-10)
    graph = graph_client(emu.client_config()["graph_endpoint"], lambda: stale, https)
    job, _, _ = _send(jobs, graph, ComposeData(to=MEGAN, subject="Expired"))
    assert job["state"] == NOT_SENT and job["needs_sign_in"] is True
    assert "Sign in again" in job_message(job)


def test_a_resubmitted_draft_is_never_sent_twice(jobs, graph, graph_for):
    data = ComposeData(to=MEGAN, subject="Only once")
    job, _, draft_id = _send(jobs, graph, data)
    assert job["state"] == SENT
    prepared = prepare(data)
    again, started = jobs.start(draft_id, "oid-adele", prepared, plan(prepared), graph,
                                background=False)
    assert started is False and again["state"] == SENT
    assert len(_inbox(graph_for, subject="Only once")) == 1
    assert jobs.status(draft_id, "oid-patti") is None  # another user sees nothing


def test_a_double_click_starts_one_job(jobs, graph, graph_for, make_file):
    data = ComposeData(to=MEGAN, subject="Double click",
                       attachments=[_attachment(make_file("x.bin", 4 * MB))])
    prepared, draft_id = prepare(data), str(uuid.uuid4())
    first, started1 = jobs.start(draft_id, "oid-adele", prepared, plan(prepared), graph)
    second, started2 = jobs.start(draft_id, "oid-adele", prepared, plan(prepared), graph)
    jobs.wait(draft_id)
    assert (started1, started2) == (True, False)
    assert jobs.status(draft_id, "oid-adele")["state"] == SENT
    assert len(_inbox(graph_for, subject="Double click")) == 1


@pytest.mark.redis
def test_two_workers_sharing_redis_send_once(redis_url, graph, graph_for):
    prefix = f"t{uuid.uuid4().hex}:"
    one = send_jobs(redis_store(redis_url, prefix))
    two = send_jobs(redis_store(redis_url, prefix))
    prepared, draft_id = prepare(ComposeData(to=MEGAN, subject="Two workers")), str(uuid.uuid4())
    first, started1 = one.start(draft_id, "oid-adele", prepared, plan(prepared), graph)
    second, started2 = two.start(draft_id, "oid-adele", prepared, plan(prepared), graph)
    one.wait(draft_id)
    assert (started1, started2) == (True, False)
    assert two.status(draft_id, "oid-adele")["state"] == SENT  # read by the other worker
    assert len(_inbox(graph_for, subject="Two workers")) == 1


class SignInNeeded(Exception):
    """What an app's token provider might raise when MSAL has no token to give silently."""


def test_a_token_provider_that_needs_sign_in_keeps_the_draft(emu, https, tmp_path, token_for,
                                                             make_file):
    from mailer.sending.drafts import DraftStore
    from mailer.graph.client import GraphClient
    drafts = draft_store(tmp_path / "uploads")
    jobs = send_jobs(file_store(tmp_path / "jobs"), drafts=drafts, auth_errors=(SignInNeeded,))
    draft_id = drafts.new("oid-adele")
    calls = []
    token = token_for()

    def provider():
        calls.append(1)
        if len(calls) > 1:  # the draft is created, then the session runs out
            raise SignInNeeded()
        return token
    graph = graph_client(emu.client_config()["graph_endpoint"], provider, https)
    fresh = graph_client(emu.client_config()["graph_endpoint"], lambda: token, https)
    data = drafts.load(draft_id, "oid-adele")
    data.to, data.subject = MEGAN, "Needs sign-in"
    drafts.save_fields(draft_id, "oid-adele", data)
    boxed = MailboxDrafts(drafts, limits())  # the large file goes into the mailbox's draft
    boxed.add_file(draft_id, "oid-adele", fresh, "big.bin", io.BytesIO(b"x" * (4 * MB)), 4 * MB)
    data = drafts.load(draft_id, "oid-adele")
    in_box = boxed.mailbox_id(draft_id, "oid-adele")
    job, _, _ = _send(jobs, graph, data, draft_id=draft_id, mailbox_draft=in_box)
    assert job["state"] == NOT_SENT and job["needs_sign_in"] is True
    assert "Sign in again" in job_message(job)
    kept = drafts.load(draft_id, "oid-adele")  # everything typed and attached is still there
    assert kept.subject == "Needs sign-in" and kept.attachments[0].size == 4 * MB
    # After signing in again, the same draft id sends (the definite failure freed the claim).
    job, _, _ = _send(jobs, fresh, kept, draft_id=draft_id, mailbox_draft=in_box)
    assert job["state"] == SENT and drafts.is_sent(draft_id, "oid-adele")


@pytest.mark.parametrize("files", [(), ("big",)], ids=["sendmail", "draft"])
def test_losing_the_sign_in_while_confirming_a_lost_send_never_frees_the_draft(
        emu, https, tmp_path, token_for, graph_for, faults, make_file, files):
    """The answer to the send was lost, then the token ran out: it may have gone out."""
    from mailer.graph.client import GraphClient
    from mailer.sending.jobs import UNKNOWN
    jobs = send_jobs(file_store(tmp_path / "jobs"), auth_errors=(SignInNeeded,), confirm_delay=0)
    token, sent = token_for(), []

    def provider():
        if sent:
            raise SignInNeeded()
        return token
    graph = graph_client(emu.client_config()["graph_endpoint"], provider, https)
    path = "/sendMail$" if not files else "/send$"
    faults.add(path=path, method="POST", drop=True, after=True)
    original = graph.send_mail if not files else graph.send_draft
    def sending(*args, **kwargs):  # the session runs out the moment the send has gone out
        try:
            return original(*args, **kwargs)
        finally:
            sent.append(1)
    setattr(graph, "send_mail" if not files else "send_draft", sending)
    attachments = [Attachment("big.bin", p, p.stat().st_size)
                   for p in ([make_file("big.bin", 4 * MB)] if files else [])]
    data = ComposeData(to=MEGAN, subject="Lost and signed out", attachments=attachments)
    job, _, draft_id = _send(jobs, graph, data)
    assert job["state"] == UNKNOWN, job
    again, started = jobs.start(draft_id, "oid-adele", prepare(data), plan(prepare(data)),
                                graph_client(emu.client_config()["graph_endpoint"], lambda: token,
                                            https), background=False)
    assert started is False  # the claim was kept: no second send
    assert len(_inbox(graph_for, subject="Lost and signed out")) == 1
