"""A merge's rows as CSV, safe to open in a spreadsheet: the one CSV writer of the app.

Both the admin page's download and ``python -m mailer status --csv`` write through here. A cell
a spreadsheet would run as a formula (``=cmd|'/Ccalc'!A0``, ``+``, ``-``, ``@``, a leading tab
or carriage return, their full-width forms, or any of them after leading spaces) is written
with a leading apostrophe, as OWASP's CSV-injection advice says: the text stays readable and
is never evaluated.
"""
from __future__ import annotations

import csv
from typing import IO, Iterable

ROW_FIELDS = ("row", "to", "state", "sent_at", "attempts", "throttled", "error", "job")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(value) -> str:
    """``value`` as a cell's text, quoted with ``'`` when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_START or text.lstrip(" ")[:1] in _FORMULA_START:
        return "'" + text
    return text


def write_rows(out: IO[str], rows: Iterable[dict], fields=ROW_FIELDS) -> None:
    """A header of ``fields`` and one line per row, every cell through ``cell``."""
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: cell(row.get(name)) for name in fields})
