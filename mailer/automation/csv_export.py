"""A merge's rows as CSV, safe to open in a spreadsheet: the one CSV writer of the app.

Both the merge page's download and ``python -m mailer status --csv`` write through here. Times
are written as a spreadsheet reads them, in UTC (``2026-12-07 10:00:03``), never as Unix
timestamps; the column says UTC. A cell
a spreadsheet would run as a formula (``=cmd|'/Ccalc'!A0``, ``+``, ``-``, ``@``, a leading tab
or carriage return, their full-width forms, or any of them after leading spaces) is written
with a leading apostrophe, as OWASP's CSV-injection advice says: the text stays readable and
is never evaluated.
"""
from __future__ import annotations

import csv
import datetime as dt
from typing import IO, Iterable

ROW_FIELDS = ("row", "to", "state", "sent_at_utc", "attempts", "throttled", "error", "job")
TIMES = {"sent_at_utc": "sent_at"}  # a column of times: the row's field it is written from
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(value) -> str:
    """``value`` as a cell's text, quoted with ``'`` when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_START or text.lstrip(" ")[:1] in _FORMULA_START:
        return "'" + text
    return text


def utc(epoch) -> str:
    """Epoch seconds as ``YYYY-MM-DD HH:MM:SS`` in UTC ('' for none)."""
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def write_rows(out: IO[str], rows: Iterable[dict], fields=ROW_FIELDS) -> None:
    """A header of ``fields`` and one line per row, every cell through ``cell``."""
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: cell(utc(row.get(TIMES[name])) if name in TIMES
                                    else row.get(name)) for name in fields})
