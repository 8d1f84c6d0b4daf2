"""What the compose form becomes: checked addresses, a safe body, and Graph's message JSON.

The view fills a ``ComposeData`` from the form and calls ``prepare()``. Every problem is
collected (not just the first) into ``ComposeInvalid.errors`` keyed by form field, each message
naming the exact address or file at fault, so the page can show them beside what was typed.
Nothing here does I/O except reading attachment sizes; no Flask.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

import nh3
from email_validator import EmailNotValidError, validate_email

from mailer.graph.shapes import FileSource
from mailer.sending import send_later

logger = logging.getLogger(__name__)

IMPORTANCE = ("low", "normal", "high")
BODY_TYPES = ("html", "text")
# The longest subject and body, in characters, whoever writes them (the compose page, the API,
# a merge's rendered rows): a subject is one header line (RFC 5322's 998); a body of 4 Mi
# characters is far beyond what a person types and still bounded in memory.
SUBJECT_MAX = 998
BODY_MAX = 4 * 1024 * 1024
FIELD_LABELS = {"to": "To", "cc": "Cc", "bcc": "Bcc", "reply_to": "Reply-To", "from_address": "From"}
_SEPARATORS = ",;\r\n"
_NAMED = re.compile(r'^(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<plain>[^<>"]*?))\s*<(?P<addr>[^<>]*)>$', re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_RESERVED = re.compile(r'[<>:"/\\|?*]')
# nh3's defaults plus cid: so inline attachments (<img src="cid:...">) survive sanitizing.
_URL_SCHEMES = set(nh3.ALLOWED_URL_SCHEMES) | {"cid"}
_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES["table"] = _ATTRIBUTES.get("table", set()) | {"border", "cellpadding", "cellspacing"}


@dataclass(frozen=True)
class Address:
    address: str  # as Graph gets it: email-validator's local part, the domain in ASCII (IDNA)
    name: str = ""

    def graph(self) -> dict:
        email = {"address": self.address}
        if self.name:
            email["name"] = self.name
        return {"emailAddress": email}


@dataclass
class Attachment(FileSource):
    """A file of a draft under a sanitized display name: the Graph client's FileSource, plus the
    draft store's id for it and, once in the mailbox draft, its attachment id there."""

    file_id: str = ""  # the draft store's id for it (to remove it from the form)
    graph_id: str | None = None  # already an attachment of the mailbox draft: its id there
    kept_as_is: bool = False  # an Outlook item or a link (not a file): it goes as it came


@dataclass
class ComposeData:
    """The compose form as typed; the view fills it, the draft store saves it."""

    to: str = ""
    cc: str = ""
    bcc: str = ""
    reply_to: str = ""
    subject: str = ""
    body: str = ""
    body_type: str = "html"  # "html" or "text"
    importance: str = "normal"
    from_address: str = ""  # empty: the signed-in user's own mailbox
    save_to_sent_items: bool = True
    send_at: str = ""  # send later: the time in UTC (ISO 8601, Z), or "" to send now
    send_tz: str = ""  # the zone it was picked in, to show it again
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class PreparedMessage:
    """A checked compose: Graph's message JSON (without attachments) and the files to attach."""

    message: dict
    attachments: list[Attachment]
    from_address: str | None  # set only when sending from another mailbox
    save_to_sent_items: bool
    recipient_count: int


