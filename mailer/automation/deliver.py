"""Handing one prepared message to Graph, and finding it again in Sent Items.

The plan is the web path's (mailer/sending/plan.py): one sendMail when the request stays under
4 MB, else a draft, its small files, an upload session per large file, and send. Either way
the message carries ``x-mailer-draft-id: <job key>``, so after a worker died mid-request the
next one can look in the sender's Sent Items before sending again (``sent_copy``).
The header lookups are mailer/sending/recovery.py's, asked of the sender's mailbox and, for
Sent Items, back as far as the job's start (other jobs keep sending meanwhile).
"""
from __future__ import annotations

from mailer.automation.errors import AutomationError
from mailer.graph.client import GraphClient
from mailer.graph.shapes import file_attachment_json
from mailer.sending import recovery
from mailer.sending.compose import PreparedMessage
from mailer.sending.plan import SENDMAIL, Limits, PlanRefused, message_with_header, plan

PAGE = 50


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


def sent_copy(client: GraphClient, mailbox: str | None, key: str, since: float) -> bool:
    """True when the mailbox's Sent Items holds a message tagged ``key``, looking back (newest
    first) to ``since`` (epoch seconds)."""
    return recovery.sent_copy(client, key, mailbox, since=since, top=PAGE)


def still_a_draft(client: GraphClient, mailbox: str | None, message_id: str) -> bool:
    """True while the message is an unsent draft of the mailbox (sending moves it out of
    Drafts, so its id no longer answers). UNCONFIRMED: how long Exchange may keep a draft in
    Drafts after answering 202 to POST …/send; it is asked only a lease's length later."""
    return recovery.draft_state(client, message_id, mailbox) == "draft"


def discard_tagged_drafts(client: GraphClient, mailbox: str | None, key: str) -> int:
    """Delete drafts a dead worker left half-made for ``key``; how many went."""
    found = recovery.drafts_tagged(client, key, mailbox, top=PAGE)
    for message_id in found:
        client.delete_message(message_id, mailbox=mailbox)
    return len(found)
