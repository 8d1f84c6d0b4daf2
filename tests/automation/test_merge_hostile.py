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
    assert list(table[0]) == ["row", "to", "state", "sent_at_utc", "attempts", "throttled",
                              "error", "job"]  # the merge page's columns, in its order


ROWS = [{"email": ALEX, "name": "Alex", "n": "1"}, {"email": MEGAN, "name": "Megan", "n": "2"}]


def _only_in_row_2(expression: str) -> str:
    """``expression`` evaluated in row 2 only, so that the refusal must name that row."""
    return f"{{% if n == '2' %}}{{{{ {expression} }}}}{{% endif %}}"


@pytest.mark.parametrize("template, words", [
    ("Subject: Hi\n\n" + _only_in_row_2("'a' * 10**9"),
     "row 2: text or a list repeated past 4,194,304 items"),
    ("Subject: Hi\n\n" + _only_in_row_2("9**(9**9)"), "row 2: a power with more than 4,300 digits"),
    ("Subject: Hi\n\n{% if n == '2' %}{% for i in range(100000) %}{% for j in range(100000) %}"
     "{% endfor %}{% endfor %}{% endif %}", "row 2: it took more than 2 s of CPU time"),
    ("Subject: Hi\n\n" + _only_in_row_2("range(10**9) | list"),
     "row 2: range() of more than 100,000 items"),
    ("Subject: {{ 'a' * 100000000 }}\n\nHello", "row 1: text or a list repeated past"),
    ("Subject: {{ name * (300 if n == '2' else 1) }}\n\nHello",
     "row 2: the subject is longer than 998 characters"),
    ("Subject: Hi\n\n{% set ns = namespace(x=name) %}{% for i in range(40) %}"
     "{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x | length }}",
     "row 1: the row needs more than 512 MB of memory"),
    ("Subject: Hi\n\n" + _only_in_row_2("'x' | center(10**9)"),
     "row 2: the row needs more than 512 MB of memory"),
], ids=["repeat-1e9", "power", "nested-ranges", "range-1e9", "subject-100MB", "subject-998",
        "doubling", "center-1e9"])
def test_a_hostile_template_is_one_line_naming_the_row_and_the_limit(cli, tmp_path, template,
                                                                    words):
    data, path = _merge_files(tmp_path, template, ROWS)
    done = cli("merge", str(data), str(path), "--from", SALES, "--dry-run", timeout=90)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr[-500:]
    assert done.stderr.startswith("error: TEMPLATE: ") and words in done.stderr, done.stderr
    assert done.stdout == ""


def test_a_cell_of_200_kb_is_one_line_naming_the_row(cli, tmp_path):
    data, path = _merge_files(tmp_path, "Subject: Hi {{ name }}\n\nHello", [
        *ROWS, {"email": ALEX, "name": "x" * 200_000, "n": "3"}])
    done = cli("merge", str(data), str(path), "--from", SALES, "--dry-run")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-500:]
    assert done.stderr.count("\n") == 1 and "row 3" in done.stderr, done.stderr
    assert "131,072 characters" in done.stderr


def test_a_template_within_the_limits_still_renders_every_row(cli, tmp_path):
    data, path = _merge_files(tmp_path, "Subject: {{ name | upper }} {{ 2**10 }}\n\n"
                              "{% for i in range(3) %}{{ name ~ '!' * 2 }} {% endfor %}"
                              "{{ 'x' | center(7) }}|{{ ([n] * 2) | join(',') }}", ROWS)
    done = cli("merge", str(data), str(path), "--from", SALES, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "Subject: MEGAN 1024" in done.stdout and "Megan!! Megan!! Megan!! " in done.stdout
    assert "   x   |2,2" in done.stdout
