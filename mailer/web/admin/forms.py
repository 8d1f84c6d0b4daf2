"""The admin pages' forms: every one carries Flask-WTF's CSRF token."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class KeyForm(FlaskForm):
    name = StringField("Name", validators=[
        InputRequired("Name: say what the key is for (for example, the program that uses it)."),
        Length(max=100, message="Name: at most 100 characters.")])
    senders = SelectMultipleField(
        "Mailboxes it may send as and read", choices=[],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[InputRequired("Mailboxes: tick at least one mailbox.")])


class ActionForm(FlaskForm):
    """A button that changes something (revoke, cancel): only the CSRF token."""
