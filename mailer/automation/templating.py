"""Merge templates rendered under limits a template cannot argue with. No Flask here.

Jinja's sandbox keeps a template away from Python's internals; it does not bound what a
template costs. Here every row is rendered in a child process of its own (``Renderer``: one
child per merge, rows sent over a pipe, one JSON line each way), started as a plain script
(``python -I templating.py``) that limits itself before it reads a template:

- memory: ``CHILD_MEMORY`` bytes of address space (RLIMIT_AS): a string or list that would grow
  past it is a MemoryError in the child, said as the memory limit;
- CPU: ``ROW_CPU_SECONDS`` of CPU time per row (RLIMIT_CPU, moved forward before each row): the
  kernel ends a tight loop, even one inside a single C call; the parent names the row. A child
  that answers nothing for ``ROW_WALL_SECONDS`` is killed;
- before computing, in the sandbox: ``range()`` of at most Jinja's own MAX_RANGE items; ``**``
  and a product of numbers whose result would pass Python's limit on digits it will print
  (``sys.get_int_max_str_digits()``, 4,300); ``*`` repeating text or a list past the body cap;
- output: a row's subject at most ``subject_max`` characters and its body at most ``body_max``
  (the compose page's and the API's caps, passed in by merge.py), counted as it is generated.

A refusal is ``TemplateRefused``: one line naming the row and the limit.
"""
from __future__ import annotations

import json
import math
import os
import selectors
import signal
import subprocess
import sys

from jinja2 import StrictUndefined, TemplateError, pass_context
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment

ROW_CPU_SECONDS = 2
ROW_WALL_SECONDS = 30
CHILD_MEMORY = 512 * 1024 * 1024
NUMBER_DIGITS = sys.get_int_max_str_digits() or 4300  # Python's own limit on printed digits
NUMBER_BITS = int(NUMBER_DIGITS * math.log2(10))


class TemplateRefused(Exception):
    """A template or a row refused: ``str()`` is one line naming the row and the limit."""


class Limit(Exception):
    """A limit reached inside the child (its message names the limit)."""


class LimitedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with ``range``, ``**`` and ``*`` checked before they compute."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, text_max: int, **options):
        # Nothing is worked out while compiling, where no limit names a row: no optimizer, and
        # filters that Jinja would otherwise run on constants then ("x"|center(10**9)).
        super().__init__(undefined=StrictUndefined, optimized=False, **options)
        self.filters = {name: _at_render_time(f) for name, f in self.filters.items()}
        self.text_max = text_max
        self.globals["range"] = self.checked_range

    @staticmethod
    def checked_range(*args) -> range:
        found = range(*args)
        try:
            items = len(found)
        except OverflowError:  # more than a C integer holds
            items = MAX_RANGE + 1
        if items > MAX_RANGE:
            raise Limit(f"range() of more than {MAX_RANGE:,} items")
        return found

    def call_binop(self, context, operator, left, right):
        if operator == "**" and _whole(left) and _whole(right) and right > 0 and abs(left) > 1:
            if right.bit_length() > 32 or right * math.log2(abs(left)) > NUMBER_BITS:
                raise Limit(f"a power with more than {NUMBER_DIGITS:,} digits")
        elif operator == "*":
            if _whole(left) and _whole(right):
                if abs(left).bit_length() + abs(right).bit_length() > NUMBER_BITS + 1:
                    raise Limit(f"a product with more than {NUMBER_DIGITS:,} digits")
            else:
                times, seq = (right, left) if _whole(right) else (left, right)
                if _whole(times) and isinstance(seq, (str, list, tuple)) and \
                        len(seq) * times > self.text_max:
                    raise Limit(f"text or a list repeated past {self.text_max:,} items")
        return super().call_binop(context, operator, left, right)


def _at_render_time(func):
    """``func`` as a filter Jinja calls only while rendering: it folds no filter that takes the
    context, so this one takes it (and hands ``func`` what it asked for)."""
    wants = getattr(getattr(func, "jinja_pass_arg", None), "name", None)

    @pass_context
    def filter_(context, *args, **kwargs):
        if wants == "context":
            return func(context, *args, **kwargs)
        if wants == "eval_context":
            return func(context.eval_ctx, *args, **kwargs)
        if wants == "environment":
            return func(context.environment, *args, **kwargs)
        return func(*args, **kwargs)
    return filter_


def _whole(value) -> bool:
    return isinstance(value, int)


