"""``python -m mailer COMMAND``: login, send, inbox, watch, merge, status, worker.

Exit codes: 0 done; 1 failed (not signed in, Graph refused, nothing sent); 2 bad usage (the
message names the option); 3 a merge with rows not (yet) sent. Expected errors are one line on
stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from mailer.automation.errors import AutomationError
from mailer.identity.app_tokens import TokenUnavailable
from mailer.cli import commands
from mailer.cli.delegated import NotSignedIn
from mailer.graph.errors import GraphError

# The description's field names -> the options that set them, for error messages.
OPTIONS = {"from": "--from", "to": "--to", "cc": "--cc", "bcc": "--bcc",
           "reply_to": "--reply-to", "subject": "--subject", "text": "--text", "html": "--html",
           "importance": "--importance", "attachments": "--attach"}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m mailer", description="Send and read mail "
                                  "through Microsoft Graph without a browser.")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cache(p):
        p.add_argument("--cache", type=Path, help="token cache file (default "
                       "~/.config/mailer/token-cache.bin)")

    p = sub.add_parser("login", help="sign in with a device code (your own rights)")
    cache(p)
    p = sub.add_parser("send", help="send one message")
    for name, kind in (("--to", "To"), ("--cc", "Cc"), ("--bcc", "Bcc")):
        p.add_argument(name, action="append", default=[], metavar="ADDRESSES",
                       help=f"{kind} recipients: addresses separated by commas or semicolons "
                            "(repeatable)")
    p.add_argument("--from", dest="sender", metavar="MAILBOX", help="send as or on behalf of "
                   "this mailbox (with --app-only: one of AUTOMATION_SENDERS; required there)")
    p.add_argument("--reply-to", action="append", default=[], metavar="ADDRESSES",
                   help="where replies go (repeatable)")
    p.add_argument("--subject", default="", help="the subject line (at most 998 characters)")
    body = p.add_mutually_exclusive_group(required=True)
    body.add_argument("--text", metavar="FILE", help="plain-text body from FILE ('-': stdin)")
    body.add_argument("--html", metavar="FILE", help="HTML body from FILE ('-': stdin)")
    p.add_argument("--importance", choices=("low", "normal", "high"), default="normal",
                   help="the message's importance (default normal)")
    p.add_argument("--attach", action="append", default=[], metavar="FILE",
                   help="attach a file (repeatable; up to MAX_FILE_SIZE each)")
    p.add_argument("--app-only", action="store_true", help="send as the app (AUTOMATION_SENDERS)")
    p.add_argument("--queue", action="store_true", help="with --app-only: leave it to the "
                   "workers; without it, the send is run from this process too and awaited")
    p.add_argument("--idempotency-key", help="with --app-only: a retried send is the same job")
    cache(p)
    p = sub.add_parser("inbox", help="list unread mail")
    p.add_argument("--mailbox", help="another mailbox (Full Access, or --app-only)")
    p.add_argument("--app-only", action="store_true", help="read as the app (a mailbox of "
                   "AUTOMATION_SENDERS, named with --mailbox), not as you")
    p.add_argument("--mark-read", action="store_true", help="mark what was listed as read")
    p.add_argument("--json", action="store_true", help="JSON, bodies included")
    p.add_argument("--top", type=int, default=25, choices=range(1, 1001), metavar="N",
                   help="the newest N unread messages (1 to 1000, default 25)")
    cache(p)
    p = sub.add_parser("watch", help="new mail as it arrives (delta rounds), resumable")
    p.add_argument("mailbox", metavar="MAILBOX", help="an address, or 'me' (signed in)")
    p.add_argument("--app-only", action="store_true", help="as the app (AUTOMATION_SENDERS)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.add_argument("--state", metavar="FILE", help="where the delta link is kept (default "
                   "~/.config/mailer/watch-MAILBOX.json)")
    p.add_argument("--from-start", action="store_true", help="forget the saved state: every "
                   "message of the Inbox first, then new ones")
    p.add_argument("--every", type=float, default=10.0, metavar="SECONDS",
                   help="seconds between rounds (default 10)")
    p.add_argument("--once", action="store_true", help="one round, then stop")
    cache(p)
    p = sub.add_parser("merge", help="a CSV and a template: one message per row, app-only")
    p.add_argument("csv", metavar="CSV", help="the recipients: a header line, then a row a "
                   "message (UTF-8); its columns are the template's variables")
    p.add_argument("template", metavar="TEMPLATE", help="'Subject: ...', a blank line, then "
                   "the body (Jinja: {{ first_name }}); a .html file is an HTML body")
    p.add_argument("--from", dest="sender", required=True, metavar="MAILBOX",
                   help="the mailbox to send as (one of AUTOMATION_SENDERS)")
    p.add_argument("--to-column", default="email", metavar="NAME",
                   help="the CSV's column of addresses (default email)")
    p.add_argument("--show", default="3", metavar="N", type=_shown,
                   help="with --dry-run: rows printed in full (default 3; 'all': every row); "
                        "the rest are counted")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="check and show; send nothing")
    mode.add_argument("--now", action="store_true", help="send from this process, not a worker")
    p = sub.add_parser("status", help="a merge's progress, per row")
    p.add_argument("merge_id", metavar="MERGE_ID", help="the merge's id (m and 16 more "
                   "letters or digits), as merge printed it")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the merge's rows as JSON")
    out.add_argument("--csv", dest="csv_out", action="store_true",
                     help="the merge's rows as CSV (times in UTC, formulas quoted)")
    p = sub.add_parser("worker", help="run a worker of the task queue")
    p.add_argument("--threads", type=int, default=8, choices=range(1, 65), metavar="N",
                   help="mailboxes served at once (1 to 64, default 8): each busy mailbox "
                        "keeps a thread")
    return top


def _shown(value: str) -> int | None:
    """--show: a number of rows, or 'all' (None)."""
    if value.strip().lower() == "all":
        return None
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: a number of rows, or all") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: a number of rows, 0 or more")
    return count


def description(args) -> dict:
    body = commands.read_body(args.text if args.text is not None else args.html)
    return {"from": args.sender, "to": ", ".join(args.to), "cc": ", ".join(args.cc),
            "bcc": ", ".join(args.bcc), "reply_to": ", ".join(args.reply_to),
            "subject": args.subject, ("text" if args.text is not None else "html"): body,
            "importance": args.importance, "attachments": args.attach}


def main(argv: list[str] | None, load_config) -> int:
    args = parser().parse_args(argv)  # exits 2 with argparse's message on bad usage
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config()
        if args.command == "login":
            return commands.login(cfg, args)
        if args.command == "send":
            return commands.send(cfg, args, description(args))
        if args.command == "inbox":
            return commands.inbox(cfg, args)
        if args.command == "watch":
            return commands.watch_cmd(cfg, args)
        if args.command == "merge":
            return commands.merge_cmd(cfg, args)
        if args.command == "status":
            return commands.status_cmd(cfg, args)
        logging.getLogger("huey").setLevel(logging.INFO)
        return commands.worker(cfg, args)
    except AutomationError as exc:
        option = OPTIONS.get(exc.field, exc.field)
        print(f"error: {option}: {exc.message}" if option else f"error: {exc.message}",
              file=sys.stderr)
        return 2
    except NotSignedIn as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except TokenUnavailable as exc:
        print(f"error: no app-only token: {exc}", file=sys.stderr)
        return 1
    except GraphError as exc:
        print(f"error: Microsoft Graph answered {exc.status} {exc.code}: {exc.message}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
