"""A compose that outgrows one sendMail lives as a draft in the person's own mailbox, as Outlook
on the web keeps it: created the moment it needs to be (a large file picked, small files adding
up past one sendMail, or "Save draft"), its files going into it as they are picked.

- A large file streams from the request body into an upload session chunk by chunk (memory: one
  chunk); the draft record lists it only once Graph answered 201 with its attachment's id, so an
  upload cut short (the browser gone, this instance killed) leaves no entry and, since an upload
  session makes no attachment until its last byte, nothing in the draft either.
- Creating the mailbox draft is done by one instance at a time (a lease in the shared store); a
  creation cut short is found again by the ``x-mailer-draft-id`` header it carries, never doubled.
- The record is the truth about which attachments belong: before a send, an attachment the record
  does not list (an upload whose answer was lost, a removal half done) is deleted from the draft.

Flask-free: the web layer passes a GraphClient holding Mail.ReadWrite.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from typing import BinaryIO

from mailer.graph.client import GraphClient
from mailer.graph.errors import GraphError
from mailer.graph.shapes import FileSource
from mailer.graph.uploads import StreamSource
from mailer.sending import recovery
from mailer.sending.compose import (Attachment, ComposeData, parse_address, parse_recipients,
                                    sanitize_filename, sanitize_html)
from mailer.sending.draft_files import (IN_GRAPH, IN_STORE, DraftError, StoredAttachment,
                                        is_file_id, new_entry, take_in)
from mailer.sending.drafts import DraftStore
from mailer.sending.plan import DRAFT_ID_HEADER, Limits, outgrows
from mailer.sending.sizes import file_refusal

logger = logging.getLogger(__name__)

CREATE_LEASE = 60.0  # seconds one instance may spend creating a mailbox draft
_LOCATION_ID = re.compile(r"Attachments\('([^']+)'\)", re.I)
BUSY = "This draft is being saved to your mailbox by another request; try again in a moment."


def text_size(data: ComposeData) -> int:
    """The typed fields' bytes, as they weigh in a sendMail request."""
    return sum(len(str(getattr(data, name) or "").encode("utf-8"))
               for name in ("to", "cc", "bcc", "reply_to", "subject", "body", "from_address"))


def draft_fields(data: ComposeData, me_address: str | None) -> dict:
    """The draft's properties from what was typed, leniently: what is valid goes in (a draft may
    be half-written); the strict check is prepare()'s, at Send."""
    def listed(text: str, label: str) -> list[dict]:
        return [a.graph() for a in parse_recipients(text, label)[0]]
    html = data.body_type != "text"
    fields = {"subject": " ".join((data.subject or "").splitlines()),
              "body": {"contentType": "html" if html else "text",
                       "content": sanitize_html(data.body) if html else (data.body or "")},
              "toRecipients": listed(data.to, "To"), "ccRecipients": listed(data.cc, "Cc"),
              "bccRecipients": listed(data.bcc, "Bcc"), "replyTo": listed(data.reply_to, "Reply-To"),
              "importance": data.importance if data.importance in ("low", "normal", "high")
              else "normal"}
    try:
        sender = parse_address(data.from_address.strip(), "From") if data.from_address.strip() \
            else None
    except ValueError:
        sender = None
    if sender and sender.address.lower() != (me_address or "").lower():
        fields["from"] = sender.graph()
    return fields


def drop_unlisted(client: GraphClient, graph_id: str, keep: set) -> None:
    """Delete from the mailbox draft every attachment whose id is not in ``keep``."""
    for item in client.list_attachments(graph_id):
        if item.get("id") not in keep:
            logger.info("mailbox draft: an attachment its record does not list is removed")
            MailboxDrafts._delete_attachment(client, graph_id, item.get("id"))


