"""The mail pages (issues 10 and 19): the Graph calls each page makes, and its latency, with the
app's JSON batching off and on, side by side in one run.

Two stacks run at once, each the emulator and the app (gunicorn, one worker, demo mode) as real
processes (harness.py): one app with GRAPH_BATCH=off (every Graph call its own request), one with
it on (a page's calls in one ``$batch``). A person's browser is a requests session signed in
through the emulator's real pages. Each page is requested ``--rounds`` times on each stack,
alternately (after one warm-up round); its time is from the first byte sent to the last byte of
the page (and of the page a redirect lands on, where the browser follows one). Every page is
timed twice: as the emulator answers on loopback, then with 100 ms of Graph latency, the
emulator's ``latency_ms`` fault rule on every ``/v1.0/`` path: the time of one round trip to
Graph across the internet, which a batch pays once for all its requests (faults.py).

Graph calls are counted on the emulator's side, from its own request log (request_log.py).

    python bench/bench_pages.py [--rounds 20] [--latency-ms 100]
"""
from __future__ import annotations

import argparse
import base64
import re
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from harness import print_table, sign_in_app, stack, summary
from request_log import RequestLog, counts, kind, shape

from helpers.mailbox import GraphAsApp, attachment

ADELE, MEGAN, ALEX = "adele@contoso.example", "megan@contoso.example", "alex@contoso.example"
SCOPES = ["Mail.Read", "Mail.ReadWrite", "Mail.Send", "People.Read", "User.ReadBasic.All"]
LIFTED = ["messages_per_minute=none", "concurrent_per_mailbox=none",
          "requests_per_10_minutes=none", "recipients_per_day=none"]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
REPORT = bytes(range(256)) * 400  # 100 KB
PHASES = ("plain", "latency")


class Emu:
    """What GraphAsApp needs of an emulator, from the running one's demo-app.json."""

    def __init__(self, config: dict):
        self.config, self.api_url, self.ca_file = config, config["api_url"], config["ca_file"]

    def client_config(self) -> dict:
        return self.config


