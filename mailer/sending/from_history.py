"""From another mailbox: what can be known before anything goes to Graph, and what was learned.

Graph cannot say which mailboxes a person may send from (Send As and Send on Behalf are Exchange
rights that no Graph call lists), and it checks them only when the message is submitted: a
draft with any ``from`` is accepted, its attachments upload, and only the final send answers
403 ErrorSendAsDenied. So no request can learn a refusal before the uploads; what we can do:

- a personal Microsoft account has no such rights at all: refuse at once, before consent;
- remember, per signed-in user, the From addresses Graph refused and those that worked
  (``FromHistory``, in the job store so the worker that sends can record its outcome): warn
  before sending from one refused before (the person confirms: rights may have been granted
  since) and offer the ones that worked as suggestions;
- after a refusal, say that nothing was sent, the attachments included, and the draft is intact.

The words for all this are the compose page's (mailer/web/compose/from_field.py).

One record per user (the most recent addresses first, a few of each); a lost update when two
sends of one user finish at the same instant in two processes costs only a hint.
"""
from __future__ import annotations

import logging
import threading
import time

from mailer.sending.store import KeyValueStore

logger = logging.getLogger(__name__)

SEND_AS_DENIED = "ErrorSendAsDenied"
SENT, FAILED = "sent", "failed"  # a send job's states (mailer/delivery/outcomes.py)
KEEP = 20  # addresses remembered per list and user


def address_key(address: str) -> str:
    return (address or "").strip().lower()


class FromHistory:
    """Per user: From addresses Graph refused (ErrorSendAsDenied) and ones that sent."""

    def __init__(self, store: KeyValueStore):
        self.store = store
        self._lock = threading.Lock()  # read-modify-write within this process

    @staticmethod
    def _key(owner: str) -> str:
        return f"from-history:{owner}"

    def get(self, owner: str | None) -> dict:
        """{"refused": {address: when}, "worked": {address: when}}, newest first."""
        record = self.store.get(self._key(owner)) if owner else None
        record = record if isinstance(record, dict) else {}
        return {kind: dict(record.get(kind) or {}) for kind in ("refused", "worked")}

    def refused_at(self, owner: str | None, address: str) -> float | None:
        return self.get(owner)["refused"].get(address_key(address))

    def record(self, owner: str, address: str, worked: bool) -> None:
        """Remember one outcome; an address is in one list only (the latest outcome wins)."""
        key = address_key(address)
        with self._lock:
            record = self.get(owner)
            mine, other = ("worked", "refused") if worked else ("refused", "worked")
            record[other].pop(key, None)
            record[mine].pop(key, None)
            record[mine] = dict(list({key: time.time(), **record[mine]}.items())[:KEEP])
            self.store.put(self._key(owner), record)
        logger.info("From %s for this user", "worked" if worked else "was refused")

    def record_job(self, job: dict) -> None:
        """Called by the send engine with each finished compose job: learn from one that set
        From."""
        address, owner = job.get("from_address"), job.get("owner")
        if not address or not owner:
            return
        if job["state"] == SENT:
            self.record(owner, address, worked=True)
        elif job["state"] == FAILED and job.get("error_code") == SEND_AS_DENIED:
            self.record(owner, address, worked=False)
