"""Flask-WTF forms of the compose page: the fields as typed, bounded, and CSRF on every change.

The forms carry and bound what was typed; the real checks (addresses, one-line subject, sizes)
live in sending/compose.py and sending/plan.py, whose messages the views attach to these
fields. Each text field declares its limit (``FIELD_LIMITS``, in characters; far above what a
person types: 500 addresses of 254 characters fit in a recipient field) and each choice its
values; every message names its field in words. ``checked()`` keeps what is valid and, for a field that is
not, the last saved value, so a save never stores an invalid field and never loses a valid one.
Text fields are read only from text parts: a file part named like one is named as a problem.
"""
from __future__ import annotations

from flask import g, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import (BooleanField, HiddenField, MultipleFileField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import ValidationError

from mailer.sending import send_later
from mailer.sending.compose import BODY_MAX, SUBJECT_MAX, ComposeData
from mailer.sending.sizes import human

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms import SelectChoice
except ImportError:  # older WTForms: the tuple it expects
    def SelectChoice(value, label):  # noqa: N802
        return (value, label)

RECIPIENTS_MAX = 200_000
FIELD_LIMITS = {"from_address": 512, "to": RECIPIENTS_MAX, "cc": RECIPIENTS_MAX,
                "bcc": RECIPIENTS_MAX, "reply_to": 2048,
                "subject": SUBJECT_MAX,  # RFC 5322's line limit
                "body": BODY_MAX}
TEXT_FIELDS = tuple(FIELD_LIMITS)
BODY_TYPES = (("html", "Formatted (HTML)"), ("text", "Plain text"))
IMPORTANCES = (("normal", "Normal"), ("high", "High"), ("low", "Low"))
CHOICE_FIELDS = ("body_type", "importance")
VISIBLE_OTHERS = ("save_to_sent_items",)  # on the page, but marked at the top of the form
FILE_FIELD = "attachments"
OVERFLOW = "form_overflow"  # flask.g key: fields the form parser dropped (form_parser.py)


def byte_caps() -> dict[str, int]:
    """Bytes the form parser holds per text field: four per character (UTF-8's most), so a
    field it drops is surely over its limit."""
    return {name: 4 * limit + 4 for name, limit in FIELD_LIMITS.items()}


def _shown(value) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


class Limit:
    """Length with words: "Subject: 1,200 characters; at most 998 are allowed."."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(f"{field.label.text}: {length:,} characters; at most "
                                  f"{self.limit:,} are allowed. Shorten it; until then the last "
                                  "saved version is kept.")


class Choice:
    """One of ``choices``, or a message naming the field and what it may be."""

    def __init__(self, choices):
        self.values = [value for value, _ in choices]
        words = [f"{value} for “{label}”" for value, label in choices]
        self.words = ", ".join(words[:-1]) + " or " + words[-1]

    def __call__(self, form, field):
        if field.data not in self.values:
            raise ValidationError(f"{field.label.text} must be one of {self.words}, not "
                                  f"{_shown(field.data)}.")


class SendLater:
    """A date and time that exists in the zone the page sent (send_later.to_utc's words)."""

    def __call__(self, form, field):
        try:
            send_later.to_utc(field.data or "", form.send_tz.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _text(label: str, name: str, kind=StringField):
    return kind(label, validators=[Limit(FIELD_LIMITS[name])])


class ComposeForm(FlaskForm):
    """The compose form; ``to_data()`` / ``from_data()`` convert to and from ComposeData."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            """Text from text parts only, files only as attachments: a file part named like a
            text field is noted (``form.misplaced``) rather than handed to it."""
            wrapped = super().wrap_formdata(form, formdata)
            form.misplaced = {}
            ours = isinstance(wrapped, CombinedMultiDict) and wrapped.dicts[0] is request.files
            if not ours:  # given formdata, or a request without files
                return wrapped
            for name, storage in request.files.items(multi=True):
                if name != FILE_FIELD:
                    form.misplaced.setdefault(name, storage.filename or "")
            text = MultiDict(request.form)
            text.setlist(FILE_FIELD, request.files.getlist(FILE_FIELD))
            return text

    from_address = _text("From", "from_address")
    to = _text("To", "to", TextAreaField)
    cc = _text("Cc", "cc", TextAreaField)
    bcc = _text("Bcc", "bcc", TextAreaField)
    reply_to = _text("Reply-To", "reply_to")
    subject = _text("Subject", "subject")
    body = _text("Message", "body", TextAreaField)
    body_type = RadioField("Format", choices=[SelectChoice(v, t) for v, t in BODY_TYPES],
                           default="html", validate_choice=False, validators=[Choice(BODY_TYPES)])
    importance = SelectField("Importance", choices=[SelectChoice(v, t) for v, t in IMPORTANCES],
                             default="normal", validate_choice=False,
                             validators=[Choice(IMPORTANCES)])
    save_to_sent_items = BooleanField("Save a copy in Sent Items", default=True)
    attachments = MultipleFileField("Attachments")
    resume = HiddenField()  # "1" when the page re-sends itself after a consent round trip
    # Send later: the local date and time as typed, and the browser's zone (send-later.js).
    send_at = StringField("Send later", validators=[SendLater()])
    send_tz = HiddenField()

    def to_data(self) -> ComposeData:
        """What was typed, as compose.py's ComposeData (attachments are the draft store's)."""
        values = {name: _string(self[name].data) for name in TEXT_FIELDS}
        return ComposeData(**values, body_type=_string(self.body_type.data) or "html",
                           importance=_string(self.importance.data) or "normal",
                           save_to_sent_items=bool(self.save_to_sent_items.data),
                           **_send_at(self.send_at.data, self.send_tz.data))

    @classmethod
    def from_data(cls, data: ComposeData) -> "ComposeForm":
        """A form showing a stored draft (no request data is read)."""
        values = {name: getattr(data, name) for name in TEXT_FIELDS}
        return cls(formdata=None, data={**values, "body_type": data.body_type,
                                        "importance": data.importance,
                                        "save_to_sent_items": data.save_to_sent_items,
                                        "send_at": send_later.local_of(data.send_at,
                                                                       data.send_tz),
                                        "send_tz": data.send_tz})

    def checked(self, stored: ComposeData) -> tuple[ComposeData, dict[str, list[str]]]:
        """What may be saved, and the problems by field (also set on the fields, for the page).

        A field that is too long, an unknown choice, or text sent as a file keeps its
        ``stored`` value in what is returned; the page shows what was typed where it has it.
        """
        errors: dict[str, list[str]] = {}
        for name in TEXT_FIELDS + CHOICE_FIELDS + ("send_at",):
            field = self[name]
            if not field.validate(self):
                errors[name] = list(field.errors)
        for name, filename in getattr(self, "misplaced", {}).items():
            label = self._name_in_words(name)
            words = (f"{label} arrived as a file ({filename!r}), not as text, so it was ignored. "
                     "Type it in the field instead.")
            self._replace(name, stored, errors, words)
        for name, what in (g.get(OVERFLOW) or {}).items():
            if name in TEXT_FIELDS:
                self._replace(name, stored, errors, self._overflow_words(name, what))
        data = self.to_data()
        for name in errors:
            if name in TEXT_FIELDS + CHOICE_FIELDS:
                setattr(data, name, getattr(stored, name))
        if "send_at" in errors:
            data.send_at, data.send_tz = stored.send_at, stored.send_tz
        return data, errors

    def _name_in_words(self, name: str) -> str:
        """A field by its label; a visible field marked at the top by label and name; any
        other part by its name."""
        if name in TEXT_FIELDS + CHOICE_FIELDS:
            return self[name].label.text
        if name in VISIBLE_OTHERS:
            return f"{self[name].label.text} ({name!r})"
        return repr(name)

    def _replace(self, name: str, stored: ComposeData, errors: dict, words: str) -> None:
        """Note a field whose typed value never arrived; the page shows the stored one."""
        errors[name] = [words]
        if name in TEXT_FIELDS + CHOICE_FIELDS:  # the fields the page marks one by one
            self[name].errors = [words]
            self[name].data = getattr(stored, name)
        else:  # a hidden or unknown part: marked at the top of the form
            self.form_errors.append(words)

    def _overflow_words(self, name: str, what: dict) -> str:
        label, limit = self[name].label.text, FIELD_LIMITS[name]
        if what.get("limit") == "form":
            return (f"{label} is too long to keep: it is {what['size']:,} bytes, and the text of "
                    f"one form may be at most {human(what['form_limit'])} in all. It was not "
                    f"saved (at most {limit:,} characters); the last saved version is shown.")
        return (f"{label} is too long to keep: more than {limit:,} characters (it is "
                f"{what['size']:,} bytes); at most {limit:,} are allowed. It was not saved; the "
                "last saved version is shown.")

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        """Attach compose.py's errors (keyed by field name) to the fields, beside what was typed."""
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.extend(m for m in messages if m not in self.form_errors)
                continue
            field.errors = list(field.errors or []) + [m for m in messages
                                                       if m not in (field.errors or [])]


def _string(value) -> str:
    return value if isinstance(value, str) else ""


def _send_at(local, zone) -> dict:
    """send_at in UTC and the zone it was picked in ("" for both when empty or unreadable:
    checked() then keeps the stored value and names the field)."""
    try:
        utc = send_later.to_utc(_string(local)[:40], _string(zone)[:80])
    except ValueError:
        return {"send_at": "", "send_tz": ""}
    return {"send_at": utc, "send_tz": _string(zone)[:80] if utc else ""}
