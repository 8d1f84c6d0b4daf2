"""The file half of a draft (drafts.DraftStore is built on it): taking a small file in as bytes
in the shared store, recording a file whose bytes are in place (store or mailbox), a stored file
moving into the mailbox draft, removing one, and the Attachment a sender reads an entry through.

Sizes are checked where the bytes arrive and again when the entry is recorded (another upload
may have landed meanwhile). Ids are checked before any key is built from them.
"""
from __future__ import annotations

from typing import BinaryIO

from mailer.sending.compose import Attachment, sanitize_filename
from mailer.sending.draft_files import (IN_GRAPH, IN_STORE, DraftError, DraftNotFound,
                                        FileNotFound, StoredAttachment, is_draft_id, is_file_id,
                                        new_entry, take_in)
from mailer.sending.sizes import file_refusal

GONE = "This draft does not exist (it may have been sent or cleaned up)."


def valid_id(draft_id: str) -> str:
    if is_draft_id(draft_id):
        return draft_id
    raise DraftNotFound(GONE)


def bytes_key(draft_id: str, file_id: str) -> str:
    return f"draft-file:{draft_id}:{file_id}"


class DraftFiles:
    """Files of drafts; the record's atomic change, ownership and "already sent" refusal come
    from DraftStore."""

    def add_file(self, draft_id: str, owner: str, filename: str, stream: BinaryIO,
                 content_type: str = "", inline: bool = False) -> Attachment:
        """Take a small file in (as bytes in the store); refuses empty names, 0-byte files,
        files over a limit, and files of ``small_max`` or more (those go to the mailbox)."""
        name = sanitize_filename(filename)  # ValueError with a message for the page
        record = self._owned(draft_id, owner)
        self._refuse_if_sent(record)
        data = take_in(name, stream, used=sum(f["size"] for f in record["files"]),
                       small_max=self.small_max, max_file=self.max_file, max_draft=self.max_draft)
        entry = new_entry(name, len(data), content_type, inline, IN_STORE)
        try:
            self.store.put_bytes(bytes_key(draft_id, entry["id"]), data)
            return self.add_entry(draft_id, owner, entry)
        except BaseException:
            self._drop_file(draft_id, entry)
            raise

    def add_entry(self, draft_id: str, owner: str, entry: dict) -> Attachment:
        """Record a file whose bytes are in place (store or mailbox); sizes checked again here:
        another upload may have landed meanwhile."""
        def change(record):
            self._refuse_if_sent(record)
            used = sum(f["size"] for f in record["files"])
            refusal = file_refusal(entry["name"], entry["size"], used, self.max_file,
                                   self.max_draft)
            if refusal:
                raise DraftError(refusal)
            return {**record, "files": record["files"] + [entry]}
        record = self._change(draft_id, owner, change)
        self._touch(draft_id, owner, record)
        return self._attachment(draft_id, entry)

    def moved_to_mailbox(self, draft_id: str, owner: str, file_id: str,
                         attachment_id: str) -> None:
        """A stored file now is an attachment of the mailbox draft: its bytes leave the store."""
        moved = []

        def change(record):
            files = []
            for entry in record["files"]:
                if entry["id"] == file_id and entry.get("where") == IN_STORE:
                    moved.append(entry)
                    entry = {**entry, "where": IN_GRAPH, "graph_id": attachment_id}
                files.append(entry)
            return {**record, "files": files}
        self._change(draft_id, owner, change)
        for entry in moved:
            self._drop_file(draft_id, entry)

    def remove_file(self, draft_id: str, owner: str, file_id: str) -> list[dict]:
        """Remove one file; an id no file can have is refused before any key is built, and a
        well-formed one already gone is not an error (a double click)."""
        if not is_file_id(file_id):
            raise FileNotFound("There is no such attachment in this draft (it may have been "
                               "removed already); reload the page to see its attachments.")
        removed = []

        def change(record):
            self._refuse_if_sent(record)
            removed[:] = [f for f in record["files"] if f["id"] == file_id]
            return {**record, "files": [f for f in record["files"] if f["id"] != file_id]}
        self._change(draft_id, owner, change)
        for entry in removed:
            self._drop_file(draft_id, entry)
        return removed  # the caller deletes one in the mailbox draft

    def attachment(self, draft_id: str, entry: dict) -> Attachment:
        """The file ``entry`` (as the record lists it) as an Attachment: a send job keeps the
        entries it was started with and reads the bytes here when it runs."""
        return self._attachment(valid_id(draft_id), entry)

    def _attachment(self, draft_id: str, entry: dict) -> Attachment:
        details = (entry["size"], entry["content_type"], entry["inline"], entry.get("content_id"),
                   entry["id"])
        if entry.get("where") == IN_STORE:
            key = bytes_key(draft_id, entry["id"])
            return StoredAttachment(entry["name"], None, *details,
                                    read=lambda: self.store.get_bytes(key))
        # In the mailbox draft (or, from before this release, on an instance's disk: gone).
        return Attachment(entry["name"], None, *details, graph_id=entry.get("graph_id"),
                          kept_as_is=entry.get("kind") == "kept")

    def _drop_file(self, draft_id: str, entry: dict) -> None:
        if entry.get("where") == IN_STORE:
            self.store.delete_bytes(bytes_key(draft_id, entry["id"]))
