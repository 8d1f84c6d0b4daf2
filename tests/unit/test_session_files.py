"""SessionFiles: cachelib's file store with no counter file, bounded by a periodic sweep."""
from __future__ import annotations

import os
import struct
import time

from mailer.identity.session_files import SessionFiles

DAY = 24 * 3600


def store(folder, **kwargs) -> SessionFiles:
    return SessionFiles(str(folder), **{"max_age": DAY, "limit": 100, "sweep_every": 60,
                                        **kwargs})


def age(files: SessionFiles, key: str, seconds: float, expired: bool = True) -> None:
    """Make ``key`` look last written ``seconds`` ago (and past its expiry, if ``expired``)."""
    path = files._get_filename(key)
    then = time.time() - seconds
    if expired:
        with open(path, "r+b") as f:  # cachelib's stamp: when the record expires
            f.write(struct.pack("I", int(then)))
    os.utime(path, (then, then))


def test_records_round_trip_with_no_counter_file(tmp_path):
    files = store(tmp_path)
    assert files.set("session:a", {"user": "adele"}, timeout=DAY)
    assert files.get("session:a") == {"user": "adele"}
    assert files.delete("session:a") and files.get("session:a") is None
    assert os.listdir(tmp_path) == []  # nothing but the records themselves


def test_sweep_removes_expired_records_and_leaves_folders(tmp_path):
    files = store(tmp_path)
    (tmp_path / "locks").mkdir()
    for key in ("session:old", "tokens:old", "session:new"):
        files.set(key, "x", timeout=DAY)
    age(files, "session:old", DAY + 5)
    age(files, "tokens:old", DAY + 5)
    assert files.sweep() == 2
    assert files.get("session:new") == "x"
    assert (tmp_path / "locks").is_dir()
    assert sorted(os.listdir(tmp_path)) == sorted(["locks", os.path.basename(
        files._get_filename("session:new"))])


def test_sweep_keeps_the_most_recently_written_within_the_limit(tmp_path):
    files = store(tmp_path, limit=3)
    for n in range(5):
        files.set(f"session:{n}", n, timeout=DAY)
        age(files, f"session:{n}", 100 - n, expired=False)  # session:4 is the newest
    assert files.sweep() == 2
    assert [files.get(f"session:{n}") for n in range(5)] == [None, None, 2, 3, 4]


def test_writes_sweep_at_most_every_sweep_every_seconds(tmp_path):
    files = store(tmp_path)
    files.set("session:a", 1, timeout=DAY)  # the first write sweeps (nothing to do)
    age(files, "session:a", DAY + 5)
    files.set("session:b", 2, timeout=DAY)  # within the minute: no sweep
    assert files.get("session:b") == 2 and os.path.exists(files._get_filename("session:a"))
    files._next_sweep = 0  # the minute has passed
    files.set("session:c", 3, timeout=DAY)
    assert not os.path.exists(files._get_filename("session:a"))
    assert files.get("session:c") == 3


def test_a_record_kept_beyond_max_age_lives_until_its_own_expiry(tmp_path):
    files = store(tmp_path)
    files.set("tokens:sends-a", "kept", timeout=30 * DAY)  # a person's sends vault
    files.set("session:none", "x", timeout=0)  # no expiry of its own: max_age applies
    age(files, "tokens:sends-a", DAY + 5, expired=False)
    age(files, "session:none", DAY + 5, expired=False)
    assert files.sweep() == 1
    assert files.get("tokens:sends-a") == "kept" and files.get("session:none") is None
    assert files.sweep(now=time.time() + 31 * DAY) == 1  # its own time has come
