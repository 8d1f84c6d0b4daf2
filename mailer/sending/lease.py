"""A send's lease: proof, renewed every few seconds, that a live instance is working on it.

The instance running a send holds ``lease:<draft id>`` in the shared store with a token of its
own, for ``seconds`` (SEND_LEASE); a heartbeat thread renews it every third of that, so it stays
held while the send waits out a Retry-After or streams a large file. If the instance dies, the
lease runs out within ``seconds``, and whichever instance serves the person next may take it
over (jobs.py, confirm.py). Renewal and every write of the job's record compare the token in
one atomic step (store.py), so an instance that lost its lease can no longer act or write.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid

from mailer.sending.store import KeyValueStore

logger = logging.getLogger(__name__)


def lease_key(draft_id: str) -> str:
    return f"lease:{draft_id}"


class Lease:
    """One holder's lease on one send; ``held`` turns False for good once a renewal fails."""

    def __init__(self, store: KeyValueStore, draft_id: str, seconds: float,
                 token: str | None = None):
        """``token``: a lease already taken for this holder in another step (a lane's take
        sets the job's lease as it gives the job out): held from now, as if just renewed."""
        self.store, self.key, self.seconds = store, lease_key(draft_id), seconds
        self.token = token or uuid.uuid4().hex
        self.held = token is not None
        self._renewed_at = time.monotonic() if token else 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def take(self) -> bool:
        """Take the lease if nobody holds it (a new send, or an expired one's takeover)."""
        self.held = self.store.take_lease(self.key, self.token, self.seconds)
        self._renewed_at = time.monotonic()
        return self.held

    def begin(self, claim: str, claimed: dict, key: str, value: dict) -> str:
        """A new send: its claim, this lease and its record in one step (store.begin)."""
        answer = self.store.begin(claim, claimed, self.key, self.token, self.seconds, key, value)
        self.held = answer == "ok"
        self._renewed_at = time.monotonic()
        return answer

    def held_for_sure(self, within: float = 1.0) -> bool:
        """Held, taken or renewed less than ``within`` seconds ago (so it has nearly all its
        ``seconds`` left, and nobody else can hold it): no round trip; else renew now."""
        if self.held and time.monotonic() - self._renewed_at < min(within, self.seconds / 3):
            return True
        return self.renew()

    def renew(self) -> bool:
        """Extend it now; False (and ``held`` False from then on) when it was lost."""
        if self.held:
            try:
                at = time.monotonic()
                self.held = self.store.renew_lease(self.key, self.token, self.seconds)
                self._renewed_at = at
            except Exception:  # noqa: BLE001 - a store down: not held for sure, so act no more
                logger.exception("could not renew %s", self.key)
                self.held = False
            if not self.held:
                logger.warning("lost %s: another instance may have taken the send over", self.key)
        return self.held

    def put(self, key: str, value: dict) -> bool:
        """Write ``value`` only while this lease is held."""
        return self.held and self.store.put_held(key, value, self.key, self.token)

    def start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.key[-8:]}",
                                        daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3) and self.renew():
            pass

    def stop_heartbeat(self) -> None:
        """Stop renewing, keeping the lease until it runs out or is released (a step that
        hands the lease on, e.g. to the worker that takes the job, sets it anew)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def release(self) -> None:
        """Stop renewing and give the lease up (the job's record already says how it ended)."""
        self.stop_heartbeat()
        if self.held:
            self.held = False
            try:
                self.store.drop_lease(self.key, self.token)
            except Exception:  # noqa: BLE001 - it expires on its own within seconds
                logger.exception("could not drop %s", self.key)
