"""The errors automation raises on purpose: each names the option or field at fault.

``AutomationError`` is the message description's own (mailer/sending/description.py), so a
field refused while a worker builds the message reads the same as one refused at submit.
"""
from __future__ import annotations

from mailer.sending.description import AutomationError

__all__ = ["AutomationError", "NotAllowed", "StillReceiving"]


class NotAllowed(AutomationError):
    """The sender is not one automation may send as (AUTOMATION_SENDERS)."""


class StillReceiving(Exception):
    """A submit with this Idempotency-Key is still receiving its files on another request."""
