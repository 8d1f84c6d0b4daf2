"""The whole send pipeline against the real emulator: a job → its lane → the engine → a mailbox.

Each test asserts on what arrived in a mailbox (read back through Graph as the recipient),
never on calls made: one copy, the right sender, byte-identical attachments. The jobs act as a
person (the CLI's kind of job: files are paths here); the lane runs in this process.
"""
import hashlib

import pytest

from helpers.engine import Engines
from mailer.delivery.outcomes import FAILED, SENT
from mailer.delivery.submit import submit_due
from mailer.sending.plan import DRAFT, SENDMAIL
from mailer.sending.sizes import MB
from mailer.web.job_words import job_message

ADELE, MEGAN, PATTI = "adele@contoso.example", "megan@contoso.example", "patti@contoso.example"


@pytest.fixture
def engines(emu, tmp_path):
    built = Engines(emu, tmp_path)
    yield built
    built.close()


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


def test_a_small_message_goes_out_in_one_sendmail(engines, token_for, graph, graph_for,
                                                  make_file):
    note = make_file("note.txt", 2000)
    job = engines.send(ADELE, token_for(), to=f"Megan Bowen <{MEGAN}>", bcc=PATTI,
                       subject="Small one", html="<p>Hello <b>Megan</b><script>x()</script></p>",
                       importance="high", attachments=[str(note)])
    assert job["plan"] == SENDMAIL and job["state"] == SENT, job
    [got] = _inbox(graph_for, subject="Small one")
    assert got["hasAttachments"] is True and got["importance"] == "high"
    assert "script" not in got["body"]["content"] and "<b>Megan</b>" in got["body"]["content"]
    assert got["bccRecipients"] == []  # Bcc is never shown to recipients
    assert got["from"]["emailAddress"]["address"].lower() == ADELE
    [copy] = _inbox(graph_for, PATTI, "Small one")  # Bcc delivered
    sent = graph.list_messages("sentitems", select=["subject", "internetMessageHeaders"])
    [mine] = [m for m in sent if m["subject"] == "Small one"]
    assert {"name": "x-mailer-draft-id", "value": job["id"]} in mine["internetMessageHeaders"]


@pytest.mark.slow
def test_a_large_attachment_goes_through_a_draft_and_arrives_byte_identical(
        emu, https, engines, graph, graph_for, token_for, make_file):
    big, small = make_file("big video.mp4", 12 * MB + 12345), make_file("notes.txt", 150_000)
    job = engines.send(ADELE, token_for(), to=MEGAN, subject="Big one", text="see attached",
                       attachments=[str(big), str(small)])
    assert job["plan"] == DRAFT and job["state"] == SENT, job
    assert job["bytes_done"] == job["bytes_total"] == big.stat().st_size + 150_000
    [got] = _inbox(graph_for, subject="Big one")
    token = token_for(MEGAN)
    listed = https.get(f"{emu.client_config()['graph_endpoint']}/me/messages/{got['id']}"
                       "/attachments?$select=id,name,size",
                       headers={"Authorization": f"Bearer {token}"}, timeout=30).json()["value"]
    by_name = {a["name"]: a for a in listed}
    assert set(by_name) == {big.name, small.name}
    for path in (big, small):
        content = _attachment_bytes(emu, https, token, got["id"], by_name[path.name]["id"])
        assert _sha(content) == _sha(path.read_bytes())
    drafts = graph.list_messages("drafts", select=["subject"])
    assert [d for d in drafts if d["subject"] == "Big one"] == []  # the draft became the sent mail


@pytest.mark.parametrize("sender, from_address, expect_from, expect_sender", [
    (ADELE, "alex@contoso.example", "alex", "adele"),  # on behalf
    (ADELE, "sales@contoso.example", "sales", "sales"),  # send as
    (MEGAN, "alex@contoso.example", "alex", "alex"),  # send as
])
def test_sending_from_another_mailbox(engines, token_for, graph_for, sender, from_address,
                                      expect_from, expect_sender):
    job = engines.send(sender, token_for(sender), to=PATTI, subject=f"From {from_address}",
                       **{"from": from_address})
    assert job["state"] == SENT and job["mailbox"] == from_address, job  # the From's lane
    [got] = _inbox(graph_for, PATTI, f"From {from_address}")
    assert got["from"]["emailAddress"]["address"].split("@")[0] == expect_from
    assert got["sender"]["emailAddress"]["address"].split("@")[0] == expect_sender


