"""Flask-WTF forms of the compose page: the fields as typed, and CSRF on every change.

The forms only carry and bound what was typed; the real checks (addresses, one-line subject,
sizes) live in compose.py and sendplan.py, whose messages the views attach to these fields.
Length caps stop a hostile post from filling the draft store; they are far above what a person
types (500 addresses of 254 characters fit in a recipient field).
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, MultipleFileField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import Length, Optional

from .compose import ComposeData

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms import SelectChoice
except ImportError:  # older WTForms: the tuple it expects
    def SelectChoice(value, label):  # noqa: N802
        return (value, label)

RECIPIENTS_MAX = 200_000
BODY_MAX = 4 * 1024 * 1024
TEXT_FIELDS = ("from_address", "to", "cc", "bcc", "reply_to", "subject", "body")


class ComposeForm(FlaskForm):
    """The compose form; ``to_data()`` / ``from_data()`` convert to and from ComposeData."""

    from_address = StringField("From", validators=[Optional(), Length(max=512)])
    to = TextAreaField("To", validators=[Length(max=RECIPIENTS_MAX)])
    cc = TextAreaField("Cc", validators=[Length(max=RECIPIENTS_MAX)])
    bcc = TextAreaField("Bcc", validators=[Length(max=RECIPIENTS_MAX)])
    reply_to = StringField("Reply-To", validators=[Length(max=2048)])
    subject = StringField("Subject", validators=[Length(max=998)])  # RFC 5322's line limit
    body = TextAreaField("Message", validators=[Length(max=BODY_MAX)])
    body_type = RadioField("Format", choices=[SelectChoice("html", "Formatted (HTML)"),
                                              SelectChoice("text", "Plain text")],
                           default="html", validate_choice=False)
    importance = SelectField("Importance", choices=[SelectChoice("normal", "Normal"),
                                                    SelectChoice("high", "High"),
                                                    SelectChoice("low", "Low")],
                             default="normal", validate_choice=False)
    save_to_sent_items = BooleanField("Save a copy in Sent Items", default=True)
    attachments = MultipleFileField("Attachments")
    resume = HiddenField()  # "1" when the page re-sends itself after a consent round trip

    def to_data(self) -> ComposeData:
        """What was typed, as compose.py's ComposeData (attachments are the draft store's)."""
        values = {name: (self[name].data or "") for name in TEXT_FIELDS}
        return ComposeData(**values, body_type=self.body_type.data or "html",
                           importance=self.importance.data or "normal",
                           save_to_sent_items=bool(self.save_to_sent_items.data))

    @classmethod
    def from_data(cls, data: ComposeData) -> "ComposeForm":
        """A form showing a stored draft (no request data is read)."""
        values = {name: getattr(data, name) for name in TEXT_FIELDS}
        return cls(formdata=None, data={**values, "body_type": data.body_type,
                                        "importance": data.importance,
                                        "save_to_sent_items": data.save_to_sent_items})

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        """Attach compose.py's errors (keyed by field name) to the fields, beside what was typed."""
        for name, messages in errors.items():
            field = self._fields.get(name) or self.to
            field.errors = list(field.errors or []) + list(messages)


class CsrfOnlyForm(FlaskForm):
    """Just the CSRF token: for buttons that change state (remove a file, start again)."""
