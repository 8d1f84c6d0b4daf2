"""Reply and forward: ``createReply``, ``createReplyAll``, ``createForward`` (201, a new draft in
Drafts, Mail.ReadWrite) and ``reply``, ``replyAll``, ``forward`` (202, sent at once, Mail.Send).

Recipients as Outlook computes them: a reply goes to the original's replyTo, else its from;
reply-all adds its To and Cc, without the mailbox's own address; a forward goes to the
``toRecipients`` given. Subject "RE: " / "FW: ", the original quoted under a header block, the
thread kept (conversationId, In-Reply-To, References). A forward keeps every attachment; a reply
keeps the inline ones its quoted body shows (UNCONFIRMED: Outlook's choice, not documented).
"""
from __future__ import annotations

import html
import re

from flask import request

from . import mime_in
from ..auth import Caller
from ..common import GraphFailure, empty_response, now, read_body, read_json
from .json_in import new_internet_message_id, parse_message, take_attachments, writable
from .messages import message_response
from .lookup import locate
from .sendmail import action_parameters
from .store import Attachment, Message, change_key, new_id
from .json_out import body_as, recipient, recipients
from ..routing.table import message_route
from ..schema import parse
from .submission import submit

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
PREFIX = {"reply": "RE: ", "replyAll": "RE: ", "forward": "FW: "}


def _address(item: dict | None) -> str:
    return (((item or {}).get("emailAddress") or {}).get("address") or "").lower()


def _unique(items: list[dict], exclude: set[str]) -> list[dict]:
    seen, result = set(exclude), []
    for item in items:
        address = _address(item)
        if address and address not in seen:
            seen.add(address)
            result.append(item)
    return result


def reply_recipients(original: Message, own: set[str], everyone: bool) -> tuple[list, list]:
    """(to, cc) of a reply or reply-all, as Outlook fills them."""
    p = original.props
    author = p.get("from") or p.get("sender")
    if _address(author) in own:
        # Replying to one's own message addresses its recipients (UNCONFIRMED: Outlook's way).
        to = list(p.get("toRecipients") or [])
    else:
        to = list(p.get("replyTo") or []) or ([author] if author else [])
    if everyone:
        to += list(p.get("toRecipients") or [])
    to = _unique(recipients(to), own if everyone else set())
    cc = _unique(recipients(p.get("ccRecipients") if everyone else []),
                 own | {_address(r) for r in to})
    return to, cc


def _quote_header(original: Message) -> str:
    p = original.props

    def people(items):
        return "; ".join(html.escape(f"{r['emailAddress']['name']} <{r['emailAddress']['address']}>")
                         for r in items)
    author = recipient(p.get("from") or p.get("sender"))
    lines = [("From", people([author]) if author else ""),
             ("Sent", html.escape((original.sent or original.received).strftime(
                 "%A, %B %d, %Y %I:%M %p"))),
             ("To", people(recipients(p.get("toRecipients"))))]
    if p.get("ccRecipients"):
        lines.append(("Cc", people(recipients(p.get("ccRecipients")))))
    lines.append(("Subject", html.escape(p.get("subject") or "")))
    shown = "<br>".join(f"<b>{name}:</b> {value}" for name, value in lines)
    return ('<hr style="display:inline-block;width:98%" tabindex="-1">'
            f'<div id="divRplyFwdMsg" dir="ltr">{shown}</div><br>')


def quoted_body(original: Message, top: dict | None) -> dict:
    """The new HTML body: what the client wrote (a comment or a body) above the quoted original."""
    wrapped = body_as(original.props.get("body"), "html")["content"]
    match = _BODY.search(wrapped)
    inner = match.group(1) if match else wrapped
    written = ""
    if top is not None:
        written = top["content"] if top["contentType"] == "html" else \
            html.escape(top["content"]).replace("\n", "<br>")
    return {"contentType": "html",
            "content": f"<div>{written}</div><br>{_quote_header(original)}{inner}"}


