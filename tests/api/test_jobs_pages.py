"""The jobs list and a job's page over real HTTP: filters (state, sender, kind, dates), pages,
times as <time> for the reader's zone, and what a queued job waits for in words, from its
lane (no worker runs here: the lanes are as the test leaves them)."""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from mailer.automation import merge

from api.api_support import ADELE, ADMIN, ALEX, MEGAN, SALES, bearer

ROW = re.compile(r'<tr data-state="(\w+)" data-job="(j[0-9a-f]{24})">')


@pytest.fixture
def app_worker():
    return False


def submit(http, url, key, sender=SALES, subject="s"):
    answer = http.post(f"{url}/api/v1/messages", headers=bearer(key), timeout=30,
                       json={"from": sender, "to": [ALEX], "subject": subject, "text": "t"})
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def listed(admin, url, **query) -> list[tuple[str, str]]:
    page = admin.get(f"{url}/admin/jobs", params=query, timeout=30)
    assert page.status_code == 200, page.text[:300]
    return ROW.findall(page.text)


def test_the_jobs_list_filters_and_pages(live_app, live_sign_in, http, make_key, runtime):
    url, key = live_app.url, make_key([SALES, ADELE])
    ids = [submit(http, url, key, subject=f"n{n}") for n in range(51)]
    adeles = submit(http, url, key, ADELE)
    runtime.lanes.cancel(ids[0], lambda r: {**r, "state": "cancelled"})
    admin = live_sign_in(ADMIN)
    first = listed(admin, url)
    assert len(first) == 50 and first[0][1] == adeles  # newest first, 50 a page
    page = admin.get(f"{url}/admin/jobs", timeout=30).text
    assert 'id="next-page"' in page and '<time datetime="' in page and "data-local" in page
    second = listed(admin, url, page=2)
    assert [j for _, j in second] == [ids[1], ids[0]]
    assert listed(admin, url, sender=ADELE) == [("queued", adeles)]
    assert listed(admin, url, state="cancelled") == [("cancelled", ids[0])]
    assert listed(admin, url, kind="merge") == []
    today = dt.datetime.now(dt.timezone.utc).date()
    assert len(listed(admin, url, since=today.isoformat(), state="queued")) == 50
    assert listed(admin, url, since=(today + dt.timedelta(days=1)).isoformat()) == []
    assert len(listed(admin, url, until=(today - dt.timedelta(days=1)).isoformat())) == 0
    odd = admin.get(f"{url}/admin/jobs", params={"since": "yesterday"}, timeout=30)
    assert "From: &#39;yesterday&#39; is not a date such as 2026-12-07." in odd.text


def test_a_queued_job_says_what_it_waits_for(live_app, live_sign_in, http, make_key, runtime,
                                             tmp_path):
    url, key = live_app.url, make_key([SALES])
    first, second = submit(http, url, key), submit(http, url, key)
    admin = live_sign_in(ADMIN)

    def said(job_id: str) -> str:
        page = admin.get(f"{url}/admin/jobs/{job_id}", timeout=30).text
        found = re.search(r'<p class="mb-2" id="job-wait">(.*?)</p>', page, re.S)
        return found.group(1) if found else ""
    assert said(first) == "Next in line: a worker takes it in a moment."
    assert said(second).startswith("1 message goes before it from sales@contoso.example, one "
                                   "every 2.0 s (30 a minute)")
    step = runtime.lanes.take(SALES, "this-test")  # the first one's slot: now
    assert step.job_id == first
    assert re.fullmatch(r"Next slot in [12] s: sales@contoso.example is at its 30-a-minute "
                        r"limit\.", said(second)), said(second)
    runtime.lanes.pause(SALES, 40)  # as a 429 with Retry-After: 40 does
    assert re.match(r"Paused after a 429 for (39|40) s: Graph throttled sales@contoso.example",
                    said(second))
    rows = tmp_path / "rows.csv"
    rows.write_text(f"email\n{MEGAN}\n")
    template = tmp_path / "t.txt"
    template.write_text("Subject: Later\n\nLater")
    prepared = merge.prepare(runtime, rows, template, SALES)
    at = time.time() + 3600
    scheduled = merge.start(runtime, prepared, not_before=at)[0]
    stamp = dt.datetime.fromtimestamp(at, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert said(scheduled) == f'Scheduled for <time datetime="{stamp}" data-local>' \
        f'{stamp[:10]} {stamp[11:16]} UTC</time>'
