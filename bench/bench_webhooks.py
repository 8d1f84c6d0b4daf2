"""Mail that arrives, as a program sees it: webhooks against API polling, side by side.

1. Latency from the emulator accepting a message (its 202 to sendMail) to the program knowing
   of it, with 50 mailboxes watched at once: each has a webhook (the app's Graph subscription,
   a delta round per notification, a signed POST to a receiver in this process), and each is
   also polled through the API every 10 s (GET /api/v1/mailboxes/{m}/messages?unread=true,
   then POST …/read for what it found), as programs do today. The same messages are measured
   both ways: MESSAGES spread at random over SPREAD seconds. Graph requests of each way are
   counted from the emulator's request log.
2. The issue's reliability figure at full scale: 1,000 messages to one watched mailbox while
   Graph drops one notification in ten and doubles one in ten, and the webhook answers 500 for
   its first minute (the app's default retry schedule): how many arrived, under how many
   webhook-ids, and when the last one did.

The app runs under gunicorn (2 x 8 threads) with two workers of the task queue (8 threads
each), all on one redis-server, as several hosts would run them.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from harness import Stack, free_port, print_table  # noqa: E402  (harness puts ROOT on sys.path)
from bench_load import redis_server  # noqa: E402
from mailer.sending.store import RedisStore, redis_client  # noqa: E402
from mailer.web.api.keys import FOREVER, ApiKeys  # noqa: E402

SENDER = "adele@contoso.example"
LIFTED = ["messages_per_minute=null", "requests_per_10_minutes=null",
          "concurrent_per_mailbox=null"]


class Receiver:
    """A program's webhook endpoint: when each event first came, and every POST's id."""

    def __init__(self):
        self.first: dict[str, float] = {}
        self.posts: list[tuple[str, str, int]] = []  # (subject, webhook-id, status)
        self.fail_until = 0.0
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                now = time.monotonic()
                status = 500 if now < hook.fail_until else 204
                subject = body["data"]["message"]["subject"]
                with hook.lock:
                    hook.posts.append((subject, self.headers["webhook-id"], status))
                    if status == 204:
                        hook.first.setdefault(subject, now)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


def app_token(s: Stack) -> dict:
    import msal
    cfg = s.config
    app = msal.ConfidentialClientApplication(
        cfg["client_id"], client_credential=cfg["client_secret"],
        authority=cfg["authority"].replace("/common", "/contoso.example"),
        instance_discovery=False, http_client=s.https())
    token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    return {"Authorization": f"Bearer {token['access_token']}"}


def send(https, s: Stack, headers: dict, to: str, subject: str) -> float:
    """sendMail as the app; the moment the emulator accepted it."""
    answer = https.post(f"{s.config['graph_endpoint']}/users/{SENDER}/sendMail", headers=headers,
                        timeout=30, json={"message": {
                            "subject": subject, "body": {"contentType": "text", "content": "x"},
                            "toRecipients": [{"emailAddress": {"address": to}}]}})
    assert answer.status_code == 202, answer.text
    return time.monotonic()


def make_webhook(s: Stack, key: str, box: str, url: str) -> None:
    made = requests.post(f"{s.app_url}/api/v1/mailboxes/{box}/webhooks", timeout=60,
                         headers={"Authorization": f"Bearer {key}"}, json={"url": url})
    assert made.status_code == 201, made.text


def watching(s: Stack, key: str, boxes: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for box in boxes:
        while True:
            listed = requests.get(f"{s.app_url}/api/v1/mailboxes/{box}/webhooks", timeout=30,
                                  headers={"Authorization": f"Bearer {key}"}).json()
            if all(w["watch"]["state"] == "watching" for w in listed["webhooks"]):
                break
            assert time.monotonic() < deadline, f"{box}: no subscription"
            time.sleep(0.2)


class Poller(threading.Thread):
    """A program polling one mailbox through the API every ``every`` seconds."""

    def __init__(self, s: Stack, key: str, box: str, every: float, stop: threading.Event):
        super().__init__(daemon=True)
        self.s, self.box, self.every, self.stop = s, box, every, stop
        self.headers = {"Authorization": f"Bearer {key}"}
        self.first: dict[str, float] = {}
        self.errors = 0

    def run(self):
        http = requests.Session()
        base = f"{self.s.app_url}/api/v1/mailboxes/{self.box}/messages"
        self.stop.wait(random.uniform(0, self.every))  # programs do not poll in step
        while not self.stop.is_set():
            tick = time.monotonic()
            try:
                found = http.get(base, params={"unread": "true", "top": 100}, timeout=30,
                                 headers=self.headers).json()["messages"]
                for m in found:
                    self.first.setdefault(m["subject"], time.monotonic())
                    http.post(f"{base}/{m['id']}/read", headers=self.headers, timeout=30)
            except (requests.RequestException, KeyError, ValueError):
                self.errors += 1
            self.stop.wait(max(0.0, self.every - (time.monotonic() - tick)))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def graph_calls(log: Path, start: int) -> dict:
    counts: dict = defaultdict(int)
    with log.open(errors="replace") as f:
        f.seek(start)
        for line in f:
            if "/messages/delta" in line or "/subscriptions" in line:
                counts["webhooks"] += 1
            elif "/users/box" in line and ("GET /v1.0" in line or "PATCH /v1.0" in line):
                counts["polling"] += 1
    return counts


def latency(s, key, https, headers, log, args) -> None:
    boxes = [f"box{n:02d}@contoso.example" for n in range(1, args.mailboxes + 1)]
    receiver = Receiver()
    for box in boxes:
        make_webhook(s, key, box, receiver.url)
    watching(s, key, boxes)
    stop = threading.Event()
    pollers = {box: Poller(s, key, box, args.poll, stop) for box in boxes}
    for poller in pollers.values():
        poller.start()
    time.sleep(args.poll)  # every poller is in its rhythm
    mark = log.stat().st_size
    plan = sorted((random.uniform(0, args.spread), random.choice(boxes), f"lat {n:04d}")
                  for n in range(args.messages))
    accepted: dict[str, tuple[str, float]] = {}
    began = time.monotonic()

    def one(item):
        at, box, subject = item
        time.sleep(max(0.0, began + at - time.monotonic()))
        accepted[subject] = (box, send(https, s, headers, box, subject))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, plan))
    deadline = time.monotonic() + args.poll * 3 + 60
    while time.monotonic() < deadline and not (
            len(receiver.first) >= len(accepted) and
            all(subj in pollers[box].first for subj, (box, _) in accepted.items())):
        time.sleep(0.5)
    stop.set()
    calls = graph_calls(log, mark)
    hook = [receiver.first[sj] - t for sj, (_, t) in accepted.items() if sj in receiver.first]
    poll = [pollers[b].first[sj] - t for sj, (b, t) in accepted.items() if sj in pollers[b].first]
    rows = []
    for name, found, requests_ in (("webhook (subscription + delta)", hook, calls["webhooks"]),
                                   (f"API polling every {args.poll:g} s", poll,
                                    calls["polling"])):
        rows.append([name, f"{len(found)}/{len(accepted)}", f"{pct(found, 0.5) * 1000:.0f}",
                     f"{pct(found, 0.99) * 1000:.0f}", f"{max(found) * 1000:.0f}", requests_])
    print_table(f"1. latency, the emulator's 202 to the program knowing, {args.mailboxes} "
                f"mailboxes, {args.messages} messages over {args.spread:g} s (ms)",
                ["way", "seen", "p50", "p99", "max", "Graph requests"], rows)
    print(f"  poll errors: {sum(p.errors for p in pollers.values())}")


def reliability(s, key, https, headers, args) -> None:
    box = "box99@contoso.example"
    https.post(f"{s.config['api_url']}/_emulator/directory/shared-mailboxes",
               json={"address": box}, timeout=10)
    receiver = Receiver()
    make_webhook(s, key, box, receiver.url)
    watching(s, key, [box])
    admin = f"{s.config['api_url']}/_emulator/notifications"
    https.put(admin, json={"drop_one_in": 10, "duplicate_one_in": 9}, timeout=10)
    receiver.fail_until = time.monotonic() + args.fail
    began = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: send(https, s, headers, box, f"rel {n:04d}"),
                      range(args.burst)))
    deadline = time.monotonic() + args.fail + 600
    while len(receiver.first) < args.burst and time.monotonic() < deadline:
        time.sleep(1)
    took = time.monotonic() - began
    counts = https.get(admin, timeout=10).json()["counts"]
    https.delete(admin, timeout=10)
    ids = defaultdict(set)
    for subject, webhook_id, _ in receiver.posts:
        ids[subject].add(webhook_id)
    ok = defaultdict(int)
    for subject, _, status in receiver.posts:
        ok[subject] += status == 204
    print(f"\n2. {args.burst} messages to one watched mailbox; Graph dropped "
          f"{counts.get('dropped', 0)} notifications and doubled {counts.get('duplicated', 0)}; "
          f"the webhook answered 500 for {args.fail:g} s")
    print(f"  delivered {len(receiver.first)}/{args.burst}, webhook-ids per message "
          f"{sorted({len(v) for v in ids.values()})}, delivered twice "
          f"{sum(1 for n in ok.values() if n > 1)}, POSTs {len(receiver.posts)} "
          f"({sum(1 for p in receiver.posts if p[2] == 500)} answered 500), all delivered "
          f"{took:.0f} s after the first send")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=50)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--spread", type=float, default=60)
    parser.add_argument("--poll", type=float, default=10)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--fail", type=float, default=60)
    args = parser.parse_args()
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-redis-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    redis, url = redis_server(folder)
    boxes = [f"box{n:02d}@contoso.example" for n in range(1, args.mailboxes + 1)]
    env = {"REDIS_URL": url, "SECRET_KEY": os.urandom(24).hex(),
           "AUTOMATION_SENDERS": ",".join(boxes + ["box99@contoso.example"])}
    log = folder / "emulator.log"
    with log.open("w") as emulator_log:
        s = Stack(workers=2, threads=8, env=env, senders=2, sender_threads=8,
                  emulator_log=emulator_log,
                  emulator_args=[x for limit in LIFTED for x in ("--limit", limit)])
        try:
            https = s.https()
            for box in boxes:
                https.post(f"{s.config['api_url']}/_emulator/directory/shared-mailboxes",
                           json={"address": box}, timeout=10).raise_for_status()
            key = ApiKeys(RedisStore(redis_client(url), ttl=FOREVER, prefix="mailer:apikey:")
                          ).create("bench", boxes + ["box99@contoso.example"], "bench")[0]
            headers = app_token(s)
            latency(s, key, https, headers, log, args)
            reliability(s, key, https, headers, args)
        finally:
            s.close()
            redis.terminate()
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