def _parameters(store, kind: str, operation: str) -> tuple[dict, list[Attachment]]:
    """(message overrides, extra attachments) from the optional JSON body (or MIME)."""
    names = ("message", "comment") + (("toRecipients",) if kind == "forward" else ())
    if request.mimetype == "text/plain":
        props, _, attachments = mime_in.parse(store, read_body())
        return props, attachments
    body = read_json(required=False) or {}
    params = action_parameters(body, operation, names)
    message = parse_message(params["message"]) if params.get("message") is not None else {}
    comment = parse(params.get("comment"), "Edm.String", "Comment")
    if comment is not None and message.get("body") is not None:
        raise GraphFailure(400, "ErrorInvalidRequest",  # status documented; code UNCONFIRMED
                           "Specify either a comment or the body property of the message "
                           "parameter, not both.")
    to = parse(params.get("toRecipients"), "Collection(recipient)", "ToRecipients")
    if to is not None and message.get("toRecipients") is not None:
        raise GraphFailure(400, "ErrorInvalidRequest",  # status documented; code UNCONFIRMED
                           "Specify either the toRecipients parameter or the toRecipients "
                           "property of the message parameter, not both.")
    overrides = writable(message)
    if comment is not None:
        overrides["body"] = {"contentType": "text", "content": comment}
    if to is not None:
        overrides["toRecipients"] = to
    return overrides, take_attachments(store, message)


def build(original: Message, kind: str, own: set[str], overrides: dict,
          extra: list[Attachment]) -> tuple[dict, list[Attachment]]:
    """The properties and attachments of the reply or forward."""
    p = original.props
    subject = p.get("subject") or ""
    prefix = PREFIX[kind]
    if not subject.upper().startswith(prefix.strip().upper()):
        subject = prefix + subject
    if kind == "forward":
        to, cc = [], []
    else:
        to, cc = reply_recipients(original, own, kind == "replyAll")
    references = " ".join(x for x in (p.get("_references"), original.internet_message_id) if x)
    props = {"subject": subject, "toRecipients": to, "ccRecipients": cc,
             "importance": "normal", "_inReplyTo": original.internet_message_id,
             "_references": references}
    top = overrides.pop("body", None)
    props.update({k: v for k, v in overrides.items()})
    props["body"] = quoted_body(original, top)
    moment = now()
    kept = [a for a in original.attachments if kind == "forward" or a.is_inline]
    attachments = [Attachment(id=new_id("AAMkAD", 45), name=a.name, content_type=a.content_type,
                              blob=a.blob, is_inline=a.is_inline, content_id=a.content_id,
                              content_location=a.content_location, modified=moment)
                   for a in kept] + extra
    return props, attachments


def _own_addresses(owner) -> set[str]:
    return {a.lower() for a in (owner.mail, owner.user_principal_name) if a}


def _create(caller: Caller, kind: str, operation: str, message_id: str, user, folder):
    owner, store, box, original = locate(caller, message_id, user, folder, "write")
    overrides, extra = _parameters(store, kind, operation)
    props, attachments = build(original, kind, _own_addresses(owner), overrides, extra)
    moment = now()
    draft = Message(
        id=new_id(), folder="drafts", props=props, created=moment, modified=moment,
        received=moment, sent=None, change_key=change_key(),
        internet_message_id=new_internet_message_id(),
        conversation_id=original.conversation_id,
        conversation_index=original.conversation_index, is_draft=True, is_read=True,
        headers=[], attachments=attachments)
    with store.lock:
        box.put(draft)
    return message_response(owner.id, box, draft, 201)


def _send(caller: Caller, kind: str, operation: str, message_id: str, user, folder):
    owner, store, box, original = locate(caller, message_id, user, folder, "send")
    overrides, extra = _parameters(store, kind, operation)
    if kind == "forward" and not overrides.get("toRecipients"):
        raise GraphFailure(400, "ErrorInvalidRecipients",  # 400 documented; wording Exchange's
                           "At least one recipient isn't valid., A message can't be sent "
                           "because it contains no recipients.")
    props, attachments = build(original, kind, _own_addresses(owner), overrides, extra)
    submit(store, caller, owner, props, [], attachments, save_to_sent=True,
           thread=(original.conversation_id, original.conversation_index))
    return empty_response(202)


def _register(kind: str, create: str, send: str) -> None:
    def create_view(caller, message_id, user=None, folder=None):
        return _create(caller, kind, create, message_id, user, folder)

    def send_view(caller, message_id, user=None, folder=None):
        return _send(caller, kind, send, message_id, user, folder)
    create_view.__doc__ = f"POST …/{create}: 201 with a new draft in Drafts."
    send_view.__doc__ = f"POST …/{send}: 202, sent at once and saved to Sent Items."
    message_route("POST", f"{{message_id}}/{create}")(create_view)
    message_route("POST", f"{{message_id}}/{send}")(send_view)


_register("reply", "createReply", "reply")
_register("replyAll", "createReplyAll", "replyAll")
_register("forward", "createForward", "forward")
