"""A merge from the pages with files, sent by the app's worker: the same files for every row
(held once, by their SHA-256) and a row's own files named in a column; a row naming a file
that was not uploaded is refused in the preview, named; the recipients get exactly their
files. And the merges list's filters."""
from __future__ import annotations

import base64
import hashlib
import re

from automation.automation_support import wait_until
from mailer.delivery.held import shared_key

from api.api_support import ADELE, ADMIN, ALEX, MEGAN, SALES, csrf_token

PATTI = "patti@contoso.example"
MERGE = re.compile(r"/merges/(m[0-9a-f]{16})")


def attachments_of(rt, upn: str, subject: str) -> list[tuple[str, bytes]] | None:
    """The files of the message ``subject`` in ``upn``'s Inbox (None while it is not there)."""
    client = rt.app_graph()
    found = client._request("GET", f"/users/{upn}/mailFolders/inbox/messages",
                            params={"$filter": f"subject eq '{subject}'"}).json()["value"]
    if not found:
        return None
    assert len(found) == 1, found  # once
    files = client._request("GET", f"/users/{upn}/messages/{found[0]['id']}/attachments").json()
    return sorted((a["name"], base64.b64decode(a["contentBytes"])) for a in files["value"])


def test_files_for_every_row_and_per_row_arrive_where_they_should(live_app, live_sign_in,
                                                                  runtime):
    admin, url = live_sign_in(ADMIN), live_app.url
    token = csrf_token(admin.get(f"{url}/merges/new", timeout=30).text)
    rows = (f"email,name,attachment\n{ALEX},Alex,alex.txt\n{MEGAN},Megan,megan.txt;extra.txt\n"
            f"{PATTI},Patti,missing.pdf\n")
    made = admin.post(f"{url}/merges/new", timeout=60, allow_redirects=False, data={
        "csrf_token": token, "sender": SALES, "to_column": "email", "subject": "Files for {{ name }}",
        "body": "Hello {{ name }}", "body_type": "text", "when": "now", "csv_text": rows,
        "file_column": "attachment"}, files=[
        ("attachments", ("terms.txt", b"the terms")),
        ("row_files", ("alex.txt", b"for alex")), ("row_files", ("megan.txt", b"for megan")),
        ("row_files", ("extra.txt", b"more for megan"))])
    assert made.status_code == 303, made.text[-2000:]
    preview = admin.get(url + made.headers["Location"], timeout=30).text
    assert "2</strong> messages will go" in preview
    assert "Row 3 (patti@contoso.example): no file named &#39;missing.pdf&#39; was uploaded " \
           "with the merge" in preview
    assert "terms.txt, alex.txt" in preview  # the first row's files, as it will get them
    begun = admin.post(url + made.headers["Location"] + "/start", timeout=60,
                       allow_redirects=False, data={"csrf_token": csrf_token(preview)})
    merge_id = MERGE.search(begun.headers["Location"]).group(1)
    expected = {ALEX: [("alex.txt", b"for alex"), ("terms.txt", b"the terms")],
                MEGAN: [("extra.txt", b"more for megan"), ("megan.txt", b"for megan"),
                        ("terms.txt", b"the terms")]}
    for upn, files in expected.items():
        name = "Alex" if upn == ALEX else "Megan"
        assert wait_until(lambda: attachments_of(runtime, upn, f"Files for {name}"), 30) == files
    assert runtime.store.get_bytes(shared_key(hashlib.sha256(b"the terms").hexdigest())) == \
        b"the terms"  # one copy for every row, kept after the rows went (JOB_TTL)
    assert wait_until(lambda: merge_id in admin.get(f"{url}/merges/", timeout=30,
                                                    params={"state": "finished"}).text, 30)
    assert merge_id not in admin.get(f"{url}/merges/", params={"state": "running"},
                                     timeout=30).text
    assert merge_id not in admin.get(f"{url}/merges/", params={"sender": ADELE}, timeout=30).text
    assert "No merge matches" in admin.get(f"{url}/merges/", params={"since": "2099-01-01"},
                                           timeout=30).text
