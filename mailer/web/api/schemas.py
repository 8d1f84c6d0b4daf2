"""The API's bodies as marshmallow schemas: checked on the way in, described in OpenAPI.

Field names are the automation description's (mailer/automation/message.py), so an error from
the send core names the field exactly as the caller wrote it. Unknown fields are refused.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from mailer.sending.compose import BODY_MAX, SUBJECT_MAX

ADDRESS = fields.String(validate=validate.Length(min=1, max=320))


def _addresses(what: str):
    return fields.List(ADDRESS, metadata={"description": f"{what}: addresses"})


class MessageSchema(Schema):
    """One message to send as ``from`` (a mailbox the API key is scoped to)."""

    class Meta:
        unknown = RAISE

    sender = fields.String(data_key="from", required=True, validate=validate.Length(1, 320),
                           metadata={"description": "the mailbox to send as"})
    to = _addresses("To")
    cc = _addresses("Cc")
    bcc = _addresses("Bcc")
    reply_to = _addresses("Reply-To")
    subject = fields.String(validate=validate.Length(max=SUBJECT_MAX))
    text = fields.String(validate=validate.Length(max=BODY_MAX), metadata={
        "description": "a plain-text body (or html, not both)"})
    html = fields.String(validate=validate.Length(max=BODY_MAX), metadata={
        "description": "an HTML body (or text, not both)"})
    importance = fields.String(validate=validate.OneOf(["low", "normal", "high"]))
    save_to_sent_items = fields.Boolean()


class SubmitFormSchema(Schema):
    """multipart/form-data: the message as JSON in one part, then any number of files."""

    message = fields.String(required=True, metadata={
        "description": "the message, as the JSON body of application/json would be"})
    attachments = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}),
                              metadata={"description": "files, each at most MAX_FILE_SIZE"})


class JobErrorSchema(Schema):
    code = fields.String(metadata={"description": "Microsoft Graph's code, or InvalidMessage"})
    message = fields.String()


class JobSchema(Schema):
    id = fields.String()
    state = fields.String(metadata={"description": "receiving (its files going into the "
                                                   "sender's mailbox), queued, waiting, sending, "
                                                   "sent, failed or cancelled"})
    sender = fields.String()
    batch = fields.String()
    created = fields.Float(metadata={"description": "epoch seconds"})
    updated = fields.Float(allow_none=True)
    sent_at = fields.Float(allow_none=True)
    cancelled_at = fields.Float(allow_none=True)
    attempts = fields.Integer()
    throttled = fields.Integer()
    plan = fields.String(allow_none=True, metadata={"description": "sendMail or draft"})
    error = fields.Nested(JobErrorSchema, allow_none=True)


class ListQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    folder = fields.String(load_default="inbox", validate=validate.Length(1, 200))
    unread = fields.Boolean(load_default=False, metadata={"description": "unread only"})
    top = fields.Integer(load_default=25, validate=validate.Range(1, 100))


class MessageItemSchema(Schema):
    id = fields.String()
    subject = fields.String()
    sender = fields.String(data_key="from", allow_none=True)
    to = fields.List(fields.String())
    received = fields.String(allow_none=True)
    is_read = fields.Boolean()
    has_attachments = fields.Boolean()
    importance = fields.String()
    preview = fields.String()
    body = fields.String(metadata={"description": "only when one message is read"})
    body_type = fields.String(metadata={"description": "html or text"})


class MessageListSchema(Schema):
    mailbox = fields.String()
    messages = fields.List(fields.Nested(MessageItemSchema))


class ErrorBodySchema(Schema):
    code = fields.String()
    message = fields.String()
    field = fields.String(allow_none=True)
    graph_code = fields.String(allow_none=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema)
