"""Blueprint ``admin``: automation's first screen, admin consent, API keys, the jobs, and
programs' webhooks (webhooks.py).

For people signed in whose id token carries the ``Mailer.Admin`` app role (its ``roles``
claim, kept in the session at sign-in and checked again every ROLE_CHECK_EVERY seconds);
anyone else signed in gets a 403 page saying so. Every change is a POST form with Flask-WTF's
CSRF token. The merge pages are a blueprint of their own (mailer/web/merges/), open to
``Mailer.Sender`` too.

    base.py      the blueprint, its role check, a job's state in words, times as <time>
    views.py     the first screen (consent, a key, a test mail, a merge), admin consent
    consent.py   app-only status and the admin-consent round trip (no Flask)
    keys.py      API keys: made (with a curl line that sends a test mail), revoked
    jobs.py      the jobs list (filters, pages) and a job's page; cancel
    waiting.py   what a job waits for, how long a merge takes, in words (no Flask)
    webhooks.py  programs' webhooks: watched mailboxes, a webhook's attempts, test, delete
    forms.py     the forms (CSRF)
"""
from mailer.web.admin import jobs, keys, views, webhooks  # noqa: F401  (their routes)
from mailer.web.admin.base import bp  # noqa: F401
