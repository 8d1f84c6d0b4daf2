"""Adopting a draft of the person's mailbox as a compose draft: a reply or forward Graph just
made (createReply, createReplyAll, createForward), or any draft of the Drafts folder, written
here or in Outlook.

Adopting reads the Graph draft (fields, attachments without their content) and makes a local
record pointing at it, exactly as a compose that outgrew one sendMail points at its mailbox
draft (mailbox_drafts.py): every attachment is an entry "in the mailbox" with its Graph id, so
the send's reconcile step keeps it, and an inline one keeps its content id, so the body's
``cid:`` still shows it. Item and reference attachments (a message or a link attached in
Outlook) cannot be read as files: they are recorded too (so they are never deleted) and are
marked as kept as they are.

The same Graph draft adopted twice (two tabs, two clicks) opens the same local draft: a small
index in the draft store maps the person and the Graph id to the local draft id. A draft made by
this app carries its local id in the ``x-mailer-draft-id`` header: that record is opened if it
still holds this Graph draft. Flask-free.

Round trips: continuing a draft reads it and its attachments in one ``$batch``; a reply or
forward reads nothing more of the draft than createReply's own answer (201 with the message) and
then lists its attachments. A batch cannot chain those two (``dependsOn`` orders requests, but a
request cannot name the id another one creates), so that is two round trips, from three.
"""
from __future__ import annotations

import hashlib
import logging
from urllib.parse import quote

from mailer.graph.batch import Call
from mailer.graph.client import GraphClient, _mailbox
from mailer.sending import send_later
from mailer.sending.compose import ComposeData, sanitize_filename
from mailer.sending.draft_files import IN_GRAPH, DraftError, new_entry
from mailer.sending.drafts import DraftNotFound, DraftStore
from mailer.sending.plan import DRAFT_ID_HEADER

logger = logging.getLogger(__name__)

KINDS = {"reply": "createReply", "replyall": "createReplyAll", "forward": "createForward"}
READ_FIELDS = ("subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo",
               "from", "importance", "isDraft", "internetMessageHeaders")
ATTACHMENT_FIELDS = "id,name,size,contentType,isInline,contentId"
FILE = "#microsoft.graph.fileAttachment"
KEPT_AS_IS = "kept"  # an entry's "kind": an item or reference attachment, not a file


class NotADraft(DraftError):
    """The message is not a draft (sent or received mail cannot be continued)."""


def _message_path(message_id: str) -> str:
    return f"{_mailbox(None)}/messages/{quote(message_id, safe='')}"


def create_response(client: GraphClient, message_id: str, kind: str) -> dict:
    """POST …/createReply | createReplyAll | createForward: the new draft, as Graph answers it
    (201 with the message: its default properties, body and recipients included)."""
    action = KINDS[kind]
    return client._request("POST", f"{_message_path(message_id)}/{action}").json()


def _read_draft(graph_id: str) -> Call:
    return Call("draft", "GET", _message_path(graph_id), params={
        "$select": ",".join(READ_FIELDS),
        "$expand": f"singleValueExtendedProperties($filter=id eq '{send_later.PROPERTY}')"})


def _list_attachments(graph_id: str) -> Call:
    return Call("attachments", "GET", f"{_message_path(graph_id)}/attachments",
                params={"$select": ATTACHMENT_FIELDS})


def address_text(recipients) -> str:
    """Graph recipients as the compose field takes them: ``Name <address>``, comma separated,
    a name quoted when it holds a separator or a quote."""
    shown = []
    for item in recipients or []:
        email = (item or {}).get("emailAddress") or {}
        address, name = (email.get("address") or "").strip(), (email.get("name") or "").strip()
        if not address:
            continue
        if not name or name.lower() == address.lower():
            shown.append(address)
        elif any(ch in name for ch in ',;"<>\\') or "\n" in name:
            escaped = " ".join(name.split()).replace("\\", "\\\\").replace('"', '\\"')
            shown.append(f'"{escaped}" <{address}>')
        else:
            shown.append(f"{name} <{address}>")
    return ", ".join(shown)


def compose_data(message: dict, me_address: str | None) -> ComposeData:
    """The compose fields of a Graph message (From only when it is not the person's own)."""
    body = message.get("body") or {}
    sender = ((message.get("from") or {}).get("emailAddress") or {}).get("address") or ""
    deferred = send_later.read_property(message.get("singleValueExtendedProperties"))
    return ComposeData(
        to=address_text(message.get("toRecipients")), cc=address_text(message.get("ccRecipients")),
        bcc=address_text(message.get("bccRecipients")),
        reply_to=address_text(message.get("replyTo")),
        subject=" ".join((message.get("subject") or "").splitlines()),
        body=body.get("content") or "",
        body_type="text" if (body.get("contentType") or "").lower() == "text" else "html",
        importance=message.get("importance") if message.get("importance") in
        ("low", "normal", "high") else "normal",
        from_address="" if not sender or sender.lower() == (me_address or "").lower() else sender,
        send_at=deferred or "", send_tz="UTC" if deferred else "")


