"""Handing one prepared message to Graph, and finding it again in Sent Items.

The plan is the web path's (mailer/sending/plan.py): one sendMail when the request stays under
4 MB, else a draft, its small files, an upload session per large file, and send. Either way
the message carries ``x-mailer-draft-id: <job key>``, so after a worker died mid-request the
next one can look in the sender's Sent Items before sending again (``sent_copy``).
The header lookups are small copies of mailer/sending/confirm.py's and recovery.py's, which
look only at the newest 25 items of the signed-in user's own folders: a worker looks at
another mailbox, and back as far as the job's start, while other jobs keep sending.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from mailer.automation.errors import AutomationError
from mailer.graph.client import GraphClient, _mailbox
from mailer.graph.errors import GraphError
from mailer.graph.shapes import file_attachment_json
from mailer.sending.compose import PreparedMessage
from mailer.sending.plan import (DRAFT_ID_HEADER, SENDMAIL, Limits, PlanRefused,
                                 message_with_header, plan)

PAGE = 50
SLACK = 120.0  # seconds: clocks of this host and of Exchange may differ a little


def deliver(client: GraphClient, mailbox: str | None, prepared: PreparedMessage, key: str,
            limits: Limits) -> str:
    """Send ``prepared`` from ``mailbox`` (None: the signed-in user); returns the plan's kind."""
    try:
        chosen = plan(prepared, limits, key)
    except PlanRefused as exc:
        raise AutomationError("attachments", " ".join(exc.errors)) from None
    message = message_with_header(prepared, key)
    if chosen.kind == SENDMAIL:
        message["attachments"] = [file_attachment_json(a, a.base64())
                                  for a in prepared.attachments]
        client.send_mail(message, prepared.save_to_sent_items, mailbox=mailbox)
        return chosen.kind
    draft = client.create_draft(message, mailbox=mailbox)
    for file in chosen.small:
        client.add_attachment(draft["id"], file, mailbox=mailbox)
    for file in chosen.large:
        session = client.create_upload_session(draft["id"], file, mailbox=mailbox)
        client.upload_file(session["uploadUrl"], file.path)
    client.send_draft(draft["id"], mailbox=mailbox)
    return chosen.kind


def _tagged(item: dict, key: str) -> bool:
    return any(h.get("name", "").lower() == DRAFT_ID_HEADER and h.get("value") == key
               for h in item.get("internetMessageHeaders") or [])


def _when(item: dict) -> float | None:
    text = item.get("sentDateTime") or item.get("receivedDateTime")
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def sent_copy(client: GraphClient, mailbox: str | None, key: str, since: float) -> bool:
    """True when the mailbox's Sent Items holds a message tagged ``key``, looking back (newest
    first) to ``since`` (epoch seconds, less SLACK)."""
    url = f"{_mailbox(mailbox)}/mailFolders/sentitems/messages"
    params = {"$top": str(PAGE), "$orderby": "receivedDateTime desc",
              "$select": "internetMessageHeaders,sentDateTime,receivedDateTime"}
    while url:
        body = client._request("GET", url, params=params).json()
        items = body.get("value", [])
        if any(_tagged(item, key) for item in items):
            return True
        times = [t for t in map(_when, items) if t is not None]
        if not items or (times and max(times) < since - SLACK):
            return False
        url, params = body.get("@odata.nextLink"), None
    return False


def still_a_draft(client: GraphClient, mailbox: str | None, message_id: str) -> bool:
    """True while the message is an unsent draft of the mailbox (sending moves it out of
    Drafts, so its id no longer answers). UNCONFIRMED: how long Exchange may keep a draft in
    Drafts after answering 202 to POST …/send; it is asked only a lease's length later."""
    try:
        item = client.get_message(message_id, select=["isDraft"], mailbox=mailbox)
    except GraphError as exc:
        if exc.status == 404:
            return False
        raise
    return bool(item.get("isDraft"))


def discard_tagged_drafts(client: GraphClient, mailbox: str | None, key: str) -> int:
    """Delete drafts a dead worker left half-made for ``key``; how many went."""
    gone = 0
    for item in client.list_messages("drafts", select=["internetMessageHeaders"], top=PAGE,
                                     mailbox=mailbox):
        if _tagged(item, key):
            client._request("DELETE", f"{_mailbox(mailbox)}/messages/{quote(item['id'], safe='')}")
            gone += 1
    return gone
