"""A merge prepared in the browser and kept until it is started: its CSV, template, sender and
files, in the job store (for JOB_TTL), its files' bytes once each, by their SHA-256, where the
rows' jobs will read them (mailer/delivery/held.py). No Flask here.

    create(rt, owner, ...)      checked (the sender, the CSV's columns), kept; a draft id
    load(rt, draft_id, owner)   the draft, only for the person who made it
    preview(rt, draft)          every row checked (merge_rows.py), the first ones as the
                                recipients will see them, every refused row and why, kept
    start(rt, draft, ...)       the merge recorded and its good rows handed to the engine once
                                (a second start finds the first: merge.start is idempotent)

The template comes from the compose page's editor: its HTML escapes what Jinja reads inside
``{{ }}`` and ``{% %}`` (``&gt;``, a non-breaking space), so those are read back first.
"""
from __future__ import annotations

import hashlib
import html as html_lib
import re
import secrets
import time
from dataclasses import dataclass

from mailer.automation import jobs, merge
from mailer.automation.errors import AutomationError
from mailer.automation.merge_rows import Template, check_rows, parse_csv
from mailer.delivery.held import SHARED, shared_key
from mailer.sending.description import check

MAX_ROWS = 10_000  # rows of a merge from the browser (each is rendered at preview and start)
CSV_MAX = 5 * 1024 * 1024  # bytes of its CSV
FILES_MAX = 50  # files uploaded with one merge
FILES_TOTAL_MAX = 25 * 1024 * 1024  # their bytes together (each below SMALL_ATTACHMENT_MAX)
SHOWN = 3  # rows rendered in the preview
DRAFT_ID = re.compile(r"[0-9a-f]{16}")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


@dataclass
class Upload:
    name: str
    content_type: str
    data: bytes


def editor_template(subject: str, body: str, html: bool) -> Template:
    """The template as Jinja should read it, from the editor's HTML (or plain text)."""
    if html:
        body = _JINJA.sub(lambda m: html_lib.unescape(m.group(0)).replace("\xa0", " "), body)
    return Template(subject.strip(), body, html)


def hold_file(rt, upload: Upload) -> dict:
    """The file's bytes in the store once (by SHA-256); its held description."""
    digest = hashlib.sha256(upload.data).hexdigest()
    rt.store.put_bytes(shared_key(digest), upload.data)
    return {"name": upload.name, "size": len(upload.data), "content_type": upload.content_type,
            "sha256": digest}


def create(rt, owner: str, *, sender: str, to_column: str, subject: str, body: str, html: bool,
           csv_text: str, attachments: list[Upload], row_files: list[Upload],
           file_column: str = "", not_before: float | None = None) -> dict:
    """Check what can be checked without rendering, keep the files and the rest; the draft.
    AutomationError names the field at fault."""
    sender = jobs.check_sender(rt, sender)
    columns, _ = parse_csv(csv_text, to_column, max_rows=MAX_ROWS)
    if file_column and file_column not in columns:
        raise AutomationError("file_column", f"the CSV has no column {file_column!r} (its "
                              f"columns: {', '.join(columns)})")
    if row_files and not file_column:
        raise AutomationError("file_column", "name the column that says which of the files "
                              "each row gets")
    names = [u.name for u in row_files]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise AutomationError("row_files", f"two files are named {twice!r}: rows name their "
                              "files, so each name must be one file")
    draft = {"id": secrets.token_hex(8), "owner": owner, "created": time.time(),
             "sender": sender, "to_column": to_column, "subject": subject, "body": body,
             "html": html, "csv": csv_text, "columns": columns, "file_column": file_column,
             "attachments": [hold_file(rt, u) for u in attachments],
             "row_files": {u.name: hold_file(rt, u) for u in row_files},
             "not_before": not_before, "started": None, "preview": None}
    rt.store.put(_key(draft["id"]), draft)
    return draft


def load(rt, draft_id: str, owner: str) -> dict | None:
    """The draft, if it is this person's and still kept."""
    found = rt.store.get(_key(draft_id)) if DRAFT_ID.fullmatch(draft_id or "") else None
    return found if found and found.get("owner") == owner else None


def _checked(rt, draft: dict):
    _, rows = parse_csv(draft["csv"], draft["to_column"], max_rows=MAX_ROWS)
    template = editor_template(draft["subject"], draft["body"], draft["html"])
    return check_rows(rt, template, draft["columns"], rows, draft["sender"], draft["to_column"],
                      draft["attachments"], draft["row_files"], draft["file_column"] or None)


def preview(rt, draft: dict) -> dict:
    """Every row rendered and checked; kept in the draft: the first rows as sent (the body
    sanitized as Graph will get it), the refused rows and why, how many go.
    AutomationError("TEMPLATE", ...) when the template itself fails."""
    checked = _checked(rt, draft)
    shown = []
    for number, description in checked.good[:SHOWN]:
        prepared = check(description, max_recipients=rt.cfg["MAX_RECIPIENTS"],
                         me_address=draft["sender"])
        shown.append({"row": number, "to": description["to"][0], "subject": description["subject"],
                      "body": prepared.message["body"]["content"], "html": draft["html"],
                      "files": [a["name"] for a in description.get("attachments", [])]})
    result = {"good": len(checked.good), "refused": [vars(r) for r in checked.refused],
              "shown": shown, "recipients": sum(len(d["to"]) for _, d in checked.good)}
    rt.store.update(_key(draft["id"]), lambda v: v and {**v, "preview": result})
    draft["preview"] = result
    return result


def start(rt, draft: dict, started_by: str) -> str:
    """Record the merge and queue its good rows (refused ones recorded, not sent); its id.
    Once only: a second start (a double click) finds the merge the first one made."""
    merge_id = "m" + draft["id"]
    if draft.get("started") or merge.batch(rt, merge_id):
        return merge_id
    checked = _checked(rt, draft)
    numbers = [n for n, _ in checked.good]
    plan = merge.Merge(merge_id, draft["sender"], [d for _, d in checked.good], numbers,
                       checked.refused)
    files = draft["attachments"] + list(draft["row_files"].values())
    shared = bool(files)
    # The files live JOB_TTL from now, as the rows' jobs do (a preview may have waited a day).
    rt.store.touch([shared_key(f["sha256"]) for f in files])
    merge.start(rt, plan, draft.get("not_before"), subject=draft["subject"],
                started_by=started_by, **({"held_files": SHARED} if shared else {}))
    rt.store.update(_key(draft["id"]), lambda v: v and {**v, "started": merge_id})
    return merge_id


def _key(draft_id: str) -> str:
    return f"merge-draft:{draft_id}"
