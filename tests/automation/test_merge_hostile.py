"""Hostile merges through the real command line (``python -m mailer``, a process of its own):
templates that would exhaust the host, oversized cells and subjects, and cells a spreadsheet
would run as formulas. Each refusal is one line naming the row and the limit, never a traceback.
"""
from __future__ import annotations

import csv
import io

import pytest

from automation.automation_support import ALEX, MEGAN, SALES
from mailer.automation import merge

FORMULA = "=cmd|'/Ccalc'!A0@contoso.example"


def _merge_files(tmp_path, template: str, rows: list[dict]):
    data = tmp_path / "rows.csv"
    with data.open("w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    path = tmp_path / "template.txt"
    path.write_text(template)
    return data, path


def test_status_csv_quotes_cells_a_spreadsheet_would_run(cli, runtime, tmp_path):
    data, template = _merge_files(tmp_path, "Subject: Hello {{ name }}\n\nDear {{ name }}", [
        {"email": ALEX, "name": "Alex"}, {"email": FORMULA, "name": "Evil"},
        {"email": MEGAN, "name": "Megan"}])
    prepared = merge.prepare(runtime, data, template, SALES)
    merge.start(runtime, prepared, None)  # recorded and queued; no worker runs
    done = cli("status", prepared.id, "--csv")
    assert done.returncode == 3, done.stderr  # rows not yet sent
    table = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["to"] for r in table] == [ALEX, "'" + FORMULA, MEGAN]
    assert not any(value.startswith(("=", "+", "-", "@")) for r in table for value in r.values())
    assert list(table[0]) == ["row", "to", "state", "sent_at", "attempts", "throttled", "error",
                              "job"]  # the admin page's columns, in its order
