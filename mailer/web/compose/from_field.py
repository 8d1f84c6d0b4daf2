"""The compose page's From field: what it says next to From, before and after a refusal.

Graph checks Send As and Send on Behalf only at the final send (see
mailer/sending/from_history.py): so the page refuses a personal account's other address at
once, warns before sending from an address refused before (the person may tick "send anyway"),
offers addresses that worked, and after a refusal says that nothing at all went out.
"""
from __future__ import annotations

import time

from mailer.sending.from_history import SEND_AS_DENIED, FromHistory, address_key

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


def personal_error(user: dict | None, typed_from: str) -> str | None:
    """The refusal for a personal account sending from another address, else None."""
    me = (user or {}).get("username") or ""
    typed = _bare(typed_from)
    if (user or {}).get("personal") and typed and typed != address_key(me):
        return PERSONAL.format(me=me)
    return None


def when(timestamp: float) -> str:
    """In UTC, saying so; the page shows it in the browser's zone (data-refused holds ISO)."""
    return time.strftime("%d %b %Y, %H:%M UTC", time.gmtime(timestamp))


def iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def refusal_note(job: dict | None) -> str:
    """Words added to a send refused with ErrorSendAsDenied: nothing went out, draft intact."""
    if not job or job.get("error_code") != SEND_AS_DENIED:
        return ""
    uploaded = ""
    if job.get("plan") == "draft" and job.get("files"):
        uploaded = (", which were uploaded to a temporary draft in your mailbox and never left "
                    "it (Microsoft 365 checks the right to send from another mailbox only at "
                    "the final send)")
    elif job.get("plan") == "mailbox" and job.get("files"):
        uploaded = (", which are in your draft in the Drafts folder and never left it (Microsoft "
                    "365 checks the right to send from another mailbox only at the final send)")
    return NOTHING_SENT.format(uploaded=uploaded)


def offers(me: str, personal: bool, worked, opened) -> list[dict]:
    """The mailboxes From offers: the person's own, those Graph accepted from them before, the
    shared mailboxes they opened here (a personal account: its own only)."""
    found = [{"address": me, "note": "you"}] if me else []
    if not personal:
        found += [{"address": a, "note": "sent from before"} for a in worked]
        found += [{"address": a, "note": "a mailbox you opened"} for a in opened]
    seen, unique = set(), []
    for offer in found:
        if address_key(offer["address"]) not in seen:
            seen.add(address_key(offer["address"]))
            unique.append(offer)
    return unique


def page_state(history: FromHistory, user: dict, owner: str | None, typed: str,
               confirmed: str = "", opened=()) -> dict:
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
        "offers": offers(me, personal, list(record["worked"]), opened),
        "refused": {a: iso(t) for a, t in record["refused"].items()},
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
