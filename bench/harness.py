"""What every benchmark shares: the emulator and the app as real processes, timing, a table.

``Stack`` starts ``python -m emulator``, the app under gunicorn (demo mode, pointed at that
emulator through EMULATOR_STATE_DIR) on free loopback ports, and ``senders`` workers of the
task queue (``python -m mailer worker``: they send), each in its own process so that none
steals another's GIL, as in production. Figures are printed as a plain table.
"""
from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the sign-in page driver lives with the test helpers
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, verify, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    http = requests.Session()
    http.trust_env = False
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up ({proc.returncode})")
        try:
            if verify is None or Path(verify).exists():
                http.get(url, verify=verify, timeout=1)
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer at {url}")


class Stack:
    """The emulator and the app, running; ``.app_url``, ``.config`` (demo-app.json), ``.ca``."""

    def __init__(self, workers: int = 1, threads: int = 4, env: dict | None = None,
                 emulator_args: list[str] | None = None, emulator_log=None, senders: int = 1,
                 sender_threads: int = 8):
        self.dir = Path(tempfile.mkdtemp(prefix="bench-"))
        self.app_port, api, pages = free_port(), free_port(), free_port()
        self.app_url = f"http://127.0.0.1:{self.app_port}"
        self.ca = str(self.dir / "emulator" / "ca.pem")
        self.emulator = subprocess.Popen(
            [PY, "-m", "emulator", "--state-dir", str(self.dir / "emulator"), "serve",
             "--api-port", str(api), "--pages-port", str(pages),
             "--redirect-uri", f"{self.app_url}/auth/callback", "--redirect-uri", f"{self.app_url}/",
             *(emulator_args or [])],
            # emulator_log: an open file for its request log (bench_pages counts Graph calls)
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=emulator_log or subprocess.DEVNULL)
        _wait(f"https://127.0.0.1:{api}/_emulator/health", self.ca, self.emulator, "the emulator")
        self.config = json.loads((self.dir / "emulator" / "demo-app.json").read_text())
        app_env = {k: v for k, v in os.environ.items()
                   if k not in ("CLIENT_ID", "CLIENT_SECRET", "REDIS_URL")}
        app_env.update({"EMULATOR_STATE_DIR": str(self.dir / "emulator"),
                        "APP_STATE_DIR": str(self.dir / "app"), "PORT": str(self.app_port)})
        app_env.update(env or {})
        self.app = subprocess.Popen(
            [str(Path(PY).parent / "gunicorn"), "--bind", f"127.0.0.1:{self.app_port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "600",
             "app:create_app()"],
            cwd=ROOT, env=app_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.app_env = app_env
        self.senders: list[subprocess.Popen] = []
        for _ in range(senders):
            self.start_sender(sender_threads)
        try:
            _wait(f"{self.app_url}/", None, self.app, "the app")
        except RuntimeError:  # stack() never sees this Stack: close what is already running
            self.close()
            raise

    def start_sender(self, threads: int = 8, env: dict | None = None) -> subprocess.Popen:
        """One more worker of the task queue, on the app's settings (and ``env``)."""
        proc = subprocess.Popen([PY, "-m", "mailer", "worker", "--threads", str(threads)],
                                cwd=ROOT, env={**self.app_env, **(env or {})},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.senders.append(proc)
        return proc

    def app_pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        import psutil

        master = psutil.Process(self.app.pid)
        return [master.pid] + [c.pid for c in master.children(recursive=True)]

    def https(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca
        return session

    def close(self) -> None:
        every = [*getattr(self, "senders", []), self.app, self.emulator]
        for proc in every:
            if proc.poll() is None:
                proc.terminate()
        for proc in every:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def stack(**kwargs):
    s = Stack(**kwargs)
    try:
        yield s
    finally:
        s.close()


def browser() -> requests.Session:
    """A person's browser: cookies, no proxies, nothing trusted but what it needs (plain http)."""
    http = requests.Session()
    http.trust_env = False
    return http


def sign_in_app(app_url: str, username: str, scopes: list[str] | None = None) -> requests.Session:
    """A browser session signed in to the app through the emulator's real pages."""
    from helpers.signin import sign_in_with_requests

    http = browser()
    params = {"scopes": " ".join(scopes)} if scopes else {}
    response = http.get(f"{app_url}/login", params=params, allow_redirects=False, timeout=10)
    result = sign_in_with_requests(response.headers["Location"], username, session=http).params
    response = http.get(f"{app_url}/auth/callback", params=result, allow_redirects=False,
                        timeout=10)
    assert response.status_code == 302, response.text[:300]
    return http


def msal_token(s: "Stack", username: str, scopes: list[str]) -> str:
    """A delegated access token from the emulator, by MSAL's auth-code flow (no app involved)."""
    import msal

    from helpers.signin import sign_in_with_requests

    cfg = s.config
    cca = msal.ConfidentialClientApplication(
        cfg["client_id"], client_credential=cfg["client_secret"], authority=cfg["authority"],
        instance_discovery=False, http_client=s.https())
    flow = cca.initiate_auth_code_flow(scopes, redirect_uri=f"{s.app_url}/auth/callback")
    with browser() as http:
        params = sign_in_with_requests(flow["auth_uri"], username, session=http).params
    result = cca.acquire_token_by_auth_code_flow(flow, params)
    return result["access_token"]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"n": len(ordered), "median": statistics.median(ordered),
            "p90": ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))],
            "min": ordered[0], "mean": statistics.fmean(ordered)}


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  " + "  ".join(c.rjust(w) if i else c.ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
