"""Pacing at Exchange's limit, and merges at volume, on the one send engine.

One run, the emulator refusing (429) any message over its per-mailbox limit, workers on Redis:

  1. Exchange's real limit, 30 a minute: a 60-row merge from Sales on one worker, then another
     on three workers, and in the middle of the second a person's own send from Sales (it goes
     before the rest of the merge). Figures: the rate sustained (first to last, from the
     emulator's own submission times), the most messages in any 60 s (the limit: 30), 429s,
     and how long the person's send took against one slot (2.008 s). Target: >= 95 %, 0 over.
  2. 600 rows at a limit scaled twenty times (600 a minute, so it takes a minute): one worker,
     then three; then 300 rows with one of the workers killed by SIGKILL mid-run and another
     started. Figures as above, duplicates and losses counted in the recipients' inboxes.

    python bench/bench_merge.py [--quick]      (--quick: part 2 only)
"""
from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import config  # noqa: E402
from harness import PY, ROOT, free_port, print_table, sign_in_app  # noqa: E402
from harness import Stack as stack_of  # noqa: E402
from mailer.automation import merge  # noqa: E402
from mailer.delivery.runtime import Runtime  # noqa: E402

SENDER = "sales@contoso.example"
RECIPIENTS = ["alex@contoso.example", "megan@contoso.example", "patti@contoso.example",
              "adele@contoso.example"]


def redis_server(folder: Path):
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind",
                             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def most_in(times: list[float], seconds: float = 60.0) -> int:
    return max((bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times)),
               default=0)


class Bench:
    """Redis, the stack (the app on that Redis), workers and the runtime the bench reads through."""

    def __init__(self, rate: int):
        self.redis, url = redis_server(Path(tempfile.mkdtemp(prefix="bench-redis-")))
        settings = {"AUTOMATION_SENDERS": SENDER, "REDIS_URL": url, "SEND_LEASE": "5",
                    "MESSAGES_PER_MINUTE": str(rate)}
        limits = ["--limit", f"messages_per_minute={rate}", "--limit", "over_message_rate=refuse"]
        self.s = s = stack_of(env=settings, emulator_args=limits, senders=0)
        self.env = {k: v for k, v in os.environ.items() if k not in ("CLIENT_ID", "CLIENT_SECRET")}
        self.env.update({"EMULATOR_STATE_DIR": str(s.dir / "emulator"),
                         "APP_STATE_DIR": str(s.dir / "app"), **settings})
        self.rt = Runtime(config.load_config(self.env))
        self.workers: list[subprocess.Popen] = []

    def worker(self) -> subprocess.Popen:
        proc = subprocess.Popen([PY, "-m", "mailer", "worker"], cwd=ROOT, env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workers.append(proc)
        return proc

    def merge(self, tag: str, rows: int) -> str:
        data, template = self.s.dir / f"{tag}.csv", self.s.dir / f"{tag}.txt"
        with data.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["email", "name", "n"])
            out.writerows([RECIPIENTS[n % 4], f"Person {n}", n] for n in range(1, rows + 1))
        template.write_text(f"Subject: {tag} {{{{ n }}}} for {{{{ name }}}}\n\nDear "
                            "{{ name }},\nthis letter is yours alone (number {{ n }}).\n")
        done = subprocess.run([PY, "-m", "mailer", "merge", str(data), str(template), "--from",
                               SENDER], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              check=True)
        return done.stdout.split()[1].rstrip(":")

    def wait(self, merge_id: str, rows: int, timeout: float = 900) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = merge.status(self.rt, merge_id)
            if status["counts"] == {"sent": rows}:
                return status
            time.sleep(0.5)
        return merge.status(self.rt, merge_id)

    def submitted(self, tag: str) -> list[float]:
        """When the emulator took each message of ``tag`` (Sales's Sent Items, its clock)."""
        client, found = self.rt.app_graph(), []
        url = f"/users/{SENDER}/mailFolders/sentitems/messages"
        params = {"$top": "1000", "$select": "subject,sentDateTime"}
        while url:
            body = client._request("GET", url, params=params).json()
            found += [dt.datetime.fromisoformat(m["sentDateTime"].replace("Z", "+00:00")).timestamp()
                      for m in body["value"] if m["subject"].startswith(f"{tag} ")]
            url, params = body.get("@odata.nextLink"), None
        return sorted(found)

    def delivered(self, tag: str) -> Counter:
        client, got = self.rt.app_graph(), Counter()
        for upn in RECIPIENTS:
            url = f"/users/{upn}/mailFolders/inbox/messages"
            params = {"$top": "1000", "$select": "subject"}
            while url:
                body = client._request("GET", url, params=params).json()
                got.update(m["subject"] for m in body["value"] if m["subject"].startswith(f"{tag} "))
                url, params = body.get("@odata.nextLink"), None
        return got

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.s.close()
        self.redis.terminate()
        self.redis.wait()
        self.rt.http.close()


