"""What a merge from the pages costs the host, at the sizes the pages allow.

  1. The preview (and the start, which does the same): a CSV of N rows parsed, every row
     rendered by the limited renderer (a child process) and checked as its message
     (addresses, sizes, the send plan). Rows a second, and the whole at the pages' limit.
  2. A merge of N rows queued (the start's hand-over to the engine, CHUNK rows a step), paused
     and resumed (hold / release: one step each), and the progress page's count (the jobs'
     states in one read), on the file backend and on Redis.

    python bench/bench_merge_pages.py [--rows N]     (default 1,000 and 10,000)
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import config  # noqa: E402
from harness import free_port, print_table, timed  # noqa: E402
from mailer.automation.merge_drafts import editor_template  # noqa: E402
from mailer.automation.merge_rows import check_rows, parse_csv  # noqa: E402
from mailer.delivery import submit as engine  # noqa: E402
from mailer.delivery.book import Entry  # noqa: E402
from mailer.automation.merge import CHUNK  # noqa: E402
from mailer.delivery.lanes import FileLanes  # noqa: E402
from mailer.delivery.pace import Pace  # noqa: E402
from mailer.delivery.redis_lanes import RedisLanes  # noqa: E402
from mailer.delivery.runtime import plan_limits  # noqa: E402
from mailer.sending.store import FileStore, RedisStore, redis_client  # noqa: E402

SENDER = "sales@contoso.example"
BODY = ("<p>Dear {{ first_name }},</p><p>the {{ team }} day is on Friday; your seat is "
        "<strong>{{ seat }}</strong>.</p>" + "<p>Some more words of the invitation.</p>" * 20)


class Rt:
    """The little of a Runtime that checking rows needs (no emulator: nothing goes to Graph)."""

    def __init__(self, lanes):
        self.cfg = config.defaults()
        self.limits, self.lanes = plan_limits(self.cfg), lanes
        self.pace = lanes.pace
        self.queue = None


def csv_text(rows: int) -> str:
    lines = ["email,first_name,team,seat"]
    lines += [f"guest{n}@contoso.example,Guest {n},Team {n % 7},S{n}" for n in range(rows)]
    return "\n".join(lines) + "\n"


def preview(rows: int) -> float:
    rt = Rt(FileLanes(FileStore(tempfile.mkdtemp(), ttl=3600), pace()))
    text = csv_text(rows)

    def run():
        columns, parsed = parse_csv(text, "email", max_rows=rows)
        checked = check_rows(rt, editor_template("Hello {{ first_name }}", BODY, True), columns,
                             parsed, SENDER, "email")
        assert len(checked.good) == rows, checked.refused[:3]
    return timed(run)


def pace() -> Pace:
    return Pace(per_minute=30, recipients_per_day=10_000, concurrency=4, lease=20)


def held_and_back(lanes, rows: int) -> tuple[float, float, float, float, float]:
    ids = [f"j{uuid.uuid4().hex[:24]}" for _ in range(rows)]
    jobs = [({"id": job_id, "owner": None, "mailbox": SENDER, "state": "queued",
              "kind": "merge", "description": {"html": BODY}}, Entry(SENDER, 2, 1, True))
            for job_id in ids]
    started = timed(lambda: [lanes.submit_many(jobs[at:at + CHUNK])
                             for at in range(0, rows, CHUNK)])
    rt = Rt(lanes)
    rt.queue = type("Q", (), {"kick": staticmethod(lambda *a: None)})()
    counted = timed(lambda: lanes.states(ids))
    held = timed(lambda: engine.hold(rt, SENDER, ids))
    back = timed(lambda: engine.release(rt, SENDER, ids))
    again = timed(lambda: lanes.states(ids))
    assert lanes.view(SENDER)["waiting"] == rows
    return started, counted, held, back, again


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append")
    sizes = parser.parse_args().rows or [1_000, 10_000]
    table = []
    for rows in sizes:
        took = preview(rows)
        table.append([f"{rows:,}", f"{took:.2f}", f"{rows / took:,.0f}"])
    print_table("1. preview (or start): CSV parsed, every row rendered and checked",
                ["rows", "seconds", "rows/s"], table)
    folder = Path(tempfile.mkdtemp())
    port = free_port()
    server = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind",
                               "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                               str(folder)], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        table = []
        for rows in sizes:
            backends = {"files": FileLanes(FileStore(folder / uuid.uuid4().hex, ttl=3600),
                                           pace()),
                        "redis": RedisLanes(RedisStore(redis_client(
                            f"redis://127.0.0.1:{port}/0"), ttl=3600,
                            prefix=f"bench:{uuid.uuid4().hex}:"), pace())}
            for name, lanes in backends.items():
                started, counted, held, back, _ = held_and_back(lanes, rows)
                table.append([f"{rows:,}", name, f"{started * 1000:.0f}",
                              f"{counted * 1000:.0f}", f"{held * 1000:.0f}",
                              f"{back * 1000:.0f}"])
        print_table("2. a merge's rows: queued (start, by chunks), counted (states), paused "
                    "(hold), resumed (release)",
                    ["rows", "backend", "queue ms", "count ms", "pause ms", "resume ms"], table)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
