"""Graph's message JSON as the pages show it: names, dates, and "on behalf of" as Outlook says it.
Dates stay Graph's UTC timestamps: the templates show them with ``local_time`` (times.py)."""
from __future__ import annotations


def person(recipient: dict | None) -> dict:
    """{name, address, label} of a Graph recipient ({} when there is none)."""
    address = ((recipient or {}).get("emailAddress") or {})
    name, mail = (address.get("name") or "").strip(), (address.get("address") or "").strip()
    if not (name or mail):
        return {}
    return {"name": name or mail, "address": mail,
            "label": f"{name} <{mail}>" if name and mail and name != mail else (name or mail)}


def people(recipients) -> list[dict]:
    return [p for p in (person(r) for r in recipients or []) if p]


def on_behalf(message: dict) -> tuple[dict, dict | None]:
    """(from, sender-when-someone-else): Outlook shows "Sender on behalf of From" when the
    account that sent it is not the mailbox it is from."""
    author, sender = person(message.get("from")), person(message.get("sender"))
    if sender and author and sender["address"].lower() != author["address"].lower():
        return author, sender
    return author or sender, None


def from_line(message: dict) -> str:
    author, sender = on_behalf(message)
    if sender:
        return f"{sender['name']} on behalf of {author['name']}"
    return author.get("name", "")


def row_view(message: dict, folder: str) -> dict:
    """One line of a folder: Sent Items and Drafts show the recipients, as Outlook does."""
    draft = bool(message.get("isDraft"))
    if folder in ("sentitems", "drafts") or draft:  # a discarded draft in Deleted Items too
        who = ", ".join(p["name"] for p in people(message.get("toRecipients"))) or "(no recipients)"
    else:
        who = from_line(message) or "(unknown sender)"
    saved = message.get("lastModifiedDateTime") if draft else None  # a draft's last save
    return {"id": message.get("id"), "who": who,
            "subject": message.get("subject") or "(no subject)",
            "preview": (message.get("bodyPreview") or "")[:160],
            "when": saved or message.get("receivedDateTime") or message.get("sentDateTime") or "",
            "unread": message.get("isRead") is False, "draft": bool(message.get("isDraft")),
            "attachments": bool(message.get("hasAttachments")),
            "importance": message.get("importance") or "normal"}


def message_view(message: dict) -> dict:
    author, sender = on_behalf(message)
    return {"id": message.get("id"), "subject": message.get("subject") or "(no subject)",
            "author": author, "sender": sender, "from_line": from_line(message),
            "to": people(message.get("toRecipients")), "cc": people(message.get("ccRecipients")),
            "bcc": people(message.get("bccRecipients")),
            "reply_to": people(message.get("replyTo")),
            "received": (message.get("lastModifiedDateTime") if message.get("isDraft") else None)
            or message.get("receivedDateTime") or "",
            "sent": message.get("sentDateTime") or "",
            "importance": message.get("importance") or "normal",
            "read": message.get("isRead") is not False, "draft": bool(message.get("isDraft"))}
