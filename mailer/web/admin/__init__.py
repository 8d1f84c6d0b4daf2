"""Blueprint ``admin``: API keys, and the pages of automation's jobs and merges (views.py),
and of programs' webhooks (webhooks.py).

For people signed in whose id token carries the ``Mailer.Admin`` app role (its ``roles``
claim, kept in the session at sign-in); anyone else signed in gets a 403 page saying so.
Every change is a POST form with Flask-WTF's CSRF token.
"""
from mailer.web.admin.views import bp  # noqa: F401
from mailer.web.admin import webhooks  # noqa: F401,E402  (its routes join the blueprint)
