"""Lanes (mailer/delivery/lanes.py, redis_lanes.py): the same behaviour from the file backend
and from the Lua scripts against a real redis-server: priority, slots, the moving minute and
day, pauses, runners, leases, cancel, requeue, notices."""
from __future__ import annotations

import time
import uuid

import pytest

from mailer.delivery.book import FULL, IDLE, Entry, Go, Wait
from mailer.delivery.lanes import FileLanes
from mailer.delivery.pace import Pace, commit, slot_for
from mailer.delivery.redis_lanes import RedisLanes
from mailer.sending.store import FileStore, RedisStore, redis_client

SALES = "sales@contoso.example"


@pytest.fixture(params=["files", pytest.param("redis", marks=pytest.mark.redis)])
def make_lanes(request, tmp_path):
    """make_lanes(**pace) -> lanes of one backend on a fresh store."""
    def make(**fields):
        pace = Pace(**{"per_minute": 30, "recipients_per_day": 10_000, "concurrency": 2,
                       "lease": 5.0, **fields})
        if request.param == "files":
            return FileLanes(FileStore(tmp_path / f"jobs-{uuid.uuid4().hex[:6]}", ttl=3600), pace)
        url = request.getfixturevalue("redis_url")
        return RedisLanes(RedisStore(redis_client(url), ttl=3600, prefix=f"test:{uuid.uuid4()}:"), pace)
    return make


def record(job_id: str, owner: str | None = "adele", state: str = "queued") -> dict:
    return {"id": job_id, "owner": owner, "mailbox": SALES, "state": state}


def entry(priority: int = 2, recipients: int = 1, reserve: bool = True, not_before=None):
    return Entry(SALES, priority, recipients, reserve, not_before)


def go(lanes, runner: str):
    """The runner's next step that is not a wait (sleeping through waits, as a runner does)."""
    while isinstance(step := lanes.take(SALES, runner), Wait):
        time.sleep(step.seconds)
    return step


def test_a_job_is_recorded_once_and_the_first_one_kicks_the_lane(make_lanes):
    lanes = make_lanes()
    first = lanes.submit(record("a"), entry())
    assert first.made and first.kick and first.record["id"] == "a"
    again = lanes.submit({**record("a"), "state": "queued", "x": 1}, entry())
    assert not again.made and not again.kick and "x" not in again.record  # the first stands
    assert again.due_in is None
    other = lanes.submit(record("b"), entry())
    assert other.made and not other.kick  # kicked a moment ago: one runner start is enough


def test_submit_says_when_a_job_first_in_its_lane_may_go(make_lanes):
    """The compose page waits for the outcome only of a send that goes at once: the submit's
    own step tells how soon (None behind others, in a paused lane, or scheduled)."""
    lanes = make_lanes(per_minute=30)  # a slot every 2 s
    assert lanes.submit(record("first"), entry(priority=0)).due_in == 0
    assert lanes.submit(record("behind"), entry(priority=2)).due_in is None
    assert go(lanes, "r1").job_id == "first"  # its slot granted: the next is 2 s on
    assert lanes.submit(record("mine"), entry(priority=0)).due_in == pytest.approx(2, abs=0.3)
    assert lanes.submit(record("later", state="scheduled"),
                        entry(priority=0, not_before=time.time() + 60)).due_in is None
    lanes.pause(SALES, 30)  # Graph said 429: nothing goes until the pause ends
    assert lanes.submit(record("paused"), entry(priority=0)).due_in is None


def test_priority_then_arrival_and_one_slot_every_interval(make_lanes):
    lanes = make_lanes(per_minute=60)  # a slot per second (plus the margin)
    for job_id, priority in (("bulk1", 2), ("bulk2", 2), ("mine", 0), ("api", 1)):
        lanes.submit(record(job_id), entry(priority))
    taken = []
    while len(taken) < 4:  # a slot is taken at most one interval ahead: wait for each
        step = lanes.take(SALES, "r1")
        if isinstance(step, Wait):
            time.sleep(step.seconds)
        else:
            taken.append(step)
    assert [step.job_id for step in taken] == ["mine", "api", "bulk1", "bulk2"]
    assert all(step.delay <= 60.25 / 60 + 0.01 for step in taken), taken


