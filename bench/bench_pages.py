"""The mail pages (issue 10): the Graph calls each page makes and its latency.

The emulator and the app (gunicorn, one worker, demo mode) run as real processes (harness.py);
a person's browser is a requests session signed in through the emulator's real pages. Each page
is requested ``--rounds`` times (after one warm-up round); its time is from the first byte sent
to the last byte of the page (and of the page a redirect lands on, where the browser follows one).

Graph calls are counted on the emulator's side, from its own request log (werkzeug's, one line
a request): a marker request (``/_emulator/health?mark=N``) before and after each page brackets
the lines the page caused. Nothing in the app is changed or hooked to count them. "token" is a
call to the token endpoint (MSAL refreshing), counted apart from Graph's.

    python bench/bench_pages.py [--rounds 20]
"""
from __future__ import annotations

import argparse
import base64
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from harness import print_table, sign_in_app, stack, summary

from helpers.mailbox import GraphAsApp, attachment

ADELE, MEGAN, ALEX = "adele@contoso.example", "megan@contoso.example", "alex@contoso.example"
SCOPES = ["Mail.Read", "Mail.ReadWrite", "Mail.Send", "People.Read", "User.ReadBasic.All"]
LIFTED = ["messages_per_minute=none", "concurrent_per_mailbox=none",
          "requests_per_10_minutes=none", "recipients_per_day=none"]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LINE = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.[01]"')
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ID = re.compile(r"^(AAMk[\w=-]*|[0-9a-f-]{32,36}|[A-Za-z0-9_=-]{40,})$")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
REPORT = bytes(range(256)) * 400  # 100 KB


class Emu:
    """What GraphAsApp needs of an emulator, from the running one's demo-app.json."""

    def __init__(self, config: dict):
        self.config, self.api_url, self.ca_file = config, config["api_url"], config["ca_file"]

    def client_config(self) -> dict:
        return self.config


class RequestLog:
    """The emulator's request log, read between marker requests."""

    def __init__(self, path: Path, https, api_url: str):
        self.file, self.https, self.api_url, self.n = path.open("r", errors="replace"), https, \
            api_url, 0

    def mark(self) -> list[tuple[str, str]]:
        """(method, path) of every request logged since the last mark, this mark excluded."""
        self.n += 1
        marker = f"mark={self.n}"
        self.https.get(f"{self.api_url}/_emulator/health", params={"mark": self.n}, timeout=10)
        found, deadline = [], time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.file.readline()
            if not line:
                time.sleep(0.002)
                continue
            hit = LINE.search(ANSI.sub("", line))
            if not hit:
                continue
            if marker in hit.group(2) and "/_emulator/health" in hit.group(2):
                return found
            found.append((hit.group(1), hit.group(2)))
        raise RuntimeError("the emulator's log never showed the marker")


def shape(method: str, path: str) -> str:
    """``GET /me/messages/{id}?$select,$top``: ids out, query names kept, values dropped."""
    path, _, query = path.partition("?")
    path = path.removeprefix("/v1.0")
    path = "/".join("{id}" if ID.match(part) else part for part in path.split("/"))
    names = ",".join(sorted(p.split("=", 1)[0] for p in query.split("&") if p))
    return f"{method} {path}" + (f"?{names}" if names else "")


def kind(path: str) -> str:
    if path.startswith("/v1.0/"):
        return "graph"
    if "/oauth2/v2.0/token" in path:
        return "token"
    return "other"


class Bench:
    """One signed-in person (Adele) and her mailbox, seeded through Graph."""

    def __init__(self, s, log: RequestLog, rounds: int):
        self.s, self.log, self.rounds = s, log, rounds
        self.url = s.app_url
        self.http = sign_in_app(s.app_url, ADELE, SCOPES)
        self.graph = GraphAsApp(Emu(s.config))
        self.times: dict[str, list[float]] = {}
        self.calls: dict[str, list[Counter]] = {}
        self.order: list[str] = []

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
        calls = Counter((kind(path), shape(method, path)) for method, path in self.log.mark())
        if after:
            after(result)
        if keep:
            if name not in self.times:
                self.order.append(name)
            self.times.setdefault(name, []).append(elapsed)
            self.calls.setdefault(name, []).append(calls)

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

    def report(self) -> None:
        rows, details = [], []
        for name in self.order:
            times = summary(self.times[name])
            per_round = [sum(n for (k, _), n in c.items() if k == "graph")
                         for c in self.calls[name]]
            tokens = [sum(n for (k, _), n in c.items() if k == "token") for c in self.calls[name]]
            low, high = min(per_round), max(per_round)
            rows.append([name, str(low) if low == high else f"{low}-{high}",
                         f"{statistics.fmean(tokens):.2f}", f"{times['median'] * 1000:.1f}",
                         f"{times['p90'] * 1000:.1f}"])
            typical = Counter()
            for c in self.calls[name]:
                typical.update(c)
            details.append((name, [(shape_, n / len(self.calls[name]))
                                   for (k, shape_), n in sorted(typical.items()) if k == "graph"]))
        print_table(f"bench/bench_pages.py — the mail pages against the emulator, "
                    f"{self.rounds} rounds each (ms)",
                    ["page", "Graph calls", "token calls", "median", "p90"], rows)
        print("\nThe Graph calls of each page (per request of the page, averaged over the rounds):")
        for name, calls in details:
            print(f"  {name}")
            for call, n in calls:
                print(f"      {n:4.1f} × {call}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    log_path = folder / "emulator.log"
    limits = [arg for item in LIFTED for arg in ("--limit", item)]
    with log_path.open("w") as log_file, stack(emulator_args=limits,
                                               emulator_log=log_file) as s:
        with s.https() as https:
            bench = Bench(s, RequestLog(log_path, https, s.config["api_url"]), args.rounds)
            try:
                bench.seed()
                bench.one_round(keep=False)  # warm-up: connections, MSAL's caches, imports
                for _ in range(args.rounds):
                    bench.one_round(keep=True)
            finally:
                bench.graph.http.close()
                bench.http.close()
                bench.log.file.close()
            bench.report()


if __name__ == "__main__":
    main()