class Bench:
    """One signed-in person (Adele) and her mailbox, seeded through Graph."""

    def __init__(self, s, log: RequestLog):
        self.s, self.log = s, log
        self.url = s.app_url
        self.http = sign_in_app(s.app_url, ADELE, SCOPES)
        self.graph = GraphAsApp(Emu(s.config))
        self.phase = "plain"
        self.times: dict[tuple[str, str], list[float]] = {}  # (phase, page) -> seconds
        self.calls: dict[str, list[tuple[int, int, int]]] = {}  # page -> (requests, trips, token)
        self.shapes: dict[str, Counter] = {}  # page -> ("trip"|"call", shape) -> count
        self.order: list[str] = []

    def add_latency(self, ms: int) -> None:
        """From now on every Graph round trip waits ``ms`` first (the emulator's fault rule)."""
        rule = {"path": "^/v1\\.0/", "latency_ms": ms, "count": 10 ** 9}
        response = self.graph.http.post(f"{self.s.config['api_url']}/_emulator/faults",
                                        json=rule, timeout=10)
        assert response.status_code == 201, response.text
        self.phase = "latency"

    def close(self) -> None:
        self.graph.http.close()
        self.http.close()
        self.log.close()

    def seed(self) -> None:
        for n in range(30):  # more than a page (20)
            sender = (MEGAN, ALEX)[n % 2]
            self.graph.send(sender, ADELE, f"Weekly report {n}" if n % 3 == 0 else f"Note {n}",
                            f"<p>Message number {n}.</p>")
        self.graph.send(MEGAN, ADELE, "Report with a chart", '<p>See</p><img src="cid:chart">',
                        attachments=[attachment("report.bin", REPORT, "application/octet-stream"),
                                     attachment("chart.png", PNG, "image/png", cid="chart")])
        found = self.graph.http.get(
            f"{self.graph.graph}/users/{ADELE}/mailFolders/inbox/messages",
            params={"$filter": "subject eq 'Report with a chart'", "$select": "id"},
            headers=self.graph.headers, timeout=10).json()["value"]
        self.message = found[0]["id"]
        files = self.graph.http.get(
            f"{self.graph.graph}/users/{ADELE}/messages/{self.message}/attachments",
            params={"$select": "id,name"}, headers=self.graph.headers, timeout=10).json()["value"]
        self.attachment = next(a["id"] for a in files if a["name"] == "report.bin")
        page = self.get(f"/mail/me/m/{self.message}?f=inbox")
        self.csrf = CSRF.search(page.text).group(1)

    # -- what a browser does -----------------------------------------------------------------
    def get(self, path: str, **kwargs):
        response = self.http.get(path if path.startswith("http") else self.url + path,
                                 timeout=30, **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response

    def post(self, path: str, data: dict, follow: bool = True):
        response = self.http.post(self.url + path, data={"csrf_token": self.csrf, **data},
                                  allow_redirects=False, timeout=60)
        assert response.status_code in (302, 303), (path, response.status_code,
                                                    response.text[:500])
        if follow:
            self.get(response.headers["Location"])
        return response.headers["Location"]

    def new_draft(self) -> str:
        response = self.http.get(f"{self.url}/compose", timeout=30)
        assert response.status_code == 200, response.text[:300]
        return response.url.rstrip("/").rsplit("/", 1)[-1]

    def discard(self, draft_id: str) -> None:
        self.http.post(f"{self.url}/compose/{draft_id}/discard",
                       data={"csrf_token": self.csrf}, headers={"Accept": "application/json"},
                       timeout=30)

    def outlook_draft(self) -> str:
        """A draft as Outlook writes it (POST /users/{upn}/messages), with a small file."""
        message = {"subject": "Draft from Outlook", "toRecipients": [
            {"emailAddress": {"address": MEGAN}}],
            "body": {"contentType": "html", "content": "<p>Draft text</p>"},
            "attachments": [attachment("notes.txt", b"notes " * 100, "text/plain")]}
        response = self.graph.http.post(f"{self.graph.graph}/users/{ADELE}/messages",
                                         headers=self.graph.headers, json=message, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def forwarded_picture(self) -> str:
        """Forward the message (not timed): the URL the editor loads its cid: picture from."""
        location = self.post(f"/mail/me/m/{self.message}/respond", {"kind": "forward"},
                             follow=False)
        page = self.get(location).text
        draft_id = location.rsplit("/", 1)[-1]
        self.forward = draft_id
        listed = re.search(r"data-inline-files='([^']*)'", page).group(1)
        file_id = re.search(r'&#34;id&#34;: &#34;([0-9a-f]{32})|"id": "([0-9a-f]{32})', listed)
        return f"/compose/{draft_id}/files/{file_id.group(1) or file_id.group(2)}/inline"

    def wait_sent(self, draft_id: str) -> None:
        while True:
            job = self.http.get(f"{self.url}/compose/{draft_id}/status.json", timeout=30).json()
            if job["finished"]:
                assert job["state"] == "sent", job
                return
            time.sleep(0.005)

    # -- measuring -----------------------------------------------------------------------------
    def measure(self, name: str, page, setup=None, after=None, keep: bool = True) -> None:
        """``page(prepared)`` timed and its calls counted; ``setup``/``after`` are not."""
        prepared = setup() if setup else None
        self.log.mark()
        start = time.perf_counter()
        result = page(prepared)
        elapsed = time.perf_counter() - start
        entries = self.log.mark()
        if after:
            after(result)
        if keep:
            if name not in self.order:
                self.order.append(name)
            self.times.setdefault((self.phase, name), []).append(elapsed)
            self.calls.setdefault(name, []).append(counts(entries))
            self.shapes.setdefault(name, Counter()).update(
                (kind(e), shape(e[1], e[2])) for e in entries if kind(e) in ("trip", "call"))

    def one_round(self, keep: bool) -> None:
        m = self.message
        state = {}

        def inbox(_):
            page = self.get("/mail/me/inbox")
            state["next"] = re.search(r'id="next-page" href="([^"]+)"', page.text).group(1)
        self.measure("Inbox list", inbox, keep=keep)
        self.measure("Inbox, next page",
                     lambda _: self.get(state["next"].replace("&amp;", "&")), keep=keep)
        self.measure("Inbox, unread only", lambda _: self.get("/mail/me/inbox?unread=1"),
                     keep=keep)
        self.measure("Inbox, search", lambda _: self.get("/mail/me/inbox?q=report"), keep=keep)
        self.measure("A message", lambda _: self.get(f"/mail/me/m/{m}?f=inbox"), keep=keep)
        self.measure("Its body frame (1 cid: picture)",
                     lambda _: self.get(f"/mail/me/m/{m}/body"), keep=keep)
        self.measure("Attachment download (100 KB)",
                     lambda _: self.get(f"/mail/me/m/{m}/a/{self.attachment}"), keep=keep)
        self.measure("Compose, new draft", lambda _: self.new_draft(), after=self.discard,
                     keep=keep)
        self.measure("Compose of a reply (createReply + adopt)",
                     lambda _: self.post(f"/mail/me/m/{m}/respond", {"kind": "reply"}),
                     after=lambda loc: self.discard(loc.rsplit("/", 1)[-1]), keep=keep)
        self.measure("Continue a draft (1 file)",
                     lambda gid: self.post(f"/mail/me/m/{gid}/continue", {}),
                     setup=self.outlook_draft,
                     after=lambda loc: self.discard(loc.rsplit("/", 1)[-1]), keep=keep)
        self.measure("Compose: a forwarded cid: picture shown",
                     lambda url: self.get(url), setup=self.forwarded_picture,
                     after=lambda _: self.discard(self.forward), keep=keep)
        self.measure("People picker query", lambda _: self.get("/people?q=meg"), keep=keep)
        fields = {"to": MEGAN, "subject": "Bench", "body": "<p>Hello from the bench.</p>",
                  "body_type": "html", "importance": "normal", "save_to_sent_items": "y",
                  "action": "save"}
        saved = {}

        def save(draft_id):
            saved["id"] = draft_id
            return self.post(f"/compose/{draft_id}", fields)
        self.measure("Save draft (first: creates it)", save, setup=self.new_draft, keep=keep)
        self.measure("Save draft (again: updates it)",
                     lambda _: self.post(f"/compose/{saved['id']}",
                                         {**fields, "subject": "Bench, again"}),
                     after=lambda _: self.discard(saved["id"]), keep=keep)

        def send(draft_id):
            self.post(f"/compose/{draft_id}", {**fields, "action": "send",
                                               "body": "Hello.", "body_type": "text"},
                      follow=False)
            self.wait_sent(draft_id)
        self.measure("Send a small message (until sent)", send, setup=self.new_draft, keep=keep)



def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def report(off: Bench, on: Bench, rounds: int, latency_ms: int) -> None:
    rows = []
    for name in on.order:
        row = [name]
        for index in (0, 1):  # Graph requests, round trips
            row += [_span([c[index] for c in off.calls[name]]),
                    _span([c[index] for c in on.calls[name]])]
        for phase in PHASES:
            before = summary(off.times[(phase, name)])["median"] * 1000
            after = summary(on.times[(phase, name)])["median"] * 1000
            row += [f"{before:.1f}", f"{after:.1f}"]
        row.append(f"{(after - before) / before * 100:+.0f} %")
        rows.append(row)
    print_table(f"bench/bench_pages.py — the mail pages, GRAPH_BATCH off | on, {rounds} rounds "
                f"each, alternately; median ms as served on loopback, and with {latency_ms} ms "
                "a Graph round trip",
                ["page", "requests off", "on", "round trips off", "on", "ms off", "on",
                 f"+{latency_ms} ms off", "on", "change"], rows)
    print("\nThe Graph round trips of each page with batching on (and the requests a batch "
          "carried), per request of the page:")
    for name in on.order:
        print(f"  {name}")
        total = len(on.calls[name])
        for (how, call), n in sorted(on.shapes[name].items()):
            print(f"      {n / total:4.1f} × {'  in the batch: ' if how == 'call' else ''}{call}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=100)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    limits = [arg for item in LIFTED for arg in ("--limit", item)]
    benches: dict[str, Bench] = {}
    with ExitStack() as stacks:
        for mode in ("off", "on"):
            log_path = folder / f"emulator-{mode}.log"
            log_file = stacks.enter_context(log_path.open("w"))
            s = stacks.enter_context(stack(emulator_args=limits, emulator_log=log_file,
                                           env={"GRAPH_BATCH": mode}))
            https = stacks.enter_context(s.https())
            benches[mode] = Bench(s, RequestLog(log_path, https, s.config["api_url"]))
            stacks.callback(benches[mode].close)
        for bench in benches.values():
            bench.seed()
            bench.one_round(keep=False)  # warm-up: connections, MSAL's caches, imports
        for _ in range(args.rounds):
            for bench in benches.values():
                bench.one_round(keep=True)
        for bench in benches.values():
            bench.add_latency(args.latency_ms)
            bench.one_round(keep=False)
        for _ in range(args.rounds):
            for bench in benches.values():
                bench.one_round(keep=True)
        report(benches["off"], benches["on"], args.rounds, args.latency_ms)


if __name__ == "__main__":
    main()
