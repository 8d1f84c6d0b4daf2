"""What each command does, once main.py has parsed it: each returns the exit code."""
from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import sys
import uuid
from pathlib import Path

from mailer.automation import csv_export, intake, jobs, merge
from mailer.automation.errors import AutomationError
from mailer.automation.webhooks import service as webhooks
from mailer.cli import watch
from mailer.cli.delegated import Delegated
from mailer.delivery import acting, records
from mailer.delivery import submit as engine
from mailer.delivery.runner import drain_lane
from mailer.delivery.runtime import Runtime, retry_policy
from mailer.graph.client import GraphClient
from mailer.graph.http import build_session
from mailer.graph.mailbox import Mailbox
from mailer.sending.compose import sanitize_filename
from mailer.sending.description import check
from mailer.sending.plan import plan


def _client(cfg: dict, tokens) -> GraphClient:
    return GraphClient(cfg["GRAPH_ENDPOINT"], tokens, build_session(cfg.get("CA_FILE")),
                       timeout=cfg["HTTP_TIMEOUT"], retry=retry_policy(cfg),
                       chunk_size=cfg["UPLOAD_CHUNK_SIZE"])


def _delegated(cfg, args) -> Delegated:
    return Delegated(cfg, build_session(cfg.get("CA_FILE")), args.cache)


def login(cfg, args) -> int:
    claims = _delegated(cfg, args).login()
    print(f"Signed in as {claims.get('preferred_username') or claims.get('name') or 'you'}.")
    return 0


def run_here(rt: Runtime, job_id: str) -> dict:
    """Send the job from this process (its mailbox's lane, run here until idle; a worker may
    help), then its record once it ended."""
    record = rt.lanes.get(job_id)
    drain_lane(rt, rt.queue.engine, record["mailbox"], threads=rt.pace.concurrency)
    while (record := rt.lanes.get(job_id))["state"] not in ("sent", "failed", "unknown",
                                                             "cancelled"):
        engine.wait(rt, job_id, 1.0)  # a worker holds it: its outcome comes
    return record


def _submit_app_only(rt: Runtime, description: dict, key: str) -> str:
    """As the API does: files from disk go where any worker on any host reaches them (the
    shared store, or a draft in the sender's mailbox), never as paths on this host."""
    paths = description.get("attachments") or []
    if not paths:
        return jobs.submit(rt, description, key)[0]
    for path in paths:
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise AutomationError("attachments", f"{path} is not a readable file")
    described = {k: v for k, v in description.items() if k != "attachments"}
    with contextlib.ExitStack() as stack:
        files = [intake.Incoming(sanitize_filename(os.path.basename(path)),
                                 mimetypes.guess_type(path)[0] or "application/octet-stream",
                                 stack.enter_context(open(path, "rb"))).measure()
                 for path in paths]
        job_id, _ = intake.submit(rt, described, key, files)
    return job_id


def _submit_delegated(rt: Runtime, cfg, args, description: dict) -> str:
    """The person's own send (their device-code sign-in): one job of the engine acting as
    them with the access token this process holds (sealed in the record), sent from here."""
    who = _delegated(cfg, args)
    account, token = who.account(), who.token_result()
    me = account.get("username") or ""
    prepared = check(description, max_recipients=cfg["MAX_RECIPIENTS"], me_address=me)
    job_id = f"c{uuid.uuid4().hex[:24]}"
    chosen = plan(prepared, rt.limits, job_id)
    user = {"username": me, "account_id": account.get("home_account_id"), "name": me}
    record = records.description_job(
        job_id, "cli", description.get("from") or me, description,
        acting.person(user, None, token["scopes"], token, rt.cipher), prepared, chosen.kind,
        owner=account.get("local_account_id"), me=me)
    engine.submit(rt, record)
    return job_id


def send(cfg, args, description: dict) -> int:
    rt = Runtime(cfg)
    if args.app_only:
        job_id = _submit_app_only(rt, description, args.idempotency_key or uuid.uuid4().hex)
    else:
        job_id = _submit_delegated(rt, cfg, args, description)
    if args.app_only and args.queue:
        print(f"Queued: job {job_id}.")
        return 0
    record = run_here(rt, job_id)
    if record["state"] != "sent":
        print(f"Not sent: {(record.get('error') or {}).get('message', record['state'])}",
              file=sys.stderr)
        return 1
    print(f"Sent from {record['mailbox']} (job {job_id}).")
    return 0


def inbox(cfg, args) -> int:
    if args.app_only:
        if not args.mailbox:
            raise AutomationError("--mailbox", "app-only reading needs the mailbox to read")
        rt = Runtime(cfg)
        client, address = rt.app_graph(), jobs.check_sender(rt, args.mailbox)
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


def watch_cmd(cfg, args) -> int:
    if not 0.5 <= args.every <= 3600:
        raise AutomationError("--every", "give 0.5 to 3600 seconds")
    rt = Runtime(cfg) if args.app_only else None
    if args.app_only:
        return watch.watch(rt, rt.app_graph, args)
    tokens = _delegated(cfg, args).token
    return watch.watch(rt, lambda _address: _client(cfg, tokens), args)


def merge_cmd(cfg, args) -> int:
    rt = Runtime(cfg)
    prepared = merge.prepare(rt, args.csv, args.template, args.sender, args.to_column)
    if args.dry_run:
        print(f"Merge {prepared.id}: {len(prepared.rows)} messages from {prepared.sender} "
              "(dry run: nothing sent).")
        shown = len(prepared.rows) if args.show is None else args.show
        for number, row in zip(prepared.numbers, prepared.rows[:shown]):
            body = row.get("text") if "text" in row else row.get("html")
            print(f"\n--- row {number}: to {row['to'][0]}\nSubject: {row['subject']}\n\n{body}")
        left = len(prepared.rows) - min(shown, len(prepared.rows))
        if left:
            print(f"\n... and {left} more row{'s' if left != 1 else ''} not shown, all checked "
                  "(--show all prints every one).")
        return 0
    ids = merge.start(rt, prepared)
    if not args.now:
        print(f"Merge {prepared.id}: {len(ids)} messages queued from {prepared.sender}. "
              f"Follow it: python -m mailer status {prepared.id}")
        return 0
    drain_lane(rt, rt.queue.engine, prepared.sender, threads=rt.pace.concurrency)
    for job_id in ids:  # rows a worker took meanwhile: their outcomes come
        while rt.lanes.get(job_id)["state"] not in ("sent", "failed", "unknown", "cancelled"):
            engine.wait(rt, job_id, 1.0)
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
    rt = Runtime(cfg)
    webhooks.of(rt)  # the webhooks' tasks and periodic duty run in every worker too
    rt.queue.run_worker(args.threads)
    return 0


def read_body(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AutomationError("--text/--html", f"cannot read {source}: {exc}") from None