@pytest.mark.parametrize("size", [100, 5 * MB])
def test_send_as_denied_is_explained_and_nothing_is_left_behind(engines, token_for, graph_for,
                                                                make_file, size):
    path = make_file("a.bin", size)
    record = engines.job(PATTI, token_for(PATTI), to=MEGAN, subject="Not allowed",
                         attachments=[str(path)], **{"from": "alex@contoso.example"})
    engines.submit(record)
    job = engines.run(record["id"])
    assert job["state"] == FAILED and job["error_code"] == "ErrorSendAsDenied"
    assert "Send As" in job_message(job) and "Mail.Send.Shared" in job_message(job)
    assert _inbox(graph_for, subject="Not allowed") == []
    assert [d for d in graph_for(PATTI).list_messages("drafts", select=["subject"])
            if d["subject"] == "Not allowed"] == []  # the failed draft was removed
    # A failure frees the job: fixed (From cleared), the same job id sends.
    again = engines.job(PATTI, token_for(PATTI), job_id=record["id"], to=MEGAN,
                        subject="Not allowed", attachments=[str(path)])
    _, made = engines.submit(again)
    assert made and engines.run(record["id"])["state"] == SENT
    assert len(_inbox(graph_for, subject="Not allowed")) == 1


def test_missing_scope_is_not_sent_and_says_so(engines, token_for):
    job = engines.send(ADELE, token_for(scopes=["User.Read"]), to=MEGAN, subject="No scope")
    assert job["state"] == FAILED and job["error_code"] == "ErrorAccessDenied"
    assert "Access was denied" in job_message(job)


def test_a_token_that_cannot_be_refreshed_asks_for_a_fresh_sign_in(engines, token_for, graph_for):
    """The token sealed in the job has run out and no sign-in of the person is left to refresh
    it: not sent, and the person is told to sign in again; nothing else is lost."""
    record = engines.job(ADELE, token_for(lifetime=-10), lifetime=-10, to=MEGAN,
                         subject="Expired")
    engines.submit(record)
    job = engines.run(record["id"])
    assert job["state"] == FAILED and job["needs_sign_in"] is True
    assert "Sign in again" in job_message(job)
    assert _inbox(graph_for, subject="Expired") == []


def test_a_resubmitted_job_is_never_sent_twice(engines, token_for, graph_for):
    record = engines.job(ADELE, token_for(), to=MEGAN, subject="Only once")
    engines.submit(record)
    assert engines.run(record["id"])["state"] == SENT
    again, made = engines.submit({**record, "subject": "changed"})
    assert made is False and again["state"] == SENT
    assert len(_inbox(graph_for, subject="Only once")) == 1


def test_a_double_click_makes_one_job(engines, token_for, graph_for, make_file):
    record = engines.job(ADELE, token_for(), to=MEGAN, subject="Double click",
                         attachments=[str(make_file("x.bin", 4 * MB))])
    (_, first), (_, second) = engines.submit(record), engines.submit(record)
    assert (first, second) == (True, False)
    assert engines.run(record["id"])["state"] == SENT
    assert len(_inbox(graph_for, subject="Double click")) == 1


@pytest.mark.redis
def test_two_runtimes_sharing_redis_send_once(emu, tmp_path, redis_url, token_for, graph_for):
    secret = "s" * 48  # every instance shares it (and so the key that seals tokens)
    one = Engines(emu, tmp_path / "one", redis_url, SECRET_KEY=secret)
    two = Engines(emu, tmp_path / "two", redis_url, SECRET_KEY=secret)
    try:
        record = one.job(ADELE, token_for(), to=MEGAN, subject="Two workers")
        assert one.submit(record)[1] is True and two.submit(record)[1] is False
        assert two.run(record["id"])["state"] == SENT  # run by the other one
        assert one.rt.lanes.get(record["id"])["state"] == SENT
        assert len(_inbox(graph_for, subject="Two workers")) == 1
    finally:
        one.close()
        two.close()


@pytest.mark.redis
def test_a_submit_on_redis_queues_its_lanes_start_in_the_same_step(emu, tmp_path, redis_url,
                                                                   token_for, graph_for):
    """The lane's runner start goes into huey's queue inside the submit's own Lua step (one
    round trip a send): huey reads it back as its lane task, once per idle lane, and it sends."""
    engines = Engines(emu, tmp_path, redis_url)
    huey = engines.rt.queue.huey
    try:
        first = engines.job(ADELE, token_for(), to=MEGAN, subject="Folded kick 1")
        second = engines.job(ADELE, token_for(), to=MEGAN, subject="Folded kick 2")
        assert submit_due(engines.rt, first)[2] == 0  # next in its lane: goes at once
        assert huey.pending_count() == 1
        assert submit_due(engines.rt, second)[2] is None  # behind the first
        assert huey.pending_count() == 1  # kicked a moment ago: one start is enough
        task = huey.dequeue()
        assert task.name == "lane" and task.args == (ADELE,) and task.priority == 10
        huey.execute(task)  # the lane's runner, as a worker runs it: both go, in order
        assert [engines.rt.lanes.get(r["id"])["state"] for r in (first, second)] == [SENT, SENT]
        assert len(_inbox(graph_for, subject="Folded kick 1")) == 1
        assert len(_inbox(graph_for, subject="Folded kick 2")) == 1
    finally:
        engines.close()