def test_a_slot_beyond_the_horizon_is_a_wait_and_nothing_is_popped(make_lanes):
    lanes = make_lanes(per_minute=2, wait_in_thread=1.0)  # a slot every 30 s, taken 1 s ahead
    lanes.submit(record("a"), entry())
    lanes.submit(record("b"), entry())
    first = lanes.take(SALES, "r1")
    assert isinstance(first, Go) and first.job_id == "a"
    second = lanes.take(SALES, "r1")
    assert isinstance(second, Wait) and 29 < second.seconds <= 60.25 / 2
    assert lanes.view(SALES)["waiting"] == 1


def test_runners_are_bounded_and_let_go_when_idle(make_lanes):
    lanes = make_lanes(concurrency=2, per_minute=600)
    for n in range(3):
        lanes.submit(record(f"j{n}"), entry(reserve=False))  # each uploads files first
    one = go(lanes, "r1")
    assert isinstance(one, Go) and one.more  # room for a second runner
    assert isinstance(go(lanes, "r2"), Go)
    assert lanes.take(SALES, "r3") == FULL
    last = go(lanes, "r1")
    assert isinstance(last, Go) and not last.more
    assert lanes.take(SALES, "r1") == IDLE  # r1 let go
    assert lanes.view(SALES)["runners"] == 1  # r2 still registered
    lanes.leave(SALES, "r2")
    assert lanes.view(SALES)["runners"] == 0


def test_finish_writes_under_the_lease_notifies_and_says_idle(make_lanes):
    lanes = make_lanes()
    lanes.submit(record("a"), entry())
    step = lanes.take(SALES, "r1")
    assert lanes.finish({**record("a"), "state": "sent"}, "not-the-token", "r1") == "lost"
    assert lanes.get("a")["state"] == "queued"
    assert lanes.wait_done("a", 0) is False
    assert lanes.finish({**record("a"), "state": "sent"}, step.token, "r1", notice=True) == "idle"
    assert lanes.get("a")["state"] == "sent"
    assert lanes.wait_done("a", 1) is True
    assert lanes.notices("adele") == ["a"] and lanes.notices("adele") == []
    assert lanes.taken_jobs() == {}
    assert [r["id"] for r in lanes.listed("jobs-of:adele")] == ["a"]


def test_a_failed_job_may_be_submitted_again(make_lanes):
    lanes = make_lanes()
    lanes.submit(record("a"), entry())
    step = lanes.take(SALES, "r1")
    lanes.finish({**record("a"), "state": "failed"}, step.token, "r1")
    made = lanes.submit(record("a"), entry()).made
    assert made and lanes.get("a")["state"] == "queued"
    assert lanes.wait_done("a", 0) is False  # the old outcome is not the new one's


def test_scheduled_jobs_wait_for_their_time(make_lanes):
    lanes = make_lanes()
    lanes.submit(record("later", state="scheduled"), entry(not_before=time.time() + 1.0))
    step = lanes.take(SALES, "r1")
    assert isinstance(step, Wait) and 0.5 < step.seconds <= 1.0
    time.sleep(step.seconds + 0.05)
    step = lanes.take(SALES, "r1")
    assert isinstance(step, Go) and step.job_id == "later"


def test_one_runner_keeps_a_lane_of_small_jobs(make_lanes):
    lanes = make_lanes(concurrency=4, per_minute=600)
    for n in range(3):
        lanes.submit(record(f"s{n}"), entry())
    assert go(lanes, "r1").more is False  # done long before the next slot: no second runner


def test_a_pause_holds_the_lane_for_everyone(make_lanes):
    lanes = make_lanes()
    lanes.submit(record("a"), entry(priority=0))
    lanes.pause(SALES, 30)
    lanes.pause(SALES, 5)  # a shorter pause never shortens a longer one
    step = lanes.take(SALES, "r1")
    assert isinstance(step, Wait) and 29 < step.seconds <= 30


