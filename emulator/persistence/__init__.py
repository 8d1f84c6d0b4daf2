"""The demo's state kept across restarts (``python -m emulator serve``; tests keep nothing).

  keeper.py    Keeper: read back at start, write what changed in the background, atomically;
               ``wipe()`` for ``python -m emulator reset``
  mail.py      mailboxes, messages, change logs, deferred sends and attachment files
  identity.py  refresh tokens, consents, grants, personal accounts' opaque access tokens
"""
from .keeper import Keeper, wipe

__all__ = ["Keeper", "wipe"]
