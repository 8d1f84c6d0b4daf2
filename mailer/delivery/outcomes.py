"""A send job's states and outcome codes: data only (the pages and the API put them in words).

One set of states for every sender (the compose page, a reply, an API job, a CLI send, a
merge row):

    queued      in its mailbox's lane, waiting for a worker and a slot
    scheduled   held until its time (send later, a merge started for later)
    waiting     paused: Graph's Retry-After, Graph unavailable, a lost answer being confirmed
    sending     a worker holds it (its lease) and is handing it to Graph
    sent        Graph accepted it (once)
    failed      not sent, for a reason the record names (``code``): fix and send again
    unknown     it may have gone out and Graph cannot tell: check Sent Items
    cancelled   by the person, an API key or an admin, before it was handed over
    receiving   (API) its files are still arriving in the request that submitted it
    held        out of its lane with its batch (a merge paused) until it is released
"""
from __future__ import annotations

from mailer.graph.errors import GraphError

QUEUED, SCHEDULED, WAITING, SENDING = "queued", "scheduled", "waiting", "sending"
SENT, FAILED, UNKNOWN, CANCELLED = "sent", "failed", "unknown", "cancelled"
RECEIVING, HELD = "receiving", "held"
ACTIVE = (QUEUED, SCHEDULED, WAITING, SENDING, HELD)  # a worker will (once released) act on it
FINAL = (SENT, FAILED, UNKNOWN, CANCELLED)
# A job in one of these states may be submitted again under its id (a new attempt); any other
# state means the message is, or may be, on its way: a second submit finds the first.
REPLACEABLE = (FAILED, CANCELLED)

# Outcome codes (the record's "code"): why a job ended as it did.
GRAPH_REFUSED = "graph_refused"  # failed: Graph answered an error (detail.graph)
SIGN_IN_EXPIRED = "sign_in_expired"  # failed: only a new sign-in gives a token
INVALID = "invalid"  # failed: the message can no longer be built (a file gone, a limit)
FILES_INCOMPLETE = "SubmitIncomplete"  # failed: an API submit's files never all arrived
DRAFT_GONE = "draft_gone"  # failed: its draft was deleted in the mailbox before it was sent
FAILED_INTERNALLY = "failed"  # failed: the app itself failed (detail.exception)
UNCONFIRMED = "unconfirmed"  # unknown: check Sent Items
UNCONFIRMED_NOT_SAVED = "unconfirmed_not_saved"  # unknown, and no copy in Sent Items to check
INTERRUPTED = "interrupted"  # unknown: its worker stopped, and Graph could not be asked
ALREADY_SENDING = "already_sending"  # submit: this message is already on its way
# What a job waits for (the record's "waiting_for"), said on its pages.
FOR_THROTTLING, FOR_GRAPH, FOR_TOKEN, FOR_CONFIRMATION, FOR_PACE = (
    "throttled", "graph_unavailable", "token_unavailable", "confirming", "pacing")


class LeaseLost(Exception):
    """Another worker took this job over: this one must not act or write any more."""


class StoreDown(Exception):
    """The shared store could not be written: the job's outcome is not recorded, so nothing
    may be concluded here (the sweep settles the job from Graph once the store is back)."""


class Later(Exception):
    """Not now: put the job back in its lane for ``seconds`` (``why`` in words, ``waiting_for``
    a code from above). Raised by a step; the engine records it and the lane wakes the job."""


    def __init__(self, seconds: float, why: str, waiting_for: str = FOR_GRAPH,
                 handed: bool = False, error: GraphError | None = None):
        super().__init__(f"{why}; again in {seconds:.1f}s")
        self.seconds, self.why, self.waiting_for = max(0.0, seconds), why, waiting_for
        self.handed = handed  # it may have been handed over: look before sending again
        self.error = error


def graph_detail(error: GraphError) -> dict:
    """A GraphError as JSON-ready data, enough to say it in words later."""
    return {"status": error.status, "code": error.code, "message": error.message,
            "request_id": error.request_id, "retry_after": error.retry_after}