class MailboxDrafts:
    """The mailbox side of drafts: create, add and remove files, save, reconcile, discard."""

    def __init__(self, drafts: DraftStore, limits: Limits, sleep=time.sleep):
        self.drafts, self.limits, self.sleep = drafts, limits, sleep

    def needs_mailbox(self, draft_id: str, owner: str, adding: int | None = None) -> bool:
        """True when this draft is, or with a file of ``adding`` bytes would become, one that
        cannot be a single sendMail (one read of its record)."""
        record = self.drafts.owned(draft_id, owner)
        if (record.get("graph") or {}).get("id"):
            return True
        sizes = [e["size"] for e in record["files"]] + ([adding] if adding is not None else [])
        return outgrows(text_size(self.drafts.load(draft_id, owner, record)), sizes, self.limits)

    def mailbox_id(self, draft_id: str, owner: str) -> str | None:
        return self.drafts.entries(draft_id, owner)[0]

    def ensure(self, draft_id: str, owner: str, client: GraphClient,
               me_address: str | None = None, made: list | None = None) -> str:
        """The mailbox draft's id, creating it (with the files held so far) if need be;
        ``made`` gets a True when this call created it."""
        graph_id = self.mailbox_id(draft_id, owner)
        if graph_id:
            return graph_id
        key, token = f"mailbox-draft:{draft_id}", uuid.uuid4().hex
        deadline = time.monotonic() + CREATE_LEASE
        while not self.drafts.store.take_lease(key, token, CREATE_LEASE):
            if time.monotonic() > deadline:
                raise DraftError(BUSY)
            self.sleep(0.2)
            if graph_id := self.mailbox_id(draft_id, owner):
                return graph_id  # the other request made it
        try:
            if graph_id := self.mailbox_id(draft_id, owner):
                return graph_id
            if made is not None:
                made.append(True)
            return self._create(draft_id, owner, client, me_address)
        finally:
            self.drafts.store.drop_lease(key, token)

    def _create(self, draft_id: str, owner: str, client: GraphClient, me: str | None) -> str:
        data = self.drafts.load(draft_id, owner)
        fields = draft_fields(data, me)
        # Only after an attempt cut short (or whose answer was lost) can a draft exist already.
        found = recovery.drafts_tagged(client, draft_id) \
            if self.drafts.mark_creating(draft_id, owner) else []
        if found:
            graph_id = found[0]
            client.update_message(graph_id, fields)
        else:
            try:
                graph_id = client.create_draft({**fields, "internetMessageHeaders": [
                    {"name": DRAFT_ID_HEADER, "value": draft_id}]})["id"]
            except GraphError as exc:
                if not exc.outcome_unknown or not (found := recovery.drafts_tagged(client,
                                                                                   draft_id)):
                    raise
                graph_id = found[0]
        self.drafts.set_mailbox_id(draft_id, owner, graph_id)
        logger.info("draft %s: now a draft in the mailbox", draft_id)
        if found:
            self.reconcile(client, draft_id, owner)  # what a cut-short creation left behind
        for attachment in data.attachments:
            if isinstance(attachment, StoredAttachment):
                made = client.add_attachment(graph_id, attachment)
                self.drafts.moved_to_mailbox(draft_id, owner, attachment.file_id, made["id"])
        return graph_id

    def add_file(self, draft_id: str, owner: str, client: GraphClient, filename: str,
                 stream: BinaryIO, size: int, content_type: str = "", inline: bool = False,
                 me_address: str | None = None, progress=None) -> Attachment:
        """Put a file into the mailbox draft: a small one posted whole, a large one streamed
        from ``stream`` (exactly ``size`` bytes) through an upload session; ``progress(done,
        total)`` hears each chunk Graph confirmed."""
        name = sanitize_filename(filename)
        _, entries = self.drafts.entries(draft_id, owner)
        if size <= 0:
            raise DraftError(f"{name!r} is empty (0 bytes); attach a file with content.")
        refusal = file_refusal(name, size, sum(e["size"] for e in entries),
                               self.limits.max_file, self.limits.max_message)
        if refusal:
            raise DraftError(refusal)
        graph_id = self.ensure(draft_id, owner, client, me_address)
        entry = new_entry(name, size, content_type, inline, IN_GRAPH)
        source = FileSource(name, None, size, entry["content_type"], entry["inline"],
                            entry["content_id"])
        if size < self.limits.small_attachment_max:
            data = take_in(name, stream, used=0, small_max=self.limits.small_attachment_max,
                           max_file=self.limits.max_file, max_draft=self.limits.max_message)
            if len(data) != size:
                raise DraftError(f"{name!r}: {len(data):,} bytes arrived of the {size:,} "
                                 "announced; attach it again.")
            held = StoredAttachment(name, None, size, source.content_type, source.is_inline,
                                    source.content_id, read=lambda: data)
            entry["graph_id"] = client.add_attachment(graph_id, held)["id"]
        else:
            known = {e.get("graph_id") for e in entries}
            entry["graph_id"] = self._upload(client, graph_id, source, stream, known, progress)
        try:
            return self.drafts.add_entry(draft_id, owner, entry)
        except BaseException:
            self._delete_attachment(client, graph_id, entry["graph_id"])
            raise

    def _upload(self, client: GraphClient, graph_id: str, source: FileSource,
                stream: BinaryIO, known: set, progress=None) -> str:
        session = client.create_upload_session(graph_id, source)
        try:
            location = client.upload_file(session["uploadUrl"],
                                          StreamSource(stream, source.size, source.name),
                                          progress)
        except (ValueError, GraphError, OSError) as exc:
            if isinstance(exc, GraphError) and exc.status in (0, 404):
                # The last chunk's answer was lost (the session is gone once complete): the
                # draft's attachments are the witness.
                if arrived := self._arrived(client, graph_id, source, known):
                    return arrived
            client.cancel_upload(session["uploadUrl"])  # no attachment is made before the end
            if isinstance(exc, GraphError):
                raise
            raise DraftError(f"The upload of {source.name!r} stopped before its end; nothing of "
                             "it was kept. Attach it again.") from exc
        match = _LOCATION_ID.search(location or "")
        if match:
            return match.group(1)
        # No Location (UNCONFIRMED that Outlook always sends one): found by name and size.
        if arrived := self._arrived(client, graph_id, source, known):
            return arrived
        raise DraftError(f"{source.name!r} was uploaded but Microsoft did not show it in the "
                         "draft; attach it again.")

    @staticmethod
    def _arrived(client: GraphClient, graph_id: str, source: FileSource, known: set) -> str | None:
        """The id of an attachment of ``source``'s name and (at least) size that no entry of
        the record holds yet: the upload just made (UNCONFIRMED whether Outlook's size counts
        a little more than the bytes; at least the bytes holds either way)."""
        listed = [a for a in client.list_attachments(graph_id) if a.get("id") not in known
                  and a.get("name") == source.name and int(a.get("size") or 0) >= source.size]
        return listed[-1]["id"] if listed else None

    def progress_reporter(self, draft_id: str, upload_id: str):
        """``(done, total)`` callback keeping an upload's progress to Graph in the shared store,
        where the page polls it (any instance answers): at most every 0.3 s, and at the end."""
        key, last = f"upload-progress:{draft_id}:{upload_id}", [0.0]

        def report(done: int, total: int) -> None:
            if time.monotonic() - last[0] > 0.3 or done >= total:
                last[0] = time.monotonic()
                self.drafts.store.put(key, {"done": done, "total": total})
        return report

    def forget_progress(self, draft_id: str, upload_id: str) -> None:
        if is_file_id(upload_id):
            self.drafts.store.delete(f"upload-progress:{draft_id}:{upload_id}")

    def progress(self, draft_id: str, owner: str, upload_id: str) -> dict | None:
        self.drafts.entries(draft_id, owner)  # DraftNotFound for another person's draft
        return self.drafts.store.get(f"upload-progress:{draft_id}:{upload_id}")

    def remove_file(self, draft_id: str, owner: str, client: GraphClient | None,
                    file_id: str) -> None:
        """Remove a file from the record, then from the mailbox draft (a failure there is
        mended by ``reconcile`` before any send)."""
        graph_id = self.mailbox_id(draft_id, owner)
        for entry in self.drafts.remove_file(draft_id, owner, file_id):
            if entry.get("where") == IN_GRAPH and graph_id and client is not None:
                self._delete_attachment(client, graph_id, entry.get("graph_id"))

    def save(self, draft_id: str, owner: str, client: GraphClient,
             me_address: str | None = None) -> str:
        """"Save draft": the typed fields into the mailbox draft (made with them if need be)."""
        made: list[bool] = []
        graph_id = self.ensure(draft_id, owner, client, me_address, made)
        if not made:  # made by this call: from these very fields already
            client.update_message(graph_id, draft_fields(self.drafts.load(draft_id, owner),
                                                         me_address))
        return graph_id

    def reconcile(self, client: GraphClient, draft_id: str, owner: str) -> None:
        """Delete from the mailbox draft every attachment the record does not list."""
        graph_id, entries = self.drafts.entries(draft_id, owner)
        if not graph_id:
            return
        drop_unlisted(client, graph_id, {e.get("graph_id") for e in entries
                                         if e.get("where") == IN_GRAPH})

    def discard(self, draft_id: str, owner: str, client: GraphClient | None) -> None:
        graph_id = self.mailbox_id(draft_id, owner)
        if graph_id and client is not None:
            try:
                client.delete_message(graph_id)
            except GraphError as exc:
                if exc.status != 404:
                    raise
        self.drafts.forget(draft_id, owner)

    @staticmethod
    def _delete_attachment(client: GraphClient, graph_id: str, attachment_id: str | None) -> None:
        if not attachment_id:
            return
        try:
            client.delete_attachment(graph_id, attachment_id)
        except GraphError as exc:
            if exc.status != 404:
                logger.info("could not delete an attachment of draft %s: %s", graph_id, exc.code)


__all__ = ["MailboxDrafts", "draft_fields", "text_size", "IN_STORE"]
