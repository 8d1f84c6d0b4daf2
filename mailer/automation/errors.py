"""The errors automation raises on purpose: each names the option or field at fault."""
from __future__ import annotations


class AutomationError(Exception):
    """Something a person must change; ``field`` names the option (``--from``, ``to``...)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field, self.message = field, message


class NotAllowed(AutomationError):
    """The sender is not one automation may send as (AUTOMATION_SENDERS)."""


class Later(Exception):
    """Not now: try this job again in ``seconds`` (a paced or paused lane, a held lease)."""

    def __init__(self, seconds: float, why: str):
        super().__init__(f"{why}; again in {seconds:.1f}s")
        self.seconds, self.why = max(0.0, seconds), why


class StillReceiving(Exception):
    """A submit with this Idempotency-Key is still receiving its files on another request."""
