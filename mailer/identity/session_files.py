"""The session store on disk: cachelib's FileSystemCache without its shared file counter.

With a threshold, cachelib counts its files in one more file, read three times and replaced on
every record created or deleted: a sign-in paid three extra atomic replacements of that one file,
more than its own records cost. Here nothing counts on the write path. Instead each process
sweeps the folder at most every ``sweep_every`` seconds, on a write: records not written for
``max_age`` seconds (past their expiry: every record here is written with a timeout of at most
``max_age``) are removed, then the least recently written ones while more than ``limit`` remain,
as cachelib's threshold did. Sub-folders (the token locks) are left alone.
"""
from __future__ import annotations

import logging
import os
import threading
import time

from cachelib import FileSystemCache

logger = logging.getLogger(__name__)


class SessionFiles(FileSystemCache):
    """FileSystemCache (no count file) swept every ``sweep_every`` s: age and ``limit`` bound it."""

    def __init__(self, folder: str, *, max_age: int, limit: int, sweep_every: float,
                 mode: int = 0o600):
        super().__init__(folder, threshold=0, default_timeout=max_age, mode=mode)
        self.folder, self.max_age, self.limit, self.sweep_every = folder, max_age, limit, sweep_every
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    def _prune(self) -> None:
        # cachelib calls this before each write; with threshold=0 it would do nothing.
        if time.monotonic() < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = time.monotonic() + self.sweep_every
            self.sweep()
        except OSError as exc:  # housekeeping never fails the write it came with
            logger.warning("session store sweep failed: %s", exc)
        finally:
            self._sweeping.release()

    def sweep(self, now: float | None = None) -> int:
        """Remove expired records, then the oldest beyond ``limit``; return how many went."""
        now = time.time() if now is None else now
        written = []
        with os.scandir(self.folder) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        written.append((entry.stat().st_mtime, entry.path))
                except FileNotFoundError:  # removed meanwhile by another process
                    pass
        written.sort()
        live = [w for w in written if w[0] + self.max_age >= now]
        doomed = [path for _, path in written[:len(written) - len(live)]]
        doomed += [path for _, path in live[:max(0, len(live) - self.limit)]]
        for path in doomed:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        if doomed:
            logger.info("session store: %d old records removed", len(doomed))
        return len(doomed)
