"""A merge's rows: CSV text read under limits, each row rendered and checked as the message it
becomes, every refused row named with its reason. No Flask here.

The command line (merge.py: the first refusal stops the merge) and the merge pages
(merge_drafts.py: a refused row is left out, and listed) both go through ``check_rows``. Rows
are rendered by templating.py's limited renderer. A row is refused when its template fails (a
variable it lacks, a limit reached), its address is not one, or a file its row names was not
uploaded; the template itself failing (it does not parse, or its renderer died of a CPU limit)
refuses the whole merge, as an AutomationError naming the row.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from mailer.automation.errors import AutomationError
from mailer.automation.templating import Renderer, TemplateRefused
from mailer.sending.compose import BODY_MAX, SUBJECT_MAX
from mailer.sending.description import check
from mailer.sending.plan import PlanRefused, plan

MAX_ROWS = 100_000
FILE_SEPARATOR = ";"  # several files named in one cell


@dataclass
class Template:
    subject: str
    body: str
    html: bool

    @property
    def body_field(self) -> str:
        return "html" if self.html else "text"


@dataclass
class Refused:
    """A row left out: its number (1 is the first row under the header), its recipient as
    written, the field at fault (TEMPLATE, CSV, attachments, or the files' column) and why."""

    row: int
    to: str
    field: str
    reason: str


@dataclass
class Checked:
    columns: list[str]
    good: list[tuple[int, dict]] = field(default_factory=list)  # (row number, description)
    refused: list[Refused] = field(default_factory=list)


def parse_csv(text: str, to_column: str, where: str = "the CSV", column_field: str = "to_column",
              max_rows: int = MAX_ROWS) -> tuple[list[str], list[dict]]:
    """The header and the rows (dicts); AutomationError naming ``where`` and the row."""
    reader = csv.DictReader(io.StringIO(text))
    rows: list[dict] = []
    header = None
    try:  # a cell past the csv module's own limit (131,072 characters) names its row
        header = reader.fieldnames
        if not header or to_column not in header:
            raise AutomationError(column_field, f"{where} has no column {to_column!r} (its "
                                  f"columns: {', '.join(header or []) or 'none'})")
        for row in reader:
            if len(rows) == max_rows:  # counted as they come: never more than this in memory
                raise AutomationError("CSV", f"{where} has more than {max_rows:,} rows")
            rows.append(row)
    except csv.Error as exc:
        at = f"row {len(rows) + 1}" if header is not None else "its header"
        raise AutomationError("CSV", f"{where}, {at}: {exc} (a cell may hold at most "
                              f"{csv.field_size_limit():,} characters)") from None
    if not rows:
        raise AutomationError("CSV", f"{where} has a header but no rows")
    return list(header), rows


def check_rows(rt, template: Template, columns: list[str], rows: list[dict], sender: str,
               to_column: str, attachments: list[dict] = (), files: dict | None = None,
               file_column: str | None = None, first_only: bool = False) -> Checked:
    """Every row rendered and checked as its message (``attachments``: held files for every
    row; ``files``: held files by name, named per row in ``file_column``). ``first_only``:
    stop at the first refusal (the command line's way)."""
    out = Checked(columns)
    try:
        with Renderer(template.subject, template.body, template.html,
                      subject_max=SUBJECT_MAX, body_max=BODY_MAX) as renderer:
            for number, row in enumerate(rows, start=1):
                values = {k: (v if isinstance(v, str) else "") for k, v in row.items() if k}
                refused = _row(rt, renderer, template, number, values, sender, to_column,
                               list(attachments), files or {}, file_column, out)
                if refused:
                    out.refused.append(refused)
                    if first_only:
                        break
    except TemplateRefused as exc:
        raise AutomationError("TEMPLATE", str(exc)) from None
    return out


def _row(rt, renderer: Renderer, template: Template, number: int, values: dict, sender: str,
         to_column: str, attachments: list[dict], files: dict, file_column: str | None,
         out: Checked) -> Refused | None:
    to = values.get(to_column, "").strip()
    try:
        subject, body = renderer.render(number, values)
    except TemplateRefused as exc:
        if not renderer.alive:  # a CPU limit killed it: the template, not this row
            raise
        return Refused(number, to, "TEMPLATE", str(exc).removeprefix(f"row {number}: "))
    if file_column:
        names = [n.strip() for n in values.get(file_column, "").split(FILE_SEPARATOR) if n.strip()]
        unknown = [n for n in names if n not in files]
        if unknown:
            return Refused(number, to, file_column, f"no file named {unknown[0]!r} was "
                           "uploaded with the merge")
        attachments += [files[n] for n in names]
    description = {"from": sender, "to": [to], "subject": subject, template.body_field: body}
    if attachments:
        description["attachments"] = attachments
    try:
        prepared = check(description, max_recipients=rt.cfg["MAX_RECIPIENTS"], me_address=sender)
        plan(prepared, rt.limits)
    except AutomationError as exc:  # its message names the field: "To: 'x' is not a valid..."
        return Refused(number, to, "CSV", exc.message)
    except PlanRefused as exc:
        return Refused(number, to, "attachments", " ".join(exc.errors))
    out.good.append((number, description))
    return None


def duration(rt, sender: str, messages: int) -> dict:
    """How long ``messages`` more take from ``sender`` at its pace, behind what waits in its
    lane now: {"seconds", "per_minute", "ahead"} (Exchange's minute; a day's recipients aside)."""
    view = rt.lanes.view(sender)
    ahead = view["waiting"] + view["scheduled"]
    return {"seconds": (ahead + messages) * rt.pace.interval, "per_minute": rt.pace.per_minute,
            "ahead": ahead}
