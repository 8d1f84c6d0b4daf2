"""Mail merge at volume: 1,000 personalised messages on the task queue, the emulator enforcing a
scaled Exchange limit (600 a minute per mailbox, refusing the excess with 429), two workers
sharing Redis, one killed with SIGKILL mid-run and restarted.

Figures: sustained rate against the limit (first to last send), 429s met, and the recipients'
inboxes counted through Graph: duplicates and messages lost.
"""
from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import config  # noqa: E402
from harness import PY, ROOT, free_port, print_table, stack  # noqa: E402
from mailer.automation import merge  # noqa: E402
from mailer.delivery.runtime import Runtime  # noqa: E402

ROWS, RATE, SENDER = 1000, 600, "sales@contoso.example"
RECIPIENTS = ["alex@contoso.example", "megan@contoso.example", "patti@contoso.example",
              "adele@contoso.example"]


def redis_server(folder: Path):
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind",
                             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def inbox_subjects(rt: Runtime, upn: str) -> list[str]:
    client, found = rt.graph(), []
    url, params = f"/users/{upn}/mailFolders/inbox/messages", {"$top": "500", "$select": "subject"}
    while url:
        body = client._request("GET", url, params=params).json()
        found += [m["subject"] for m in body["value"] if m["subject"].startswith("Bench ")]
        url, params = body.get("@odata.nextLink"), None
    return found


def main() -> None:
    limits = ["--limit", f"messages_per_minute={RATE}", "--limit", "over_message_rate=refuse"]
    with stack(emulator_args=limits) as s:
        redis, url = redis_server(s.dir)
        env = {k: v for k, v in os.environ.items() if k not in ("CLIENT_ID", "CLIENT_SECRET")}
        env.update({"EMULATOR_STATE_DIR": str(s.dir / "emulator"), "APP_STATE_DIR": str(s.dir / "app"),
                    "AUTOMATION_SENDERS": SENDER, "REDIS_URL": url, "SEND_LEASE": "5",
                    "MESSAGES_PER_MINUTE": str(RATE)})
        cfg = config.load_config(env)
        rt = Runtime(cfg)
        data, template = s.dir / "rows.csv", s.dir / "letter.txt"
        with data.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["email", "name", "n"])
            out.writerows([RECIPIENTS[n % 4], f"Person {n}", n] for n in range(1, ROWS + 1))
        template.write_text("Subject: Bench {{ n }} for {{ name }}\n\nDear {{ name }},\n"
                            "this letter is yours alone (number {{ n }}).\n")
        worker = lambda: subprocess.Popen([PY, "-m", "mailer", "worker"], cwd=ROOT, env=env,  # noqa: E731
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs = [worker(), worker()]
        try:
            started = time.time()
            queued = subprocess.run([PY, "-m", "mailer", "merge", str(data), str(template),
                                     "--from", SENDER], cwd=ROOT, env=env, capture_output=True,
                                    text=True, check=True)
            merge_id = queued.stdout.split()[1].rstrip(":")
            submit_s = time.time() - started
            while (merge.status(rt, merge_id)["counts"].get("sent", 0)) < ROWS // 3:
                time.sleep(0.5)
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait()
            killed_at = merge.status(rt, merge_id)["counts"].get("sent", 0)
            procs[0] = worker()
            deadline = time.time() + 600
            while merge.status(rt, merge_id)["counts"] != {"sent": ROWS} and time.time() < deadline:
                time.sleep(1)
            status = merge.status(rt, merge_id)
        finally:
            for p in procs:
                p.send_signal(signal.SIGINT)
            for p in procs:
                p.wait(timeout=15)
        times = sorted(r["sent_at"] for r in status["rows"] if r["sent_at"])
        span = times[-1] - times[0]
        rate = (len(times) - 1) / span * 60 if span else 0.0
        busiest = max(sum(1 for t in times if a <= t < a + 60) for a in times)
        got = Counter(s for upn in RECIPIENTS for s in inbox_subjects(rt, upn))
        expected = {f"Bench {n} for Person {n}" for n in range(1, ROWS + 1)}
        duplicates = sum(c - 1 for c in got.values() if c > 1)
        lost = len(expected - set(got))
        throttled = sum(r["throttled"] for r in status["rows"])
        recovered = sum(1 for r in status["rows"] if r["attempts"] > 1)
        redis.terminate()
        redis.wait()
        rt.http.close()
    print_table(f"bench/bench_merge.py — {ROWS} personalised messages, limit {RATE}/min, "
                "2 workers on Redis, one SIGKILLed mid-run", ["figure", "value"], [
        ["queued (merge command, s)", f"{submit_s:.1f}"],
        ["sent when the worker was killed", killed_at],
        ["sustained rate (msg/min)", f"{rate:.0f}"],
        ["rate / limit", f"{rate / RATE:.1%}"],
        ["most sends in any 60 s", busiest],
        ["429s from the emulator", throttled],
        ["rows sent more than one attempt", recovered],
        ["delivered", sum(got.values())],
        ["duplicates", duplicates],
        ["lost", lost],
    ])


if __name__ == "__main__":
    main()