def figures(b: Bench, tag: str, status: dict, rate: int, rows: int) -> list[list]:
    times = b.submitted(tag)
    span = times[-1] - times[0] if len(times) > 1 else 0
    sustained = (len(times) - 1) / span * 60 if span else 0.0
    got = b.delivered(tag)
    expected = {f"{tag} {n} for Person {n}" for n in range(1, rows + 1)}
    return [[f"{tag}: sustained (msg/min; limit {rate})", f"{sustained:.1f} ({sustained / rate:.1%})"],
            [f"{tag}: most in any 60 s (limit {rate})", most_in(times)],
            [f"{tag}: 429s from the emulator", sum(r["throttled"] for r in status["rows"])],
            [f"{tag}: duplicates / lost", f"{sum(c - 1 for c in got.values() if c > 1)} / "
                                          f"{len(expected - set(got))}"]]


def person_send(b: Bench) -> float:
    """A person's own send from Sales through the compose page, into the lane the merge uses;
    seconds from Send to Graph taking it."""
    http = sign_in_app(b.s.app_url, RECIPIENTS[3], ["Mail.Send", "Mail.Send.Shared"])
    page = http.get(f"{b.s.app_url}/compose", timeout=10)
    draft_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    sent = http.post(f"{b.s.app_url}/compose/{draft_id}", allow_redirects=False, timeout=30, data={
        "csrf_token": csrf, "from_address": SENDER, "to": RECIPIENTS[1],
        "subject": "Mine, from Sales", "body": "before the merge's rest", "body_type": "text",
        "importance": "normal", "save_to_sent_items": "y", "action": "send"})
    assert sent.status_code == 303, sent.text[:500]
    while (r := b.rt.lanes.get(draft_id))["state"] != "sent":
        time.sleep(0.02)
    http.close()
    return r["sent_at"] - r["created"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="only the scaled merge")
    args = parser.parse_args()
    rows: list[list] = []
    if not args.quick:
        b = Bench(30)
        try:
            b.worker()
            one = b.merge("Real1", 60)
            rows += figures(b, "Real1", b.wait(one, 60), 30, 60)
            b.worker()
            b.worker()
            three = b.merge("Real3", 60)
            time.sleep(30)
            rows.append(["a person's send behind the merge (s; a slot is 2.008 s)",
                         f"{person_send(b):.2f}"])
            rows += figures(b, "Real3", b.wait(three, 60), 30, 60)
        finally:
            b.close()
    b = Bench(600)
    try:
        b.worker()
        one = b.merge("Scaled1", 600)
        rows += figures(b, "Scaled1", b.wait(one, 600), 600, 600)
        first, _, _ = b.worker(), b.worker(), b.worker()
        three = b.merge("Scaled3", 600)
        rows += figures(b, "Scaled3", b.wait(three, 600), 600, 600)
        killed = b.merge("Killed", 300)
        while merge.status(b.rt, killed)["counts"].get("sent", 0) < 100:
            time.sleep(0.1)
        first.send_signal(signal.SIGKILL)  # whichever lane it ran: the sweep of another
        b.worker()
        rows += figures(b, "Killed", b.wait(killed, 300), 600, 300)[2:]
    finally:
        b.close()
    print_table("bench/bench_merge.py — merges on the one engine, the emulator refusing any "
                "message over its limit (Real: 30/min, one worker then three and a person's "
                "send; Scaled: 600 rows at 600/min, one worker then three; Killed: 300 rows, "
                "one of three workers SIGKILLed)",
                ["figure", "value"], rows)


if __name__ == "__main__":
    main()
