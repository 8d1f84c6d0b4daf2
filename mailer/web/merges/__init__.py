"""Blueprint ``merges``: mail merge from the browser, for ``Mailer.Admin`` and ``Mailer.Sender``.

A CSV (uploaded or pasted), a sender among automation's mailboxes, the template in the compose
page's editor, files for every row or named per row; a preview of the first rows as sent, every
refused row and why, and how long it takes at the sender's pace; then start now or at a time,
and follow it live, pause, resume, cancel, download the results. The same engine as the
command line (mailer/automation/merge*.py, mailer/delivery/): each row sent exactly once.

    views.py     the routes
    forms.py     the form (CSRF) and its uploads, each measured before it is read
    access.py    who may use these pages, and which merges each person sees
"""
from mailer.web.merges.views import bp  # noqa: F401
