"""Recovery that needs nobody: every worker sweeps every third of SEND_LEASE.

- A job taken from its lane whose lease expired (its worker died, or the instance receiving
  an API submit's files did) goes back to its lane; the next worker to take it settles with
  Graph what the dead one may have done (confirm.py) before sending anything.
- A lane with due jobs and no live runner (its runner's worker died, its task was lost) is
  started again.

Neither depends on the person coming back, on a browser polling, or on the dead worker's
host: the lanes, the leases and the records are all in the shared store.
"""
from __future__ import annotations

import logging
import time

from mailer.delivery.records import entry_of

logger = logging.getLogger(__name__)


def sweep(rt, kick) -> dict:
    """One pass; what it did: {"orphans": [job ids put back], "kicked": [mailboxes]}."""
    done: dict = {"orphans": [], "kicked": []}
    now = time.time()
    for job_id, taken_at in rt.lanes.taken_jobs().items():
        if now - taken_at < rt.lease_seconds or rt.store.lease_holder(f"lease:job:{job_id}"):
            continue
        record = rt.lanes.get(job_id)
        if rt.lanes.orphan(job_id, entry_of(record) if record else None):
            done["orphans"].append(job_id)
            logger.warning("job %s: its worker stopped; back in its lane", job_id)
    for mailbox in rt.lanes.busy_lanes():
        if rt.lanes.kick_due(mailbox):
            kick(mailbox)
            done["kicked"].append(mailbox)
    return done