def _bounded(template, values: dict, limit: int, what: str) -> str:
    """The rendered text, refused as soon as it passes ``limit`` characters."""
    parts, size = [], 0
    for chunk in template.generate(values):
        size += len(chunk)
        if size > limit:
            raise Limit(f"the {what} is longer than {limit:,} characters")
        parts.append(chunk)
    return "".join(parts)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# -- the child ---------------------------------------------------------------------------------

def _serve(stdin, stdout) -> None:
    """The child's loop: the templates first, then one row per line, one answer per line."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)

    def cpu_from_now() -> None:  # ROW_CPU_SECONDS more (and less than one more) from here
        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # user + system seconds
        soft = int(used) + ROW_CPU_SECONDS + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft if cpu_hard == resource.RLIM_INFINITY
                                                 else min(soft, cpu_hard), cpu_hard))

    def answer(**fields):
        stdout.write(json.dumps(fields) + "\n")
        stdout.flush()

    start = json.loads(stdin.readline())
    env = LimitedSandbox(max(start["subject_max"], start["body_max"]), autoescape=start["html"])
    cpu_from_now()
    try:
        subject, body = env.from_string(start["subject"]), env.from_string(start["body"])
    except (TemplateError, MemoryError, RecursionError) as exc:
        answer(error=f"the template does not parse: {_one_line(exc) or type(exc).__name__}")
        return
    answer(ok=True)
    for line in stdin:
        cpu_from_now()
        values = json.loads(line)
        try:
            answer(subject=_bounded(subject, values, start["subject_max"], "subject"),
                   body=_bounded(body, values, start["body_max"], "body"))
        except Limit as exc:
            answer(error=str(exc))
        except MemoryError:
            answer(error=f"the row needs more than {CHILD_MEMORY // (1024 * 1024)} MB of memory")
        except RecursionError:
            answer(error="the template calls itself too deeply")
        except Exception as exc:  # noqa: BLE001 - a template's own error, said in one line
            answer(error=_one_line(exc) or type(exc).__name__)


# -- the parent --------------------------------------------------------------------------------

class Renderer:
    """``with Renderer(subject, body, html, subject_max=..., body_max=...) as r:
    r.render(row_number, values) -> (subject, body)``; TemplateRefused otherwise."""

    def __init__(self, subject: str, body: str, html: bool, *, subject_max: int, body_max: int):
        self.start = {"subject": subject, "body": body, "html": html,
                      "subject_max": subject_max, "body_max": body_max}
        self.child: subprocess.Popen | None = None
        self.buffer = b""

    def __enter__(self) -> "Renderer":
        # -I: no environment, no user site, and not this folder on sys.path (its queue.py
        # would shadow the standard library's); the script needs only jinja2.
        self.child = subprocess.Popen([sys.executable, "-I", os.path.abspath(__file__)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL)
        self.waiting = selectors.DefaultSelector()
        self.waiting.register(self.child.stdout, selectors.EVENT_READ)
        try:
            reply = self._ask(self.start, None)
        except BaseException:
            self.close()
            raise
        if "error" in reply:  # the template does not parse: no row will be asked for
            self.close()
            raise TemplateRefused(reply["error"])
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def render(self, number: int, values: dict) -> tuple[str, str]:
        reply = self._ask(values, number)
        if "error" in reply:
            raise TemplateRefused(f"row {number}: {reply['error']}")
        return reply["subject"], reply["body"]

    @property
    def alive(self) -> bool:
        """False once the child is gone (a CPU limit, no answer): no further row renders."""
        return self.child is not None and self.child.poll() is None

    def close(self) -> None:
        if self.child is not None:
            self.waiting.close()
            self.child.kill()
            self.child.wait()
            for pipe in (self.child.stdin, self.child.stdout):
                pipe.close()
            self.child = None

    def _ask(self, message: dict, number: int | None) -> dict:
        where = f"row {number}: " if number else "the template: "
        try:
            self.child.stdin.write(json.dumps(message).encode() + b"\n")
            self.child.stdin.flush()
        except BrokenPipeError:
            raise TemplateRefused(where + self._death()) from None
        while b"\n" not in self.buffer:
            if not self.waiting.select(timeout=ROW_WALL_SECONDS):
                self.child.kill()
                self.child.wait()
                raise TemplateRefused(f"{where}no answer in {ROW_WALL_SECONDS} s")
            chunk = os.read(self.child.stdout.fileno(), 1 << 20)
            if not chunk:
                raise TemplateRefused(where + self._death())
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def _death(self) -> str:
        code = self.child.wait()
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return f"it took more than {ROW_CPU_SECONDS} s of CPU time"
        return f"the renderer stopped (exit status {code})"


if __name__ == "__main__":
    _serve(sys.stdin, sys.stdout)
