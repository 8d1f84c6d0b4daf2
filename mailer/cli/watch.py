"""``python -m mailer watch MAILBOX``: new mail as it arrives, each message printed once.

Delta-driven (mailer/automation/webhooks/rounds.py, as the app's watched mailboxes): a round
every ``--every`` seconds from the saved delta link, which costs Graph one request when nothing
came. The link, and the ids printed lately, are saved after each round in a state file
(``--state``; by default ~/.config/mailer/watch-<mailbox>.json, readable by its owner only),
so a watch stopped and started again prints what arrived meanwhile and nothing twice; after a
link Graph no longer knows, the resync's repeats are recognised by those ids. A first watch
starts with mail of the last minute (clocks differ); ``--from-start`` forgets the saved state
and prints every message of the Inbox first. A message is printed before the state is saved:
a watch killed in between prints it again next time (at least once, never lost).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path

from mailer.automation.errors import AutomationError
from mailer.automation.webhooks import rounds, signing
from mailer.graph.changes import MailChanges

REMEMBERED = 5000  # ids printed lately, kept to recognise a resync's repeats
START_MARGIN = 60  # seconds before now a first watch starts (our clock and Graph's differ)


def state_file(args) -> Path:
    if args.state:
        return Path(args.state)
    safe = re.sub(r"[^A-Za-z0-9@._-]", "_", args.mailbox)
    return Path.home() / ".config" / "mailer" / f"watch-{safe}.json"


def _load(path: Path, mailbox: str) -> dict | None:
    try:
        saved = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) and saved.get("mailbox") == mailbox else None


def _save(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(state, out)
    os.replace(tmp, path)  # whole or not at all


def _print(mailbox: str, message: dict, as_json: bool) -> None:
    item = signing.message_data(mailbox, message)["message"]
    if as_json:
        print(json.dumps({"mailbox": mailbox, **item}, ensure_ascii=False), flush=True)
    else:
        print(f"{item['received']}  {item['from']}  {item['subject']}", flush=True)


def watch(rt, client_for, args) -> int:
    """Rounds until interrupted (or one, ``--once``); ``client_for(address)`` is the Graph
    client (app-only, or the signed-in person's)."""
    address = None if args.mailbox == "me" else args.mailbox.strip().lower()
    if args.app_only and address not in rt.senders:
        raise AutomationError("MAILBOX", f"the app watches only the mailboxes in "
                              f"AUTOMATION_SENDERS ({', '.join(rt.senders) or 'none'}), not "
                              f"{args.mailbox}")
    changes = MailChanges(client_for(address), address)
    args.mailbox = address or "me"
    path = state_file(args)
    state = None if args.from_start else _load(path, args.mailbox)
    if state is None:
        since = None if args.from_start else time.time() - START_MARGIN
        state = {"mailbox": args.mailbox, "since": since, "delta_link": None,
                 "round_ended": None, "printed": []}
    print(f"Watching {args.mailbox} (state in {path}); Ctrl-C stops.", file=sys.stderr)
    while True:
        found = rounds.arrivals(
            changes, state["delta_link"], _moment(state["since"]),
            _moment(state["round_ended"]), select=signing.SELECT)
        printed = set(state["printed"])
        for message in found.messages:
            if message["id"] not in printed:
                _print(args.mailbox, message, args.json)
                state["printed"].append(message["id"])
                printed.add(message["id"])
        state.update(delta_link=found.delta_link, round_ended=found.ended.timestamp(),
                     printed=state["printed"][-REMEMBERED:])
        _save(path, state)
        if args.once:
            return 0
        time.sleep(args.every)


def _moment(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