def test_requeue_keeps_the_place_and_cancel_takes_a_waiting_job_out(make_lanes):
    lanes = make_lanes(per_minute=600)
    for job_id in ("a", "b"):
        lanes.submit(record(job_id), entry())
    step = lanes.take(SALES, "r1")
    assert step.job_id == "a"
    assert lanes.requeue({**record("a"), "state": "waiting"}, step.token, entry())
    assert lanes.take(SALES, "r1").job_id == "a"  # first again: it kept its place
    cancelled = lanes.cancel("b", lambda r: {**r, "state": "cancelled"})
    assert cancelled["state"] == "cancelled" and lanes.get("b")["state"] == "cancelled"
    assert lanes.cancel("a", lambda r: {**r, "state": "cancelled"}) is None  # held: not waiting


def test_the_day_window_holds_a_message_until_recipients_age_out(make_lanes):
    lanes = make_lanes(recipients_per_day=5, per_minute=600)
    lanes.submit(record("a"), entry(recipients=4))
    lanes.submit(record("b"), entry(recipients=2))
    assert isinstance(lanes.take(SALES, "r1"), Go)
    step = lanes.take(SALES, "r1")
    assert isinstance(step, Wait) and step.seconds > 86_000


def test_reserve_at_hand_over_for_a_job_with_files(make_lanes):
    lanes = make_lanes(per_minute=60)
    lanes.submit(record("big"), entry(reserve=False))
    step = lanes.take(SALES, "r1")
    assert isinstance(step, Go) and step.delay == 0
    first = lanes.reserve(SALES, 1, max_wait=5)
    second = lanes.reserve(SALES, 1, max_wait=5)
    assert first < 0.1 and abs(second - first - 60.25 / 60) < 0.05
    assert isinstance(lanes.reserve(SALES, 1, max_wait=0.5), Wait)  # not granted: not counted
    assert abs(lanes.reserve(SALES, 1, max_wait=5) - first - 2 * 60.25 / 60) < 0.05


def test_the_sweep_kicks_a_lane_whose_runners_died(make_lanes):
    lanes = make_lanes(lease=0.3)
    lanes.submit(record("a"), entry())
    assert lanes.kick_due(SALES) is False  # kicked at submit
    lanes.take(SALES, "r1")  # a runner registers, then dies without a word
    lanes.submit(record("b"), entry())
    assert lanes.kick_due(SALES) is False  # r1 still counts as alive
    time.sleep(0.4)
    assert SALES in lanes.busy_lanes()
    assert lanes.kick_due(SALES) is True and lanes.kick_due(SALES) is False
    assert "a" in lanes.taken_jobs()  # its job is found by the sweep through its lease


def test_an_orphan_goes_back_to_its_place_only_once_its_lease_is_out(make_lanes):
    lanes = make_lanes(lease=0.3, per_minute=600)
    for job_id in ("a", "b"):
        lanes.submit(record(job_id), entry())
    taken = go(lanes, "r1")
    assert taken.job_id == "a" and lanes.orphan("a", entry()) is False  # its worker lives
    time.sleep(0.4)  # ...then dies without a word
    assert lanes.orphan("a", entry()) is True and lanes.taken_jobs() == {}
    assert go(lanes, "r2").job_id == "a"  # first again: it kept its place before "b"
    time.sleep(0.4)
    assert lanes.orphan("a", None) is True  # no record left: only forgotten
    assert lanes.view(SALES)["waiting"] == 1 and go(lanes, "r3").job_id == "b"


@pytest.mark.parametrize("stamps, day, recipients, expect", [
    ([], [], 1, 100.0),
    ([40.0 + i for i in range(30)], [], 1, 40.0 + 60.25),  # the minute is full
    ([], [[99_000.0, 9_999]], 2, 99_000.0 + 86_400),  # the day is full until that ages out
])
def test_slot_for_reference_cases(stamps, day, recipients, expect):
    pace = Pace(per_minute=30, recipients_per_day=10_000, concurrency=4, lease=20)
    now = 100.0 if not day else 100_000.0
    assert slot_for(now, 0.0, stamps, day, recipients, pace) == max(now, expect)
    state = {"stamps": stamps, "day": day}
    commit(state, expect, recipients, now, pace)
    assert state["next"] == max(now, expect) + pace.interval
