"""The session store on disk: cachelib's FileSystemCache without its shared file counter.

With a threshold, cachelib counts its files in one more file, read three times and replaced on
every record created or deleted: a sign-in paid three extra atomic replacements of that one file,
more than its own records cost. Here nothing counts on the write path. Instead each process
sweeps the folder at most every ``sweep_every`` seconds, on a write: records past the expiry
cachelib wrote at their start (a record without one: not written for ``max_age`` seconds) are
removed, then the least recently written ones while more than ``limit`` remain, as cachelib's
threshold did. A record may outlive ``max_age`` (a person's sends vault lives until their last
scheduled send). Sub-folders (the token locks) are left alone.
"""
from __future__ import annotations

import logging
import os
import struct
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
        live = [w for w in written if self._expiry(*w) >= now]
        doomed = sorted({path for _, path in written} - {path for _, path in live})
        doomed += [path for _, path in live[:max(0, len(live) - self.limit)]]
        for path in doomed:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        if doomed:
            logger.info("session store: %d old records removed", len(doomed))
        return len(doomed)

    def _expiry(self, written: float, path: str) -> float:
        """When the record at ``path`` expires: cachelib's stamp, else ``max_age`` after it
        was written; a record being replaced just now counts as alive."""
        try:
            with open(path, "rb") as f:
                stamp = struct.unpack("I", f.read(4))[0]
        except (OSError, struct.error):
            return written + self.max_age
        return float(stamp) if stamp else written + self.max_age
