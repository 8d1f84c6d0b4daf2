"""One send plan for every message: a single sendMail, or draft → attachments → send.

sendMail carries the whole message, attachments base64-encoded, in one request that Graph caps
at about 4 MB. The plan measures that request *exactly* (the JSON we would send, with each
file's base64 length computed from its size, 4·⌈n/3⌉) and uses sendMail only when it stays under
the cap minus a safety margin. Otherwise it creates a draft, posts small files (< 3 MB) to it,
streams each large one through an upload session, and sends the draft. Size limits are checked
here, before anything is uploaded, and the plan names the scopes it needs so the view can ask
for incremental consent first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mailer.graph.shapes import base64_length, encode_json, file_attachment_json
from mailer.sending.compose import Attachment, PreparedMessage
from mailer.sending.sizes import file_refusal, human, message_refusal

SENDMAIL = "sendmail"
DRAFT = "draft"  # made at Send: a draft, its attachments, then send
MAILBOX = "mailbox"  # already a draft in the mailbox (mailbox_drafts.py): PATCH, then send
DRAFT_ID_HEADER = "x-mailer-draft-id"  # custom headers must start with x-


@dataclass(frozen=True)
class Limits:
    """Graph's and Exchange's limits, as config.py declares them (Microsoft's by default)."""

    sendmail_max_request: int  # Graph's request cap (SENDMAIL_MAX_REQUEST)
    sendmail_margin: int  # keep this far under the cap: headers, rounding (SENDMAIL_MARGIN)
    small_attachment_max: int  # POST .../attachments takes files below this (SMALL_ATTACHMENT_MAX)
    max_file: int  # per file (MAX_FILE_SIZE)
    max_message: int  # per message (MAX_MESSAGE_SIZE)
    max_recipients: int  # To, Cc and Bcc together (MAX_RECIPIENTS)

    @property
    def sendmail_budget(self) -> int:
        return self.sendmail_max_request - self.sendmail_margin


class PlanRefused(ValueError):
    """The message cannot be sent at all (a file or the whole message is too big)."""

    def __init__(self, errors: list[str]):
        super().__init__(" ".join(errors))
        self.errors = errors


@dataclass
class SendPlan:
    kind: str  # SENDMAIL or DRAFT
    scopes: list[str]
    request_bytes: int  # exact size of the sendMail body (even when over budget)
    total_bytes: int  # raw bytes of all attachments: the progress bar's 100 %
    small: list[Attachment] = field(default_factory=list)  # posted to the draft
    large: list[Attachment] = field(default_factory=list)  # through upload sessions
    reason: str = ""
    graph_id: str | None = None  # MAILBOX: the draft in the mailbox


def message_with_header(prepared: PreparedMessage, draft_id: str | None) -> dict:
    """The message JSON, tagged with the draft id so a sent copy can be found later."""
    message = dict(prepared.message)
    if draft_id:
        message["internetMessageHeaders"] = [{"name": DRAFT_ID_HEADER, "value": draft_id}]
    return message


def sendmail_size(prepared: PreparedMessage, draft_id: str | None = None) -> int:
    """Exact byte length of the sendMail request body with every file inlined (the draft-id
    header included: without an id, one of a uuid's length stands in)."""
    message = message_with_header(prepared, draft_id or "0" * 36)
    message["attachments"] = [file_attachment_json(a) for a in prepared.attachments]
    skeleton = {"message": message, "saveToSentItems": prepared.save_to_sent_items}
    # contentBytes are ASCII base64: each adds its length and nothing else to the JSON.
    return len(encode_json(skeleton)) + sum(base64_length(a.size) for a in prepared.attachments)


def scopes_for(kind: str, from_address: str | None) -> list[str]:
    scopes = ["Mail.Send"]
    if kind in (DRAFT, MAILBOX):
        scopes.append("Mail.ReadWrite")
    if from_address:
        scopes.append("Mail.Send.Shared")
    return scopes


def check_sizes(prepared: PreparedMessage, limits: Limits) -> list[str]:
    """Every size problem, each naming the file and the limit; empty when all is well."""
    errors = [file_refusal(a.name, a.size, 0, limits.max_file, limits.max_message)
              for a in prepared.attachments if a.size > limits.max_file]
    total = sum(a.size for a in prepared.attachments)
    body = len(prepared.message.get("body", {}).get("content", "").encode("utf-8"))
    biggest = max(prepared.attachments, key=lambda a: a.size, default=None)
    problem = message_refusal(total + body, limits.max_message,
                              (biggest.name, biggest.size) if biggest else None)
    return errors + ([problem] if problem else [])


def outgrows(fields_bytes: int, file_sizes: list[int], limits: Limits) -> bool:
    """True when a message of about ``fields_bytes`` of text and these files cannot be one
    sendMail (or holds a file too big to post inline): it then becomes a mailbox draft at once.
    An estimate that errs towards the draft: the exact measure is sendmail_size, at Send."""
    if any(size >= limits.small_attachment_max for size in file_sizes):
        return True
    overhead = 2048 + 300 * len(file_sizes)  # JSON keys, names, types, the draft-id header
    return fields_bytes + overhead + sum(base64_length(s) for s in file_sizes) > \
        limits.sendmail_budget


def plan(prepared: PreparedMessage, limits: Limits, draft_id: str | None = None,
         mailbox_draft: str | None = None) -> SendPlan:
    """Choose how to send ``prepared``; raises PlanRefused if no way fits the limits.
    ``mailbox_draft``: the Graph id of the draft in the mailbox this message already is."""
    errors = check_sizes(prepared, limits)
    if errors:
        raise PlanRefused(errors)
    size = sendmail_size(prepared, draft_id)
    total = sum(a.size for a in prepared.attachments)
    if mailbox_draft:
        return SendPlan(MAILBOX, scopes_for(MAILBOX, prepared.from_address), size, total,
                        small=[a for a in prepared.attachments if not a.graph_id],
                        reason="a draft in the mailbox already: update it, then send",
                        graph_id=mailbox_draft)
    if size <= limits.sendmail_budget:
        return SendPlan(SENDMAIL, scopes_for(SENDMAIL, prepared.from_address), size, total,
                        reason=f"one sendMail request of {human(size)}")
    small = [a for a in prepared.attachments if a.size < limits.small_attachment_max]
    large = [a for a in prepared.attachments if a.size >= limits.small_attachment_max]
    return SendPlan(DRAFT, scopes_for(DRAFT, prepared.from_address), size, total, small, large,
                    reason=f"{human(size)} is over the {human(limits.sendmail_budget)} that one "
                           "sendMail request safely carries: draft, attachments, then send")
