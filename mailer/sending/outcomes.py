"""A send job's states and outcome codes: data only (mailer/web/words.py says them in words)."""
from __future__ import annotations

from mailer.graph.errors import GraphError

RUNNING, SENT, NOT_SENT, UNKNOWN = "running", "sent", "not_sent", "unknown"
# Outcome codes (the record's "code"): why a job ended as it did, or why start() found one.
GRAPH_REFUSED = "graph_refused"  # not sent: Graph answered an error (detail.graph)
LOST_WHILE_PREPARING = "lost_while_preparing"  # not sent: a lost answer before the send
SIGN_IN_EXPIRED = "sign_in_expired"  # not sent: only a new sign-in gives a token
FAILED = "failed"  # not sent: the app itself failed (detail.exception)
NOT_TAKEN = "not_taken"  # not sent: the send's answer was lost, and the draft is still one
UNCONFIRMED = "unconfirmed"  # unknown: check Sent Items
UNCONFIRMED_NOT_SAVED = "unconfirmed_not_saved"  # unknown, and no copy in Sent Items to check
INTERRUPTED = "interrupted"  # unknown: its instance stopped, and Graph could not be asked
INTERRUPTED_NOT_SENT = "interrupted_not_sent"  # not sent: its instance stopped before the send
NOT_IN_SENT_ITEMS = "not_in_sent_items"  # not sent: its instance stopped; no copy in Sent Items
ALREADY_SENDING = "already_sending"  # start(): another request holds the claim


class LeaseLost(Exception):
    """Another instance took this send over: this one must not act or write any more."""


def graph_detail(error: GraphError) -> dict:
    """A GraphError as JSON-ready data, enough to say it in words later."""
    return {"status": error.status, "code": error.code, "message": error.message,
            "request_id": error.request_id, "retry_after": error.retry_after}
