"""From another mailbox: what can be known before anything goes to Graph, and what was learned.

Graph cannot say which mailboxes a person may send from (Send As and Send on Behalf are Exchange
rights that no Graph call lists), and it checks them only when the message is submitted: a
draft with any ``from`` is accepted, its attachments upload, and only the final send answers
403 ErrorSendAsDenied. So no request can learn a refusal before the uploads; what we can do:

- a personal Microsoft account has no such rights at all: refuse at once, before consent;
- remember, per signed-in user, the From addresses Graph refused and those that worked
  (``FromHistory``, in the job store so the background send can record its outcome): warn
  before sending from one refused before (the person confirms: rights may have been granted
  since) and offer the ones that worked as suggestions;
- after a refusal, say that nothing was sent, the attachments included, and the draft is intact.

One record per user (the most recent addresses first, a few of each); a lost update when two
sends of one user finish at the same instant in two processes costs only a hint.
"""
from __future__ import annotations

import logging
import threading
import time

from mailer.sending.jobs import NOT_SENT, SENT
from mailer.sending.store import KeyValueStore

logger = logging.getLogger(__name__)

SEND_AS_DENIED = "ErrorSendAsDenied"
KEEP = 20  # addresses remembered per list and user
CONFIRMED = "from_confirmed"  # session key: {draft id: From address confirmed for it}
PERSONAL = ("You are signed in with a personal Microsoft account, which can send only from its "
            "own address ({me}): Send As and Send on Behalf exist only for work or school "
            "mailboxes. Clear From to send as yourself.")
REFUSED_BEFORE = ("Microsoft 365 refused to send from {address} last time ({when}): you had "
                  "neither Send As nor Send on Behalf on it. If you have been given the right "
                  "since, tick the box below and send; otherwise clear From.")
NOTHING_SENT = ("Nothing was sent to anyone: not the message, and not its attachments{uploaded}. "
                "Your draft here is intact, with every file: send it from your own address, or "
                "send again once you have the right.")


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
        """SendJobs' on_finish hook: learn from a finished send that set From."""
        address, owner = job.get("from_address"), job.get("owner")
        if not address or not owner:
            return
        if job["state"] == SENT:
            self.record(owner, address, worked=True)
        elif job["state"] == NOT_SENT and job.get("error_code") == SEND_AS_DENIED:
            self.record(owner, address, worked=False)


def personal_error(user: dict | None, typed_from: str) -> str | None:
    """The refusal for a personal account sending from another address, else None."""
    me = (user or {}).get("username") or ""
    typed = _bare(typed_from)
    if (user or {}).get("personal") and typed and typed != address_key(me):
        return PERSONAL.format(me=me)
    return None


def when(timestamp: float) -> str:
    return time.strftime("%d %b %Y, %H:%M UTC", time.gmtime(timestamp))


def refusal_note(job: dict | None) -> str:
    """Words added to a send refused with ErrorSendAsDenied: nothing went out, draft intact."""
    if not job or job.get("error_code") != SEND_AS_DENIED:
        return ""
    uploaded = ""
    if job.get("plan") == "draft" and job.get("files"):
        uploaded = (", which were uploaded to a temporary draft in your mailbox and never left "
                    "it (Microsoft 365 checks the right to send from another mailbox only at "
                    "the final send)")
    return NOTHING_SENT.format(uploaded=uploaded)


def page_state(history: FromHistory, user: dict, owner: str | None, typed: str,
               confirmed: str = "") -> dict:
    """What the compose page needs next to From: suggestions, warnings, the confirmation box."""
    me = (user or {}).get("username") or ""
    personal = bool((user or {}).get("personal"))
    record = history.get(owner)
    typed_key = _bare(typed)
    other = bool(typed_key) and typed_key != address_key(me)
    refused_at = record["refused"].get(typed_key) if other and not personal else None
    return {
        "me": me, "personal": personal, "personal_words": PERSONAL.format(me=me),
        "worked": [] if personal else list(record["worked"]),
        "refused": {a: when(t) for a, t in record["refused"].items()},
        "warn": "personal" if personal and other else ("refused" if refused_at else ""),
        "address": typed_key,
        "refused_template": REFUSED_BEFORE,  # the page fills it in as From is typed
        "refused_words": REFUSED_BEFORE.format(address=typed_key,
                                               when=when(refused_at)) if refused_at else "",
        "confirmed": bool(refused_at) and address_key(confirmed) == typed_key,
    }


def _bare(typed: str) -> str:
    """The address of a From as typed (``Name <address>`` too), lower-cased; no validation."""
    text = (typed or "").strip()
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1:-1]
    return address_key(text)
