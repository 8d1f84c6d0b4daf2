"""mailer.sending.store: both key-value stores keep state across instances and claim atomically."""
import threading
import time

import pytest

from helpers.settings import file_store, redis_store


@pytest.fixture(params=["files", pytest.param("redis", marks=pytest.mark.redis)])
def stores(request, tmp_path):
    """Two independent instances over the same backing store, as two workers would have."""
    if request.param == "files":
        return file_store(tmp_path / "jobs"), file_store(tmp_path / "jobs")
    url = request.getfixturevalue("redis_url")
    prefix = f"test:{time.time_ns()}:"
    return redis_store(url, prefix), redis_store(url, prefix)


def test_state_written_by_one_worker_is_read_by_another(stores):
    one, two = stores
    assert two.get("job:a") is None
    one.put("job:a", {"state": "running", "bytes_done": 5})
    assert two.get("job:a") == {"state": "running", "bytes_done": 5}
    two.delete("job:a")
    assert one.get("job:a") is None


def test_only_one_claim_wins_even_under_a_race(stores):
    one, two = stores
    winners = []
    barrier = threading.Barrier(8)

    def claim(store, n):
        barrier.wait()
        if store.claim("claim:d", {"by": n}):
            winners.append(n)

    threads = [threading.Thread(target=claim, args=(stores[i % 2], i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert one.get("claim:d") == {"by": winners[0]} == two.get("claim:d")
    one.delete("claim:d")
    assert two.claim("claim:d", {"by": "again"}) is True


def test_a_send_begins_in_one_step_claim_lease_and_record(stores):
    """begin: the claim, the lease and the first record together; a second begin finds the
    claim; a begin against a lease still held (a takeover) leaves no claim behind."""
    one, two = stores
    job = {"state": "running"}
    assert one.begin("claim:d", {"by": 1}, "lease:d", "t1", 20, "job:d", job) == "ok"
    assert two.get("job:d") == job and two.lease_holder("lease:d") == "t1"
    assert two.begin("claim:d", {"by": 2}, "lease:d", "t2", 20, "job:d", {"x": 1}) == "claimed"
    assert one.get("job:d") == job and one.get("claim:d") == {"by": 1}
    one.delete("claim:d")  # a definite "not sent" frees the claim; the lease is still held
    assert two.begin("claim:d", {"by": 2}, "lease:d", "t2", 20, "job:d", {"x": 1}) == "leased"
    assert one.get("claim:d") is None and one.get("job:d") == job  # nothing of it is left
    one.drop_lease("lease:d", "t1")
    assert two.begin("claim:d", {"by": 2}, "lease:d", "t2", 20, "job:d", {"x": 1}) == "ok"
    assert one.get("job:d") == {"x": 1} and one.lease_holder("lease:d") == "t2"


def test_file_store_expires_old_keys(tmp_path):
    store = file_store(tmp_path, ttl=0.05)
    store.put("k", {"v": 1})
    assert store.claim("claim:x", {"v": 1}) is True
    time.sleep(0.1)
    assert store.get("k") is None
    assert store.claim("claim:x", {"v": 2}) is True  # an expired claim is as if absent


def test_keys_cannot_escape_the_folder(tmp_path):
    store = file_store(tmp_path / "jobs")
    store.put("../../evil", {"v": 1})
    assert not (tmp_path / "evil.json").exists() and store.get("../../evil") == {"v": 1}
