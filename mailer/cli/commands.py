"""What each command does, once main.py has parsed it: each returns the exit code."""
from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mailer.automation import csv_export, intake, jobs, merge, once
from mailer.automation.deliver import deliver
from mailer.automation.errors import AutomationError, Later
from mailer.automation.message import check
from mailer.automation.queue import Queue
from mailer.automation.runtime import Runtime, plan_limits
from mailer.cli.delegated import Delegated
from mailer.graph.client import GraphClient
from mailer.graph.http import build_session
from mailer.graph.mailbox import Mailbox
from mailer.graph.retry import RetryPolicy
from mailer.sending.compose import sanitize_filename

PREVIEW = 3


def _client(cfg: dict, tokens) -> GraphClient:
    return GraphClient(cfg["GRAPH_ENDPOINT"], tokens, build_session(cfg.get("CA_FILE")),
                       timeout=cfg["HTTP_TIMEOUT"],
                       retry=RetryPolicy(max_attempts=cfg["RETRY_MAX_ATTEMPTS"],
                                         max_total_wait=cfg["RETRY_MAX_WAIT"]),
                       chunk_size=cfg["UPLOAD_CHUNK_SIZE"])


def _delegated(cfg, args) -> Delegated:
    return Delegated(cfg, build_session(cfg.get("CA_FILE")), args.cache)


def login(cfg, args) -> int:
    claims = _delegated(cfg, args).login()
    print(f"Signed in as {claims.get('preferred_username') or claims.get('name') or 'you'}.")
    return 0


def run_inline(rt: Runtime, job_id: str) -> str:
    """Run one job in this process, waiting out its lane (the worker does this for queued jobs)."""
    while True:
        try:
            state = once.run(rt, job_id)
        except Later as later:
            time.sleep(later.seconds)
            continue
        if state != "held":
            return state
        time.sleep(1)  # a worker holds it: wait for it to finish


def _submit_app_only(rt: Runtime, description: dict, key: str, enqueue) -> str:
    """As the API does: files from disk go where any worker on any host reaches them (the
    shared store, or a draft in the sender's mailbox), never as paths on this host."""
    paths = description.get("attachments") or []
    if not paths:
        return jobs.submit(rt, description, key, enqueue)
    for path in paths:
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise AutomationError("attachments", f"{path} is not a readable file")
    described = {k: v for k, v in description.items() if k != "attachments"}
    with contextlib.ExitStack() as stack:
        files = [intake.Incoming(sanitize_filename(os.path.basename(path)),
                                 mimetypes.guess_type(path)[0] or "application/octet-stream",
                                 stack.enter_context(open(path, "rb"))).measure()
                 for path in paths]
        job_id, _ = intake.submit(rt, described, key, files,
                                  enqueue or (lambda *_: None))
    return job_id


def send(cfg, args, description: dict) -> int:
    if args.app_only:
        rt = Runtime(cfg)
        queue = Queue(cfg, rt) if args.queue else None
        job_id = _submit_app_only(rt, description, args.idempotency_key or uuid.uuid4().hex,
                                  queue.enqueue if queue else None)
        if queue:
            print(f"Queued: job {job_id}.")
            return 0
        state = run_inline(rt, job_id)
        record = jobs.status(rt, job_id) or {}
        if state != "sent":
            print(f"Not sent: {(record.get('error') or {}).get('message', state)}",
                  file=sys.stderr)
            return 1
        print(f"Sent as {record['sender']} (job {job_id}).")
        return 0
    who = _delegated(cfg, args)
    me = who.account().get("username")
    prepared = check(description, max_recipients=cfg["MAX_RECIPIENTS"], me_address=me)
    client = _client(cfg, who.token)
    deliver(client, None, prepared, f"cli:{uuid.uuid4().hex}", plan_limits(cfg))
    print(f"Sent from {description.get('from') or me}.")
    return 0


def inbox(cfg, args) -> int:
    if args.app_only:
        if not args.mailbox:
            raise AutomationError("--mailbox", "app-only reading needs the mailbox to read")
        client, address = Runtime(cfg).graph(), Runtime(cfg).check_sender(args.mailbox)
    else:
        client, address = _client(cfg, _delegated(cfg, args).token), args.mailbox
    box = Mailbox(client, address)
    found = []
    for item in box.list_folder("inbox", top=args.top, unread=True).messages:
        full = box.message(item["id"])
        sender = ((full.get("from") or {}).get("emailAddress") or {})
        found.append({"id": full["id"], "subject": full.get("subject") or "",
                      "from": sender.get("address"), "from_name": sender.get("name"),
                      "to": [r["emailAddress"]["address"] for r in full.get("toRecipients") or []],
                      "received": full.get("receivedDateTime"),
                      "body_type": (full.get("body") or {}).get("contentType"),
                      "body": (full.get("body") or {}).get("content", "")})
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
    else:
        for m in found:
            print(f"{m['received']}  {m['from']}  {m['subject']}")
        print(f"{len(found)} unread.", file=sys.stderr)
    if args.mark_read:  # after the output is written: a consumer that dies re-reads, loses none
        for m in found:
            box.set_read(m["id"], True)
    return 0


def merge_cmd(cfg, args) -> int:
    rt = Runtime(cfg)
    prepared = merge.prepare(rt, args.csv, args.template, args.sender, args.to_column)
    if args.dry_run:
        print(f"Merge {prepared.id}: {len(prepared.rows)} messages from {prepared.sender} "
              "(dry run: nothing sent).")
        for number, row in enumerate(prepared.rows[:PREVIEW], start=1):
            body = row.get("text") if "text" in row else row.get("html")
            print(f"\n--- row {number}: to {row['to'][0]}\nSubject: {row['subject']}\n\n{body}")
        return 0
    queue = None if args.now else Queue(cfg, rt)
    ids = merge.start(rt, prepared, queue.enqueue if queue else None)
    if queue:
        print(f"Merge {prepared.id}: {len(ids)} messages queued from {prepared.sender}. "
              f"Follow it: python -m mailer status {prepared.id}")
        return 0
    with ThreadPoolExecutor(cfg["MAILBOX_CONCURRENCY"]) as pool:
        list(pool.map(lambda j: run_inline(rt, j), ids))
    return status_cmd(cfg, args, prepared.id)


def status_cmd(cfg, args, merge_id: str | None = None) -> int:
    merge_id = merge_id or args.merge_id
    found = merge.status(Runtime(cfg), merge_id)
    if found is None:
        raise AutomationError("MERGE_ID", f"no merge {merge_id} is recorded here")
    if getattr(args, "json", False):
        print(json.dumps(found, indent=2))
    elif getattr(args, "csv_out", False):
        csv_export.write_rows(sys.stdout, found["rows"])  # formulas quoted, as the admin page
    else:
        counts = ", ".join(f"{n} {state}" for state, n in sorted(found["counts"].items()))
        print(f"Merge {merge_id} from {found['sender']}: {counts}.")
        for row in found["rows"]:
            if row["state"] == "failed":
                print(f"  row {row['row']} ({row['to']}): {row['error']}")
    return 0 if set(found["counts"]) <= {"sent"} else 3


def worker(cfg, args) -> int:
    Queue(cfg).run_worker(args.threads)
    return 0


def read_body(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AutomationError("--text/--html", f"cannot read {source}: {exc}") from None
