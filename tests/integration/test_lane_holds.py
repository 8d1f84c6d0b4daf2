"""Holding a batch's jobs out of their lane and letting them go (a merge paused and resumed:
mailer/delivery/lanes_batches.py, redis_batches.py): the same behaviour from the file backend
and from the Lua scripts against a real redis-server."""
from __future__ import annotations

import time

from integration.test_lanes import SALES, entry, go, make_lanes, record  # noqa: F401  (make_lanes: fixture)

from mailer.delivery.book import IDLE, Go, Wait


def held(r: dict) -> dict:
    return {**r, "state": "held", "held_from": r["state"]}


def released(r: dict) -> dict:
    return {**r, "state": r.get("held_from") or r["state"]} if r["state"] == "held" else r


def submit(lanes, *ids, **fields):
    for job_id in ids:
        lanes.submit(record(job_id, owner=None), entry(**fields))


def test_held_jobs_leave_the_lane_in_one_step_and_come_back_in_their_order(make_lanes):
    lanes = make_lanes(per_minute=6000)
    submit(lanes, "m1", "m2", "m3")
    submit(lanes, "other", priority=1)
    assert sorted(lanes.hold(SALES, ["m1", "m2", "m3"], held)) == ["m1", "m2", "m3"]
    assert lanes.states(["m1", "m2", "m3", "other", "nothing"]) == [
        "held", "held", "held", "queued", None]
    view = lanes.view(SALES)
    assert (view["waiting"], view["held"]) == (1, 3)
    assert go(lanes, "r1").job_id == "other"
    assert lanes.take(SALES, "r1") == IDLE  # nothing of the held batch is given out
    assert lanes.hold(SALES, ["m1"], held) == []  # held already: nothing more to park
    back, kick = lanes.release(SALES, ["m1", "m2", "m3"], released)
    assert sorted(back) == ["m1", "m2", "m3"] and kick  # the runner had gone: start one
    assert lanes.states(["m1", "m2", "m3"]) == ["queued"] * 3
    assert [go(lanes, "r2").job_id for _ in range(3)] == ["m1", "m2", "m3"]
    assert lanes.view(SALES)["held"] == 0


def test_a_job_in_flight_when_its_batch_is_held_is_parked_when_it_comes_back(make_lanes):
    lanes = make_lanes(per_minute=6000)
    submit(lanes, "m1", "m2")
    flying = go(lanes, "r1")
    assert flying.job_id == "m1"
    assert lanes.hold(SALES, ["m1", "m2"], held) == ["m2"]  # m1 is the worker's
    later = time.time() + 0.2
    assert lanes.requeue({**record("m1", owner=None), "state": "waiting"}, flying.token,
                         entry(not_before=later))  # a 429 while held
    assert lanes.take(SALES, "r1") == IDLE
    assert lanes.view(SALES)["held"] == 2
    assert lanes.states(["m1", "m2"]) == ["waiting", "held"]  # a requeue's record stands
    back, _ = lanes.release(SALES, ["m1", "m2"], released)
    assert sorted(back) == ["m1", "m2"]
    assert lanes.states(["m1", "m2"]) == ["waiting", "queued"]
    first = go(lanes, "r1")  # m1 waits for its time; m2 goes first
    assert first.job_id == "m2"
    assert go(lanes, "r1").job_id == "m1"


def test_a_scheduled_job_held_keeps_its_time(make_lanes):
    lanes = make_lanes()
    submit(lanes, "s1", not_before=time.time() + 0.5)
    assert lanes.hold(SALES, ["s1"], held) == ["s1"]
    assert lanes.view(SALES)["scheduled"] == 0
    assert lanes.release(SALES, ["s1"], released)[0] == ["s1"]
    step = lanes.take(SALES, "r1")
    assert isinstance(step, Wait) and step.seconds > 0.2  # still its time, not at once
    time.sleep(step.seconds + 0.05)
    assert isinstance(lanes.take(SALES, "r1"), Go)


def test_a_held_job_is_cancelled_and_a_submit_while_held_is_parked(make_lanes):
    lanes = make_lanes()
    submit(lanes, "m1")
    lanes.hold(SALES, ["m1", "m2"], held)
    cancelled = lanes.cancel("m1", lambda r: {**r, "state": "cancelled"})
    assert cancelled["state"] == "cancelled" and lanes.view(SALES)["held"] == 0
    done = lanes.submit(record("m2", owner=None), entry())
    assert done.made and not done.kick and done.due_in is None  # held before it arrived
    assert lanes.view(SALES)["held"] == 1
    assert lanes.take(SALES, "r1") == IDLE
    assert lanes.release(SALES, ["m1", "m2"], released)[0] == ["m2"]
    assert go(lanes, "r1").job_id == "m2"


def test_the_view_says_how_many_wait_before_a_job(make_lanes):
    lanes = make_lanes()
    submit(lanes, "a", "b", "c")
    assert [lanes.view(SALES, j)["ahead"] for j in ("a", "b", "c", "zz")] == [0, 1, 2, None]


def test_a_list_is_read_with_its_times_without_the_jobs(make_lanes):
    lanes = make_lanes()
    before = time.time()
    submit(lanes, "a", "b")
    listed = lanes.index(f"jobs-in:{SALES}")
    assert [j for j, _ in listed] == ["b", "a"]  # newest first
    assert all(before - 1 <= t <= time.time() + 1 for _, t in listed)
    assert lanes.index("jobs-in:nobody@contoso.example") == []


def test_many_jobs_go_into_a_lane_in_one_step_in_their_order(make_lanes):
    lanes = make_lanes(per_minute=6000)
    submit(lanes, "first")
    jobs = [(record(f"m{n}", owner=None), entry()) for n in range(30)]
    jobs.insert(5, (record("later", owner=None), entry(not_before=time.time() + 60)))
    lanes.hold(SALES, ["m7"], held)
    stored, kick = lanes.submit_many(jobs)
    assert [r["id"] for r in stored] == [r["id"] for r, _ in jobs] and not kick  # kicked once
    again, kick = lanes.submit_many(jobs[:2], replaceable=())
    assert not kick and [r["state"] for r in again] == ["queued", "queued"]  # found, kept
    view = lanes.view(SALES)
    assert (view["waiting"], view["scheduled"], view["held"]) == (30, 1, 1)
    taken = [go(lanes, "r1").job_id for _ in range(30)]
    assert taken == ["first"] + [f"m{n}" for n in range(30) if n != 7]
    assert [j for j, _ in lanes.index(f"jobs-in:{SALES}")][:2] == ["m29", "m28"]
