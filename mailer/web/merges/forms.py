"""The merge form (CSRF like every form) and its uploads, each bounded before it is read.

Werkzeug spools every file part to a temporary file of the request, and the view has set the
request's limits (``limits()``) before the body is parsed, so a body larger than a merge takes
is refused unread. Here each part is measured before its bytes are read: the CSV (uploaded or
pasted) at most CSV_MAX, files for every row and per-row files each below
SMALL_ATTACHMENT_MAX (so a worker posts them to a draft from memory), FILES_MAX of them and
FILES_TOTAL_MAX together. Every refusal names its field.
"""
from __future__ import annotations

import mimetypes

from flask import request
from flask_wtf import FlaskForm
from wtforms import (FileField, HiddenField, MultipleFileField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from mailer.automation.merge_drafts import CSV_MAX, FILES_MAX, FILES_TOTAL_MAX, Upload
from mailer.sending.compose import BODY_MAX, SUBJECT_MAX, sanitize_filename
from mailer.sending.sizes import human
from mailer.web.forms import BODY_TYPES, Choice, Limit, SelectChoice

COLUMN = [Length(max=200, message="%(label)s: at most 200 characters."),
          Regexp(r"^[^\r\n]*$", message="%(label)s: one line, a column's name.")]
WHEN = (("now", "Now"), ("later", "At a time"))
FORM_TEXT_MAX = 4 * BODY_MAX + 64 * 1024  # the body in UTF-8 at its most, and the rest


def limits(request_) -> None:
    """The merge form's bounds on this request, set before its body is parsed."""
    request_.max_content_length = CSV_MAX + FILES_TOTAL_MAX + FORM_TEXT_MAX + 1024 * 1024
    request_.max_form_memory_size = FORM_TEXT_MAX
    request_.max_form_parts = 2 * FILES_MAX + 40


class MergeForm(FlaskForm):
    sender = SelectField("Send as", choices=[], validate_choice=False,
                         validators=[InputRequired("Send as: pick the mailbox it comes from.")])
    csv_file = FileField("CSV of recipients")  # read by csv_text(), measured first
    csv_text = TextAreaField("Or paste the CSV", validators=[Limit(CSV_MAX)])
    to_column = StringField("Column of the addresses", default="email", validators=[
        InputRequired("Column of the addresses: name the CSV's column of addresses."),
        *COLUMN])
    subject = StringField("Subject", validators=[Limit(SUBJECT_MAX)])
    body = TextAreaField("Message", validators=[Limit(BODY_MAX)])
    body_type = RadioField("Format", choices=[SelectChoice(v, t) for v, t in BODY_TYPES],
                           default="html", validate_choice=False, validators=[Choice(BODY_TYPES)])
    attachments = MultipleFileField("Files for every row")  # read by files()
    row_files = MultipleFileField("Files named by rows")
    file_column = StringField("Column naming each row's files", validators=COLUMN)
    when = RadioField("Send", choices=[SelectChoice(v, t) for v, t in WHEN], default="now",
                      validate_choice=False, validators=[Choice(WHEN)])
    send_at = StringField("Send at")
    send_tz = HiddenField()
    draft = HiddenField()  # the merge being changed: its files stay unless new ones come

    def validate_sender(self, field) -> None:
        allowed = [value for value, _ in self.sender.choices]
        if field.data not in allowed:
            raise ValidationError(f"Send as: {field.data[:100]!r} is not one of the mailboxes "
                                  f"merges may send as ({', '.join(allowed) or 'none'}).")


class Refusal(Exception):
    """An upload refused: ``field`` names the form field, ``str()`` says why."""

    def __init__(self, field: str, words: str):
        super().__init__(words)
        self.field = field


def _size(storage) -> int:
    stream = storage.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def csv_text(form: MergeForm) -> str:
    """The CSV, uploaded or pasted (an upload wins), as text; Refusal naming the field."""
    upload = request.files.get("csv_file")
    if upload is not None and upload.filename:
        size = _size(upload)
        if size > CSV_MAX:
            raise Refusal("csv_file", f"CSV file: {upload.filename[:100]} is {human(size)}; "
                          f"a merge takes at most {human(CSV_MAX)} of CSV.")
        try:
            return upload.stream.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Refusal("csv_file", "CSV file: it is not UTF-8 text; save it as "
                          "“CSV UTF-8” and upload it again.") from None
    text = (form.csv_text.data or "").lstrip("\ufeff")
    if not text.strip():
        raise Refusal("csv_file", "CSV file: upload the CSV of recipients, or paste it below.")
    return text


def files(field: str, label: str, small_max: int, already: int = 0) -> list[Upload]:
    """The files of ``field``, each measured before it is read; ``already``: bytes of the
    merge's other files, counted against FILES_TOTAL_MAX."""
    parts = [p for p in request.files.getlist(field) if p.filename]  # "" : no file chosen
    if len(parts) > FILES_MAX:
        raise Refusal(field, f"{label}: {len(parts)} files; a merge takes at most {FILES_MAX}.")
    found, total = [], already
    for storage in parts:
        try:
            name = sanitize_filename(storage.filename)
        except ValueError as exc:
            raise Refusal(field, f"{label}: {exc}") from None
        size = _size(storage)
        if size >= small_max:
            raise Refusal(field, f"{label}: {name} is {human(size)}; each file of a merge must "
                          f"be smaller than {human(small_max)}.")
        total += size
        if total > FILES_TOTAL_MAX:
            raise Refusal(field, f"{label}: the merge's files come to more than "
                          f"{human(FILES_TOTAL_MAX)} together.")
        kind = storage.mimetype if storage.mimetype and storage.mimetype != \
            "application/octet-stream" else mimetypes.guess_type(name)[0]
        found.append(Upload(name, kind or "application/octet-stream", storage.stream.read()))
    return found
