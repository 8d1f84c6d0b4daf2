"""Mail merge: a CSV of recipients and a Jinja template, one job per row, each sent once.

The template is a file whose first line is ``Subject: ...`` and whose body follows a blank
line; a ``.html`` (or ``.htm``) file is an HTML body, anything else plain text. Both are
rendered in Jinja's sandbox (a template cannot reach Python's internals) with the row's columns
as variables, under limits of time, memory and size (templating.py, through merge_rows.py); on
the command line a variable the row lacks, or a limit reached, is an error naming the row,
found by the dry run before anything is queued. A command-line merge's id is derived from the
sender, the CSV and the template: running the same merge again resumes it, sending only the
rows not yet sent. The merge pages start merges through here too (merge_drafts.py), leaving
refused rows out and recording why.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from mailer.automation import jobs
from mailer.automation.errors import AutomationError
from mailer.automation.merge_rows import MAX_ROWS, Refused, Template, check_rows, parse_csv

__all__ = ["MAX_ROWS", "Merge", "Template", "read_template", "read_rows", "prepare", "start",
           "recent", "status", "merge_id", "batch"]
RECENT = 500  # merges listed on the merge pages, newest first
CHUNK = 500  # rows handed to the engine in one step (the store's lock is held meanwhile)


@dataclass
class Merge:
    id: str
    sender: str
    rows: list[dict] = field(default_factory=list)  # rendered descriptions, in CSV order
    numbers: list[int] = field(default_factory=list)  # their rows in the CSV (default 1..n)
    refused: list[Refused] = field(default_factory=list)  # rows left out, and why


def read_template(path: str | Path) -> Template:
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AutomationError("TEMPLATE", f"cannot read {path}: {exc}") from None
    first, _, rest = text.replace("\r\n", "\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise AutomationError("TEMPLATE", f"{path}: the first line must be 'Subject: ...', "
                              "then a blank line, then the body")
    return Template(first[len("subject:"):].strip(), rest.lstrip("\n"),
                    file.suffix.lower() in (".html", ".htm"))


def read_rows(path: str | Path, to_column: str) -> tuple[list[str], list[dict]]:
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AutomationError("CSV", f"cannot read {path}: {exc}") from None
    return parse_csv(text, to_column, where=str(path), column_field="--to-column")


def merge_id(sender: str, csv_path, template_path, to_column: str) -> str:
    digest = hashlib.sha256()
    for part in (sender.encode(), to_column.encode(), Path(csv_path).read_bytes(),
                 Path(template_path).read_bytes()):
        digest.update(hashlib.sha256(part).digest())
    return "m" + digest.hexdigest()[:16]


def prepare(rt, csv_path, template_path, sender: str, to_column: str = "email") -> Merge:
    """Read, check and render everything (nothing is recorded: this is the dry run); the
    first refused row stops it, named."""
    sender = jobs.check_sender(rt, sender)
    template = read_template(template_path)
    columns, rows = read_rows(csv_path, to_column)
    checked = check_rows(rt, template, columns, rows, sender, to_column, first_only=True)
    if checked.refused:
        bad = checked.refused[0]
        raise AutomationError("TEMPLATE" if bad.field == "TEMPLATE" else "CSV",
                              f"row {bad.row}: {bad.reason}")
    return Merge(merge_id(sender, csv_path, template_path, to_column), sender,
                 [d for _, d in checked.good], [n for n, _ in checked.good])


def batch(rt, merge_id_: str) -> dict | None:
    """The merge's record: sender, its jobs and their rows, the rows refused, who, when."""
    return rt.store.get(f"batch:merge:{merge_id_}")


def start(rt, merge: Merge, not_before: float | None = None, **about) -> list[str]:
    """Record the merge and hand its rows to the engine as jobs (idempotent: a rerun finds
    them, and sends only the rows not yet sent); the job ids, in row order. ``about``: what
    the merge pages keep of it (subject, started_by, held_files for files every row shares)."""
    numbers = merge.numbers or list(range(1, len(merge.rows) + 1))
    ids = [jobs.job_id_for(merge.sender, f"{merge.id}:{n}") for n in numbers]
    name = f"merge:{merge.id}"
    held = about.pop("held_files", None)
    rt.store.claim(f"batch:{name}", {
        "id": name, "sender": merge.sender, "jobs": ids, "rows": numbers,
        "refused": [vars(r) for r in merge.refused], "created": time.time(),
        "not_before": not_before, "paused": False, **about})
    rt.store.update("merges", lambda v: {"ids": ([merge.id] + [
        m for m in (v or {}).get("ids", []) if m != merge.id])[:RECENT]})
    source = {"held_files": held} if held else {}
    rows = [(d, f"{merge.id}:{n}") for n, d in zip(numbers, merge.rows)]
    for at in range(0, len(rows), CHUNK):  # the lane written once a chunk, not once a row
        jobs.submit_many(rt, rows[at:at + CHUNK], "merge", name, not_before, **source)
    return ids


def recent(rt) -> list[str]:
    """The ids of the merges started last, newest first."""
    return list((rt.store.get("merges") or {}).get("ids", []))


def status(rt, merge_id_: str) -> dict | None:
    """Counts by state and one line per row (refused rows too): row, recipient, state, error,
    sent time. Every row's record is read: merge_runs.py's progress reads a page of them."""
    found = batch(rt, merge_id_)
    if found is None:
        return None
    rows = row_lines(rt, found, found["jobs"], found.get("rows"))
    rows += [refused_line(r) for r in found.get("refused", [])]
    rows.sort(key=lambda r: r["row"])
    counts: dict = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return {"id": merge_id_, "sender": found["sender"], "counts": counts, "rows": rows}


def row_lines(rt, found: dict, job_ids: list[str], numbers: list[int] | None) -> list[dict]:
    """One line per job: its row, recipient, state, times, tries, error in words."""
    numbers = numbers or [found["jobs"].index(j) + 1 for j in job_ids]
    out = []
    for number, job_id in zip(numbers, job_ids):
        record = rt.lanes.get(job_id) or {"state": "missing"}
        to = (record.get("description") or {}).get("to") or [""]
        out.append({"row": number, "job": job_id, "to": to[0], "state": record["state"],
                    "sent_at": record.get("sent_at"), "attempts": record.get("attempts", 0),
                    "throttled": record.get("throttled", 0),
                    "waiting_for": record.get("waiting_for"),
                    "waiting_until": record.get("waiting_until"),
                    "error": (record.get("error") or {}).get("message", "")
                    if record["state"] in ("failed", "unknown") else ""})
    return out


def refused_line(refused: dict) -> dict:
    return {"row": refused["row"], "job": "", "to": refused["to"], "state": "refused",
            "sent_at": None, "attempts": 0, "throttled": 0, "waiting_for": None,
            "waiting_until": None, "error": refused["reason"]}
