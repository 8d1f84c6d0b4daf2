"""The API's submit latency under load: 50 client threads each POST /api/v1/messages (JSON,
one recipient, a key of its own per message) to the app under gunicorn (2 workers x 8 threads,
as a small host runs it), the queue on one host (files and SQLite, no Redis). No worker runs:
this times the submit alone (check, record once, enqueue), not the send.

Figures: p50 / p99 / max latency, submits a second, and the count of errors (target 0).
"""
from __future__ import annotations

import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import print_table, stack  # noqa: E402
from mailer.sending.store import FileStore  # noqa: E402
from mailer.web.api.keys import FOREVER, ApiKeys  # noqa: E402

CLIENTS, PER_CLIENT, WARM_UP = 50, 20, 20
SENDER, TO = "sales@contoso.example", "alex@contoso.example"


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    with stack(workers=2, threads=8, env={"AUTOMATION_SENDERS": SENDER}) as s:
        key = ApiKeys(FileStore(s.dir / "app" / "api-keys", ttl=FOREVER)).create(
            "bench", [SENDER], "bench")[0]
        local = threading.local()
        errors: list[str] = []

        def submit(n: int) -> float:
            http = getattr(local, "http", None) or requests.Session()
            local.http = http
            body = {"from": SENDER, "to": [TO], "subject": f"Bench API {n}", "text": "x"}
            start = time.perf_counter()
            try:
                answer = http.post(f"{s.app_url}/api/v1/messages", json=body, timeout=60,
                                   headers={"Authorization": f"Bearer {key}",
                                            "Idempotency-Key": uuid.uuid4().hex})
                if answer.status_code != 202:
                    errors.append(f"{answer.status_code} {answer.text[:120]}")
            except requests.RequestException as exc:
                errors.append(type(exc).__name__)
            return time.perf_counter() - start

        for n in range(WARM_UP):  # first requests build the runtime, the queue, the pools
            submit(-n)
        errors.clear()
        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            samples = sorted(pool.map(submit, range(CLIENTS * PER_CLIENT)))
        elapsed = time.perf_counter() - started
        print_table(f"API submit under {CLIENTS} concurrent clients ({len(samples)} submits)",
                    ["p50 ms", "p99 ms", "max ms", "mean ms", "submits/s", "errors"],
                    [[f"{percentile(samples, 0.5) * 1000:.0f}",
                      f"{percentile(samples, 0.99) * 1000:.0f}", f"{samples[-1] * 1000:.0f}",
                      f"{statistics.fmean(samples) * 1000:.0f}",
                      f"{len(samples) / elapsed:.0f}", len(errors)]])
        for line in sorted(set(errors))[:5]:
            print("  error:", line)


if __name__ == "__main__":
    main()