def attachment_entry(item: dict) -> dict:
    """The record's entry for one attachment of the Graph draft."""
    try:
        name = sanitize_filename(item.get("name") or "")
    except ValueError:
        name = "attachment"
    inline = bool(item.get("isInline"))
    entry = new_entry(name, max(int(item.get("size") or 0), 1), item.get("contentType") or "",
                      inline, IN_GRAPH, graph_id=item.get("id"))
    if inline and item.get("contentId"):
        entry["content_id"] = str(item["contentId"]).strip("<>")[:255]
    kind = item.get("@odata.type") or FILE
    if kind != FILE:
        entry["kind"] = KEPT_AS_IS
    return entry


def _index_key(owner: str, graph_id: str) -> str:
    digest = hashlib.sha256(f"{owner}\0{graph_id}".encode("utf-8", "replace")).hexdigest()
    return "adopted:" + digest[:40]


class Adopter:
    """Makes a compose draft of a Graph draft of the person's own mailbox."""

    def __init__(self, drafts: DraftStore):
        self.drafts = drafts

    def _holds(self, draft_id: str | None, owner: str, graph_id: str) -> bool:
        """True when ``draft_id`` is the owner's unsent local draft of this Graph draft."""
        if not draft_id:
            return False
        try:
            return (self.drafts.entries(draft_id, owner)[0] == graph_id
                    and not self.drafts.is_sent(draft_id, owner))
        except (DraftNotFound, ValueError):
            return False

    @staticmethod
    def create(client: GraphClient, message_id: str, kind: str) -> dict:
        """Reply, reply all or forward ``message_id``: the new Graph draft (``id`` and fields)."""
        return create_response(client, message_id, kind)

    def local_draft(self, owner: str, graph_id: str) -> str | None:
        """The owner's local draft of this Graph draft, if one was adopted and is unsent."""
        known = (self.drafts.store.get(_index_key(owner, graph_id)) or {}).get("draft")
        return known if self._holds(known, owner, graph_id) else None

    def adopt(self, owner: str, client: GraphClient, graph_id: str,
              me_address: str | None = None, message: dict | None = None,
              also: tuple[Call, ...] = ()) -> str:
        """The local draft id for the Graph draft ``graph_id`` (made now, or found again).
        ``message``: the draft as Graph just answered it (createReply's), so not read again.
        ``also``: calls sent in the same round trip as the draft's own (their answers are not
        looked at: marking the answered message read, say)."""
        key = _index_key(owner, graph_id)
        if known := self.local_draft(owner, graph_id):
            if also:
                client.batch(list(also))
            return known
        listing = None
        if message is None:  # the draft and its attachments in one round trip
            answers = client.batch([_read_draft(graph_id), _list_attachments(graph_id), *also])
            message, listing, also = answers["draft"].result(), answers["attachments"], ()
        if message.get("isDraft") is False:
            raise NotADraft("This message has been sent already, so it cannot be continued; "
                            "reply to it or forward it instead.")
        tagged = next((h.get("value") for h in message.get("internetMessageHeaders") or []
                       if (h.get("name") or "").lower() == DRAFT_ID_HEADER), None)
        if self._holds(tagged, owner, graph_id):  # written here, and its record is still here
            self.drafts.store.put(key, {"draft": tagged})
            if also:
                client.batch(list(also))
            return tagged
        listing = listing or client.batch([_list_attachments(graph_id), *also])["attachments"]
        attachments = listing.result().get("value", [])
        draft_id = self.drafts.new(owner)
        try:
            self.drafts.save_fields(draft_id, owner, compose_data(message, me_address))
            self.drafts.set_mailbox_id(draft_id, owner, graph_id)
            for item in attachments:
                self.drafts.add_entry(draft_id, owner, attachment_entry(item))
        except BaseException:
            self.drafts.forget(draft_id, owner)  # the record only: the Graph draft stays
            raise
        # Two tabs at once: the first index entry wins, the other record goes.
        if not self.drafts.store.claim(key, {"draft": draft_id}):
            other = (self.drafts.store.get(key) or {}).get("draft")
            if self._holds(other, owner, graph_id):
                self.drafts.forget(draft_id, owner)
                return other
            self.drafts.store.put(key, {"draft": draft_id})  # a stale entry: replaced
        logger.info("draft %s: adopted a draft of the mailbox (%d attachments)", draft_id,
                    len(attachments))
        return draft_id
