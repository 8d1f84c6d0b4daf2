"""A local, faithful emulator of the Microsoft identity platform (v2.0) and Graph's mail API.

Never imports the app (``mailer``); the app never imports it. ``python -m emulator`` runs it.

  __main__.py  ``python -m emulator serve | accounts | reset``
  server.py    the two servers (HTTPS API, plain-HTTP pages) and ``Emulator`` for tests
  identity/    the identity platform: discovery, sign-in pages, consent, tokens
  graph/       Graph v1.0: users, photos, people, mail, upload sessions, delta, subscriptions
  directory.py the demo tenants, users, mailbox rights and app registrations
  state.py     all mutable state in one object, with ``reset()``
  persistence/ the demo's mail, subscriptions and sign-ins kept across restarts
  faults.py    injected 429 / 5xx / latency / dropped connections
  admin.py     ``/_emulator``: health, reset, sending limits, the mail clock, delta expiry
  viewer.py    the mailbox viewer on the pages server
  errors.py    Microsoft's error bodies (AADSTS, Graph's OData errors)
  tls.py       the local CA and server certificate
"""
from .server import Emulator

__all__ = ["Emulator"]
