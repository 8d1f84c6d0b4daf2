"""What the merge's limits cost: rendering rows in templating.py's limited child process (one
per merge, a JSON line each way per row) against Jinja's sandbox in this process, unlimited.

Figures: the child's start (once per merge) and the time per row of both, for a small and a
longer template, 2,000 rows each, best of three runs.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jinja2 import StrictUndefined  # noqa: E402
from jinja2.sandbox import SandboxedEnvironment  # noqa: E402

from mailer.automation.templating import Renderer  # noqa: E402
from mailer.sending.compose import BODY_MAX, SUBJECT_MAX  # noqa: E402

ROWS = 2000
TEMPLATES = {
    "small": ("Hello {{ name }}", "Dear {{ name }},\nyour number is {{ n }}.\n"),
    "longer": ("{{ name | upper }}: your order {{ n }}",
               "<p>Dear {{ name }},</p>\n" + "<p>{{ 'Lorem ipsum dolor sit amet. ' * 20 }}</p>\n"
               "{% for i in range(20) %}<li>{{ i }}: {{ name }} {{ n | int * i }}</li>{% endfor %}"),
}


def rows():
    return [{"name": f"Person {n}", "n": str(n)} for n in range(ROWS)]


def in_process(subject: str, body: str) -> float:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    s, b = env.from_string(subject), env.from_string(body)
    start = time.perf_counter()
    for values in rows():
        s.render(values), b.render(values)
    return (time.perf_counter() - start) / ROWS


def limited(subject: str, body: str) -> tuple[float, float]:
    began = time.perf_counter()
    with Renderer(subject, body, True, subject_max=SUBJECT_MAX, body_max=BODY_MAX) as renderer:
        started = time.perf_counter() - began
        start = time.perf_counter()
        for number, values in enumerate(rows(), start=1):
            renderer.render(number, values)
        return started, (time.perf_counter() - start) / ROWS


def main() -> None:
    print(f"merge rendering, {ROWS} rows, best of 3 (µs per row)")
    print(f"  {'template':<8} {'in process':>11} {'limited child':>14} {'extra':>8}  child start")
    for name, (subject, body) in TEMPLATES.items():
        plain = min(in_process(subject, body) for _ in range(3))
        runs = [limited(subject, body) for _ in range(3)]
        start, child = min(r[0] for r in runs), min(r[1] for r in runs)
        print(f"  {name:<8} {plain * 1e6:>11.1f} {child * 1e6:>14.1f} "
              f"{(child - plain) * 1e6:>8.1f}  {start * 1000:.0f} ms")


if __name__ == "__main__":
    main()
