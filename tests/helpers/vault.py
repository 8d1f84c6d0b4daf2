"""A token vault in memory, for driving mailer.identity without Flask or a session store."""
from __future__ import annotations

import threading


class MemoryVault:
    """One session's encrypted token cache in a plain attribute (mailer.identity's Vault)."""

    def __init__(self):
        self.blob: str | None = None
        self._lock = threading.Lock()

    def load(self):
        return self.blob

    def save(self, blob):
        self.blob = blob

    def delete(self):
        self.blob = None

    def lock(self):
        return self._lock