class ComposeInvalid(ValueError):
    """The form cannot be sent as it is; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def split_addresses(text: str) -> list[str]:
    """Split on comma, semicolon or newline, except inside quotes or <...>."""
    parts, current, quoted, angled, escaped = [], [], False, False, False
    for ch in text or "":
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"' and not angled:
            quoted = not quoted
        elif ch == "<" and not quoted:
            angled = True
        elif ch == ">" and not quoted:
            angled = False
        elif ch in _SEPARATORS and not quoted and not angled:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_address(text: str, label: str = "To") -> Address:
    """One `address`, `Name <address>` or `"Last, First" <address>`; ValueError names it."""
    match = _NAMED.match(text)
    name, raw = "", text
    if match:
        raw = match.group("addr").strip()
        if match.group("quoted") is not None:
            name = re.sub(r"\\(.)", r"\1", match.group("quoted"))
        else:
            name = match.group("plain")
        name = " ".join(name.split(" ")).strip()
    if _CONTROL.search(name):
        raise ValueError(f"{label}: the name in {text!r} contains a line break or control "
                         "character; names must be on one line.")
    if not raw:
        raise ValueError(f"{label}: {text!r} has no email address.")
    try:
        valid = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        hint = ""
        if "@" not in raw:
            hint = ' If it is part of a name, put the name in quotes: "Last, First" <address>.'
        raise ValueError(f"{label}: {raw!r} is not a valid email address ({exc}).{hint}") from None
    # A Unicode domain (bücher.example) was refused at send, so the domain goes in its ASCII form
    # (xn--bcher-kva.example; whether Exchange takes the Unicode form is UNCONFIRMED); the page
    # keeps showing what was typed. A non-ASCII local part has no ASCII form (ascii_email is
    # None): it goes as it is, and Graph says if it refuses it.
    return Address(f"{valid.local_part}@{valid.ascii_domain}", name)


def parse_recipients(text: str, label: str = "To") -> tuple[list[Address], list[str]]:
    """All addresses of one field, and one error per bad address."""
    found, errors = [], []
    for piece in split_addresses(text):
        try:
            found.append(parse_address(piece, label))
        except ValueError as exc:
            errors.append(str(exc))
    return found, errors


def sanitize_html(html: str) -> str:
    """Scripts (and their text), event handlers and javascript: URLs removed; cid: images kept
    for inline files; tables keep their rows, header cells and the borders the editor gives
    them (recipients' mail clients ignore a stylesheet)."""
    return nh3.clean(html or "", url_schemes=_URL_SCHEMES, attributes=_ATTRIBUTES)


def sanitize_filename(name: str) -> str:
    """A display name safe for Graph and for disk: no folders, no control characters.

    Raises ValueError when nothing usable is left (the message says why). Non-ASCII letters
    are kept (NFC-normalised) because people name files in their own language.
    """
    original = name or ""
    base = re.split(r"[\\/]", original)[-1]  # drops ../, C:\ and any folder part
    base = unicodedata.normalize("NFC", base)
    base = _CONTROL.sub("", base)
    base = _WINDOWS_RESERVED.sub("_", base).strip().strip(".").strip()
    if len(base.encode("utf-8")) > 255:  # keep the extension, shorten the stem
        stem, dot, ext = base.rpartition(".")
        ext = (dot + ext) if dot and len(ext) <= 16 else ""
        stem = base[: len(base) - len(ext)] if ext else base
        while len((stem + ext).encode("utf-8")) > 255:
            stem = stem[:-1]
        base = stem + ext
    if not base:
        raise ValueError(f"The file name {original!r} is empty once folder parts are removed; "
                         "rename the file and attach it again.")
    return base


def check_attachment(attachment: Attachment) -> str | None:
    """The problem with one attachment, or None."""
    if attachment.size <= 0:
        return f"{attachment.name!r} is empty (0 bytes); attach a file with content."
    return None


def _one_line(value: str, what: str) -> str | None:
    if "\r" in value or "\n" in value:
        return f"The {what} must be on one line: it contains a line break (CR or LF)."
    if _CONTROL.search(value):
        return f"The {what} contains a control character; remove it."
    return None


def prepare(data: ComposeData, me_address: str | None = None, *,
            max_recipients: int) -> PreparedMessage:
    """Check everything typed and build Graph's message JSON; raises ComposeInvalid.

    Duplicates across To, Cc and Bcc are dropped (the first occurrence wins). ``from`` is set
    only when From names a mailbox other than ``me_address``; ``sender`` is never set, Graph
    derives it from the mailbox rights (Send As vs Send on Behalf).
    """
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    lists: dict[str, list[Address]] = {}
    for key in ("to", "cc", "bcc"):
        found, bad = parse_recipients(getattr(data, key), FIELD_LABELS[key])
        if bad:
            errors[key] = bad
        lists[key] = []
        for addr in found:
            if addr.address.lower() not in seen:
                seen.add(addr.address.lower())
                lists[key].append(addr)
    count = sum(len(v) for v in lists.values())
    if count == 0 and not any(k in errors for k in ("to", "cc", "bcc")):
        errors.setdefault("to", []).append("Add at least one recipient (To, Cc or Bcc).")
    elif count > max_recipients:
        errors.setdefault("to", []).append(
            f"{count} recipients in To, Cc and Bcc together; at most {max_recipients} are allowed.")
    reply_to, bad = parse_recipients(data.reply_to, "Reply-To")
    if bad:
        errors["reply_to"] = bad
    sender = None
    if data.from_address.strip():
        try:
            sender = parse_address(data.from_address.strip(), "From")
        except ValueError as exc:
            errors["from_address"] = [str(exc)]
    if problem := _one_line(data.subject or "", "subject"):
        errors["subject"] = [problem]
    if data.importance not in IMPORTANCE:
        errors["importance"] = [f"Importance must be one of {', '.join(IMPORTANCE)}."]
    if data.body_type not in BODY_TYPES:
        errors["body_type"] = ["The body must be HTML or plain text."]
    file_errors = [p for a in data.attachments if (p := check_attachment(a))]
    if file_errors:
        errors["attachments"] = file_errors
    if data.send_at and (problem := send_later.refusal(data.send_at, data.send_tz)):
        errors["send_at"] = [problem]
    if errors:
        raise ComposeInvalid(errors)

    body = sanitize_html(data.body) if data.body_type == "html" else (data.body or "")
    message: dict = {
        "subject": data.subject or "",
        "body": {"contentType": data.body_type, "content": body},
        "toRecipients": [a.graph() for a in lists["to"]],
        "ccRecipients": [a.graph() for a in lists["cc"]],
        "bccRecipients": [a.graph() for a in lists["bcc"]],
        "importance": data.importance,
    }
    if reply_to:
        message["replyTo"] = [a.graph() for a in reply_to]
    if data.send_at:  # Exchange holds it in the Outbox until then
        message["singleValueExtendedProperties"] = [send_later.property_json(data.send_at)]
    from_address = None
    if sender and (not me_address or sender.address.lower() != me_address.lower()):
        message["from"] = sender.graph()
        from_address = sender.address
    return PreparedMessage(message, list(data.attachments), from_address,
                           bool(data.save_to_sent_items), count)
