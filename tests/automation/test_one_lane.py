"""One lane per mailbox for everyone: a person sending from Sales while a 200-row merge runs
from Sales shares Sales's lane. The person's message goes first (within a slot or two), and
together they never exceed the mailbox's limit (the emulator refuses anything over it)."""
from __future__ import annotations

import time

from helpers.compose import mailbox
from helpers.engine import Engines

from automation.automation_support import ADELE, SALES, MEGAN, wait_until
from automation.test_merge_worker import delivered, write_merge
from emulator.directory import DEMO_CLIENT_ID
from mailer.automation import merge
from mailer.delivery import submit as engine
from mailer.delivery.outcomes import SENT

RATE = 120  # a minute: Exchange's 30, scaled by four, the app's and the emulator's alike


def test_a_persons_send_goes_before_a_merge_from_the_same_mailbox(
        cli, workers, tmp_path, runtime, admin, emu, env):
    admin("PUT", "limits", {"messages_per_minute": RATE, "over_message_rate": "refuse"})
    pace = {"MESSAGES_PER_MINUTE": str(RATE)}
    data, template = write_merge(tmp_path, 200, "Bulk")
    queued = cli("merge", str(data), str(template), "--from", SALES, extra_env=pace)
    assert queued.returncode == 0, queued.stderr
    merge_id = queued.stdout.split()[1].rstrip(":")
    workers(pace)
    assert wait_until(lambda: len(delivered(runtime, "Bulk")) >= 10, 60)
    person = Engines(emu, env["APP_STATE_DIR"], **pace)
    try:
        user = emu.state.directory.user(ADELE)
        token = emu.state.tokens.access_token(DEMO_CLIENT_ID, user.tenant_id, 3600, user=user,
                                              scopes=["Mail.Send", "Mail.Send.Shared"])
        record = person.compose(ADELE, token, from_address=SALES, to=MEGAN,
                                subject="Mine, from Sales", body="not after 190 others")
        assert record["lane"]["priority"] == 0 and record["mailbox"] == SALES
        person.submit(record)
        job = wait_until(lambda: (r := person.rt.lanes.get(record["id"]))["state"] == SENT and r,
                         30, step=0.05)
    finally:
        person.close()
    took = job["sent_at"] - job["created"]
    slot = 60.25 / RATE
    print(f"\nthe person's send, submitted behind {200 - 10} merge rows: sent in {took:.2f} s "
          f"(a slot is {slot:.2f} s)")
    assert took < 2 * slot + 0.5, took  # at the next slot or the one after, not after 95 s
    rows = merge.status(runtime, merge_id)["rows"]
    assert sum(1 for r in rows if r["state"] != "sent") > 100  # the merge was still running
    for row in rows:  # the rest of the merge is not needed to tell
        if row["state"] in ("queued", "waiting"):
            engine.cancel(runtime, row["job"])
    time.sleep(2)
    rows = merge.status(runtime, merge_id)["rows"]
    assert sum(r["throttled"] for r in rows) == 0  # Exchange's limit was never exceeded
    assert [m.props["subject"] for m in mailbox(emu, MEGAN)].count("Mine, from Sales") == 1
