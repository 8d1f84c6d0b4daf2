"""Asking Graph whether a send went out, when its answer was lost or its instance died.

After a lost answer the running job asks (jobs.py); after an instance's death, whichever
instance takes over the expired lease asks, and ``after_takeover`` decides from what Graph says:

- draft path, the Graph draft gone or ``isDraft`` false, after the record said "sending" → sent.
- draft path, still a draft holding every attachment → **finish**: POST …/send once, under the
  new lease. This is safe because a draft is sent at most once by its nature: sending consumes
  the item (it leaves Drafts), so if the dead instance's own POST …/send was still in flight,
  one of the two finds the draft gone (404) and nothing is doubled. And the person had pressed
  Send: the job exists only then.
- draft path, a draft missing an attachment (the instance died mid-upload), or none at all →
  **offer again**: the partial draft is deleted, never sent, and the claim released; the local
  draft is intact.
- sendMail path → Sent Items, by the ``x-mailer-draft-id`` header, a few times: found → sent;
  not found → offer again. sendMail is never repeated by a takeover: a sendMail cannot be
  withdrawn, so a lost answer could mean it went out unseen; only the person decides to resend,
  told plainly that it was not found in Sent Items. A send asleep on a Retry-After (the record
  says "waiting": steps.py) had nothing in flight, and is offered again without asking.
- the record still "queued" or "creating draft": nothing was handed to Graph → offer again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from mailer.graph.client import GraphClient
from mailer.graph.errors import GraphError
from mailer.sending.compose import PreparedMessage
from mailer.sending.outcomes import (GRAPH_REFUSED, INTERRUPTED, INTERRUPTED_NOT_SENT,
                                     NOT_IN_SENT_ITEMS, NOT_SENT, NOT_TAKEN, SENT, UNCONFIRMED,
                                     UNCONFIRMED_NOT_SAVED, UNKNOWN, LeaseLost)
from mailer.sending.plan import MAILBOX, SENDMAIL
from mailer.sending.recovery import draft_state, sent_copy

logger = logging.getLogger(__name__)

SENT_PHASES = ("sending", "confirming")  # the record's phase once the send may have gone out


@dataclass(frozen=True)
class Verdict:
    """What a takeover found: ``act`` is sent | finish | release | unknown."""

    act: str
    graph_id: str | None = None  # the Graph draft to send (finish) or delete (release)
    searched: bool = False  # release: Sent Items was searched in vain (else: it never went out)


def in_sent_items(client: GraphClient, draft_id: str, tries: int, delay: float, sleep) -> bool:
    """True when a message carrying ``draft_id`` is in Sent Items, looking ``tries`` times."""
    for attempt in range(tries):
        if attempt:
            sleep(delay)  # Sent Items can lag the send a little
        if sent_copy(client, draft_id):
            return True
    return False


def holds_every_file(client: GraphClient, graph_id: str, files: list[dict]) -> bool:
    """True when the draft has, for each file of the job, one attachment of its name and size."""
    listed = [(a.get("name"), int(a.get("size") or 0)) for a in client.list_attachments(graph_id)]
    for f in files:
        # UNCONFIRMED: whether Outlook's size counts a little more than the file's bytes; at
        # least the file's size holds either way (as in recovery.py).
        match = next((i for i, (name, size) in enumerate(listed)
                      if name == f["name"] and size >= f["size"]), None)
        if match is None:
            return False
        listed.pop(match)
    return True


def after_takeover(job: dict, client: GraphClient, *, tries: int, delay: float,
                   sleep) -> Verdict:
    """Decide a dead instance's send (see the module's docstring); GraphError if Graph fails."""
    phase, draft_id = job.get("phase"), job["draft_id"]
    if job.get("plan") == SENDMAIL:
        if phase not in SENT_PHASES or job.get("waiting_until"):
            return Verdict("release")  # not handed over yet, or asleep on a Retry-After
        if not job.get("save_to_sent_items", True):
            return Verdict("unknown")  # no copy to look for: never free it for a resend
        found = in_sent_items(client, draft_id, tries, delay, sleep)
        return Verdict("sent" if found else "release", searched=True)
    graph_id = job.get("graph_message_id")
    if graph_id is None:  # died creating it: drafts tagged with its id are partial (deleted)
        return Verdict("release")
    if draft_state(client, graph_id) == "sent":
        # Gone before Send was reached: deleted by the person (in Outlook); not sent by us.
        return Verdict("sent" if phase in SENT_PHASES else "release")
    if job.get("plan") == MAILBOX and phase not in SENT_PHASES:
        return Verdict("release", graph_id)  # the person's draft, as they left it
    if holds_every_file(client, graph_id, job.get("files") or []):
        return Verdict("finish", graph_id)
    return Verdict("release", graph_id)


class Confirming:
    """SendJobs' confirmations (a mixin: jobs.py keeps the record and the lease)."""

    def _confirm_draft(self, job: dict, client: GraphClient, graph_id: str) -> None:
        self._phase(job, "confirming")
        try:
            state = draft_state(client, graph_id)
        except GraphError as exc:
            return self._finish(job, UNKNOWN, UNCONFIRMED, exc)
        except self.auth_errors:  # it may have gone out: never free the draft for a resend
            return self._finish(job, UNKNOWN, UNCONFIRMED)
        if state == "sent":
            return self._finish(job, SENT)
        self._finish(job, NOT_SENT, NOT_TAKEN)
        self._discard(job, client, graph_id)

    def _confirm_sendmail(self, job: dict, client: GraphClient,
                          prepared: PreparedMessage) -> None:
        if not prepared.save_to_sent_items:
            return self._finish(job, UNKNOWN, UNCONFIRMED_NOT_SAVED)
        self._phase(job, "confirming")
        try:
            found = in_sent_items(client, job["draft_id"], self.confirm_tries,
                                          self.confirm_delay, self.sleep)
        except GraphError as exc:
            return self._finish(job, UNKNOWN, UNCONFIRMED, exc)
        except self.auth_errors:  # it may have gone out: never free the draft for a resend
            return self._finish(job, UNKNOWN, UNCONFIRMED)
        if found:
            return self._finish(job, SENT)
        self._finish(job, UNKNOWN, UNCONFIRMED)

    def _take_over(self, job: dict, client: GraphClient) -> None:
        """Settle a dead instance's send under this instance's lease (py says how)."""
        died_in = dict(job)  # the record as the dead instance left it (phase, waiting_until)
        self._phase(job, "confirming")
        try:
            verdict = after_takeover(died_in, client, tries=self.confirm_tries,
                                             delay=self.confirm_delay, sleep=self.sleep)
            if verdict.act == "finish":
                self._phase(job, "sending")
                try:
                    self._act(job)
                    client.send_draft(verdict.graph_id)
                except GraphError as exc:
                    if exc.status == 404:  # the dead instance's own send took it meanwhile
                        return self._finish(job, SENT)
                    if exc.outcome_unknown:
                        return self._confirm_draft(job, client, verdict.graph_id)
                    self._finish(job, NOT_SENT, GRAPH_REFUSED, exc)  # refused: it did not go
                    return self._discard(job, client, verdict.graph_id)
                return self._finish(job, SENT)
        except LeaseLost:
            raise
        except (GraphError, *self.auth_errors) as exc:  # never free it unconfirmed
            error = exc if isinstance(exc, GraphError) else None
            return self._finish(job, UNKNOWN, INTERRUPTED, error)
        if verdict.act == "sent":
            return self._finish(job, SENT)
        if verdict.act == "unknown":
            return self._finish(job, UNKNOWN, UNCONFIRMED_NOT_SAVED)
        self._finish(job, NOT_SENT, NOT_IN_SENT_ITEMS if verdict.searched else INTERRUPTED_NOT_SENT)
        if job.get("plan") != SENDMAIL:  # the partial draft in the mailbox: deleted, never sent
            self._discard(job, client, verdict.graph_id, job["draft_id"])
