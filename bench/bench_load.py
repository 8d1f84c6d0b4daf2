"""Load: two app instances (gunicorn, 2 workers × 4 threads each, as ./env.sh runs it) sharing
one redis-server, no sticky sessions, and many people sending small mails at once.

Each simulated person signs in through the emulator's real pages, then for every mail: opens
a new compose (GET /compose), sends it (POST) and polls its status until "sent", each request
going to the next instance in turn. Printed: sends per second, the latency from the POST to
"sent" (p50, p99), errors (any answer not as expected: target 0), and how many mails each
instance served. The emulator's per-mailbox limits are lifted (``--limit``), and the app's own
pacing of each sender mailbox (MESSAGES_PER_MINUTE), so that what is measured is the app, not
Exchange's 30 messages a minute for the four demo mailboxes.

    python bench/bench_load.py [--people 50] [--mails 6]
"""
from __future__ import annotations

import argparse
import itertools
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path

from harness import PY, ROOT, Stack, _wait, free_port, print_table, sign_in_app

USERS = ["adele@contoso.example", "alex@contoso.example", "megan@contoso.example",
         "patti@contoso.example"]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LIFTED = ["messages_per_minute=none", "concurrent_per_mailbox=none",
          "requests_per_10_minutes=none", "recipients_per_day=none"]


def redis_server(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return proc, f"redis://127.0.0.1:{port}/0"


def second_instance(stack: Stack, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    app_env = {k: v for k, v in os.environ.items() if k not in ("CLIENT_ID", "CLIENT_SECRET")}
    app_env.update({"EMULATOR_STATE_DIR": str(stack.dir / "emulator"),
                    "APP_STATE_DIR": str(stack.dir / "app-b"), "PORT": str(port), **env})
    proc = subprocess.Popen(
        [str(Path(PY).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--timeout", "600", "app:create_app()"],
        cwd=ROOT, env=app_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait(f"{url}/", None, proc, "instance B")
    return proc, url


class Person(threading.Thread):
    def __init__(self, n: int, urls: list[str], mails: int, start_gate: threading.Barrier,
                 results: list):
        super().__init__(daemon=True)
        self.user, self.urls, self.mails = USERS[n % len(USERS)], urls, mails
        self.turn = itertools.cycle(urls[n % 2:] + urls[:n % 2])
        self.gate, self.results, self.n = start_gate, results, n

    def run(self):
        try:
            http = sign_in_app(self.urls[0], self.user, ["Mail.Send"])
        except Exception as exc:  # noqa: BLE001 - counted, printed
            self.results.append(("error", f"sign-in: {exc}"[:200], None))
            self.gate.wait()
            return
        self.gate.wait()
        for m in range(self.mails):
            try:
                self.results.append(self.one(http, m))
            except Exception as exc:  # noqa: BLE001 - counted, printed
                self.results.append(("error", str(exc)[:200], None))

    def one(self, http, m):
        url = next(self.turn)
        new = http.get(f"{url}/compose", allow_redirects=True, timeout=30)
        draft_id = new.url.rstrip("/").rsplit("/", 1)[-1]
        token = CSRF.search(new.text).group(1)
        url = next(self.turn)
        start = time.perf_counter()
        sent = http.post(f"{url}/compose/{draft_id}", allow_redirects=False, timeout=60, data={
            "csrf_token": token, "to": "megan@contoso.example", "subject": f"load {self.n}.{m}",
            "body": "Load test.", "body_type": "text", "importance": "normal",
            "save_to_sent_items": "y", "action": "send"})
        if sent.status_code != 303 or "/status" not in sent.headers.get("Location", ""):
            return ("error", f"send answered {sent.status_code} -> "
                             f"{sent.headers.get('Location')}: {sent.text[:200]}", None)
        while True:
            answer = http.get(f"{next(self.turn)}/compose/{draft_id}/status.json", timeout=30)
            job = answer.json()
            if "finished" not in job:
                return ("error", f"status answered {answer.status_code}: {answer.text[:200]}", None)
            if job["finished"]:
                break
            time.sleep(0.02)
        took = time.perf_counter() - start
        if job["state"] != "sent":
            return ("error", f"state {job['state']}: {job.get('message')}", None)
        return ("ok", url, took)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--mails", type=int, default=6)
    args = parser.parse_args()
    key = secrets.token_urlsafe(48)
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-redis-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    redis, url = redis_server(folder)
    # The app paces each sender mailbox at Exchange's 30 a minute (its lanes): four demo
    # mailboxes would make this a measure of that pace (2 sends a second; bench_merge measures
    # pacing). Lifted here as the emulator's limits are, so the app itself is measured.
    env = {"REDIS_URL": url, "SECRET_KEY": key, "MESSAGES_PER_MINUTE": "100000",
           "RECIPIENTS_PER_DAY": "1000000"}
    stack = Stack(workers=2, threads=4, env=env,
                  emulator_args=[x for limit in LIFTED for x in ("--limit", limit)])
    second = None
    try:
        second, b_url = second_instance(stack, env)
        urls = [stack.app_url, b_url]
        results: list = []
        gate = threading.Barrier(args.people + 1)
        people = [Person(n, urls, args.mails, gate, results) for n in range(args.people)]
        for person in people:
            person.start()
        gate.wait()  # everyone signed in: the clock starts
        start = time.perf_counter()
        for person in people:
            person.join()
        wall = time.perf_counter() - start
    finally:
        if second is not None:
            second.terminate()
            second.wait(timeout=10)
        stack.close()
        redis.terminate()
        shutil.rmtree(folder, ignore_errors=True)
    ok = [r for r in results if r[0] == "ok"]
    errors = [r for r in results if r[0] == "error"]
    times = [r[2] for r in ok]
    served = {u: sum(1 for r in ok if r[1] == u) for u in urls}
    ms = lambda v: f"{v * 1000:.0f}"  # noqa: E731
    print_table(f"Load: {args.people} people × {args.mails} small mails, two instances + Redis",
                ["sent", "errors", "seconds", "sends/s", "p50 (ms)", "p99 (ms)",
                 "sent by A / B"],
                [[len(ok), len(errors), f"{wall:.1f}", f"{len(ok) / wall:.1f}",
                  ms(pct(times, 0.5)) if times else "-", ms(pct(times, 0.99)) if times else "-",
                  " / ".join(str(served[u]) for u in urls)]])
    for kind, words, _ in errors[:5]:
        print(f"  error: {words}")


if __name__ == "__main__":
    main()
