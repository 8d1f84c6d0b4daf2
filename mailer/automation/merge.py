"""Mail merge: a CSV of recipients and a Jinja template, one job per row, each sent once.

The template is a file whose first line is ``Subject: ...`` and whose body follows a blank
line; a ``.html`` (or ``.htm``) file is an HTML body, anything else plain text. Both are
rendered in Jinja's sandbox (a template cannot reach Python's internals) with the row's columns
as variables, under limits of time, memory and size (templating.py); a variable the row
lacks, or a limit reached, is an error naming the row, found by the dry run before anything is
queued. A merge's id is derived from the sender, the CSV and the template: running the same
merge again resumes it, sending only the rows not yet sent.
"""
from __future__ import annotations

import csv
import hashlib
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

from mailer.automation import jobs
from mailer.automation.errors import AutomationError
from mailer.automation.templating import Renderer, TemplateRefused
from mailer.sending.compose import BODY_MAX, SUBJECT_MAX
from mailer.sending.description import check

MAX_ROWS = 100_000
RECENT = 50  # merges listed on the admin page


@dataclass
class Template:
    subject: str
    body: str
    html: bool


@dataclass
class Merge:
    id: str
    sender: str
    rows: list[dict] = field(default_factory=list)  # rendered descriptions, in CSV order


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


def read_rows(path: str | Path, to_column: str) -> list[dict]:
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AutomationError("CSV", f"cannot read {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    rows: list[dict] = []
    header = None
    try:  # a cell past the csv module's own limit (131,072 characters) names its row
        header = reader.fieldnames
        if not header or to_column not in header:
            raise AutomationError("--to-column", f"{path} has no column {to_column!r} (its "
                                  f"columns: {', '.join(header or []) or 'none'})")
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        where = f"row {len(rows) + 1}" if header is not None else "its header"
        raise AutomationError("CSV", f"{path}, {where}: {exc} (a cell may hold at most "
                              f"{csv.field_size_limit():,} characters)") from None
    if not rows:
        raise AutomationError("CSV", f"{path} has a header but no rows")
    if len(rows) > MAX_ROWS:
        raise AutomationError("CSV", f"{path} has {len(rows)} rows; at most {MAX_ROWS}")
    return rows


def render(template: Template, rows: list[dict], sender: str, to_column: str) -> list[dict]:
    """Every row rendered under templating.py's limits (a child process; the subject and body
    caps of the compose page and the API); the first refusal names its row and the limit."""
    out = []
    try:
        with Renderer(template.subject, template.body, template.html,
                      subject_max=SUBJECT_MAX, body_max=BODY_MAX) as renderer:
            for number, row in enumerate(rows, start=1):
                values = {k: (v if isinstance(v, str) else "") for k, v in row.items() if k}
                subject, body = renderer.render(number, values)
                out.append({"from": sender, "to": [values.get(to_column, "").strip()],
                            "subject": subject, body_field(template): body})
    except TemplateRefused as exc:
        raise AutomationError("TEMPLATE", str(exc)) from None
    return out


def body_field(template: Template) -> str:
    return "html" if template.html else "text"


def merge_id(sender: str, csv_path, template_path, to_column: str) -> str:
    digest = hashlib.sha256()
    for part in (sender.encode(), to_column.encode(), Path(csv_path).read_bytes(),
                 Path(template_path).read_bytes()):
        digest.update(hashlib.sha256(part).digest())
    return "m" + digest.hexdigest()[:16]


def prepare(rt, csv_path, template_path, sender: str, to_column: str = "email") -> Merge:
    """Read, check and render everything (nothing is recorded: this is the dry run)."""
    sender = jobs.check_sender(rt, sender)
    rows = render(read_template(template_path), read_rows(csv_path, to_column), sender, to_column)
    for number, description in enumerate(rows, start=1):
        try:
            check(description, max_recipients=rt.cfg["MAX_RECIPIENTS"], me_address=sender)
        except AutomationError as exc:
            raise AutomationError("CSV", f"row {number}: {exc}") from None
    return Merge(merge_id(sender, csv_path, template_path, to_column), sender, rows)


def start(rt, merge: Merge, not_before: float | None = None) -> list[str]:
    """Record the merge and hand its rows to the engine as jobs (idempotent: a rerun finds
    them, and sends only the rows not yet sent); the job ids, in row order."""
    ids = [jobs.job_id_for(merge.sender, f"{merge.id}:{n}") for n in range(1, len(merge.rows) + 1)]
    batch = f"merge:{merge.id}"
    rt.store.claim(f"batch:{batch}", {"id": batch, "sender": merge.sender, "jobs": ids,
                                      "created": time.time()})
    rt.store.update("merges", lambda v: {"ids": ([merge.id] + [
        m for m in (v or {}).get("ids", []) if m != merge.id])[:RECENT]})
    for number, description in enumerate(merge.rows, start=1):
        jobs.submit(rt, description, f"{merge.id}:{number}", kind="merge", batch=batch,
                    not_before=not_before)
    return ids


def recent(rt) -> list[str]:
    """The ids of the merges started last, newest first."""
    return list((rt.store.get("merges") or {}).get("ids", []))


def status(rt, merge_id_: str) -> dict | None:
    """Counts by state and one line per row: row, recipient, state, error, sent time."""
    batch = rt.store.get(f"batch:merge:{merge_id_}")
    if batch is None:
        return None
    rows, counts = [], {}
    for number, job_id in enumerate(batch["jobs"], start=1):
        record = rt.lanes.get(job_id) or {"state": "missing"}
        counts[record["state"]] = counts.get(record["state"], 0) + 1
        to = (record.get("description") or {}).get("to") or [""]
        rows.append({"row": number, "job": job_id, "to": to[0], "state": record["state"],
                     "sent_at": record.get("sent_at"), "attempts": record.get("attempts", 0),
                     "throttled": record.get("throttled", 0),
                     "error": (record.get("error") or {}).get("message", "")
                     if record["state"] == "failed" else ""})
    return {"id": merge_id_, "sender": batch["sender"], "counts": counts, "rows": rows}
