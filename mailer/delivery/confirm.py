"""Asking Graph whether a job went out, when its answer was lost or its worker died.

Nobody needs to come back for this: a job whose worker died is found by the sweep (its lease
expired), put back in its lane, and the next worker that takes it settles it here first. The
lane tells whether the job may have been handed over (the lanes' hand-over mark, set when its
slot was granted and cleared when it ended or went back unsent):

- never handed over: it died preparing, or asleep on a Retry-After (the record says
  ``asleep_until``). Nothing went out: it is simply sent, reusing an earlier attempt's draft
  when that draft holds every file, else deleting the half-made one first.
- a draft (made at Send, the person's mailbox draft, or the API's): gone from Drafts, or no
  longer a draft → sent; still a draft → the send did not take, and it is sent now (sending
  consumes a draft, so of two sends racing one finds it gone).
- sendMail: its copy is looked for in Sent Items by its ``x-mailer-draft-id`` tag, back to the
  hand-over. Found → sent. Not found a lease's length after the hand-over (Sent Items may lag
  the send) → it did not go: sent again. Without a copy in Sent Items (saveToSentItems false)
  nothing can tell: "unknown", never a second send.

When Graph cannot be asked (503, no connection), the job waits in its lane and is asked
again; when only the person could help (signed out) the job ends "unknown", never freed for a
second send unconfirmed.
"""
from __future__ import annotations

import logging
import time

from mailer.delivery.outcomes import (FOR_CONFIRMATION, INTERRUPTED, SENT, UNCONFIRMED_NOT_SAVED,
                                      UNKNOWN, Later)
from mailer.delivery.sources import Source
from mailer.graph.client import GraphClient
from mailer.graph.errors import GraphError
from mailer.sending import recovery
from mailer.sending.plan import SENDMAIL

logger = logging.getLogger(__name__)


def holds_every_file(client: GraphClient, graph_id: str, files: list[dict]) -> bool:
    """True when the draft has, for each file of the job, one attachment of its name and size."""
    listed = [(a.get("name"), int(a.get("size") or 0)) for a in client.list_attachments(graph_id)]
    for f in files:
        # UNCONFIRMED: whether Outlook's size counts a little more than the file's bytes; at
        # least the file's size holds either way (as in sending/recovery.py).
        match = next((i for i, (name, size) in enumerate(listed)
                      if name == f["name"] and size >= f["size"]), None)
        if match is None:
            return False
        listed.pop(match)
    return True


class Confirming:
    """Engine's confirmations (a mixin: engine.py keeps the record, the lease and the lane)."""

    def _in_sent_items(self, job: dict, client: GraphClient, since: float | None = None) -> bool:
        """Sent Items holds the job's tagged copy (looked for a few times: it may lag)."""
        since = since if since is not None else job.get("created")
        for attempt in range(self.confirm_tries):
            if attempt:
                self.sleep(self.confirm_delay)
            if recovery.sent_copy(client, job["id"], since=since, top=50):
                return True
        return False

    def _unconfirmed(self, job: dict, exc: GraphError) -> None:
        """Graph could not be asked: wait and ask again; only the person could help: unknown."""
        if exc.status in (401, 403):
            return self._finish(job, UNKNOWN, INTERRUPTED, exc)
        raise Later(exc.retry_after or self.lease_seconds, f"could not ask Graph ({exc.code})",
                    FOR_CONFIRMATION, handed=True, error=exc)

    def _confirm_sendmail(self, job: dict, client: GraphClient) -> None:
        """sendMail's answer was lost on the way back."""
        if not job.get("save_to_sent_items", True):
            return self._finish(job, UNKNOWN, UNCONFIRMED_NOT_SAVED)
        self._phase(job, "confirming")
        try:
            if self._in_sent_items(job, client):
                return self._finish(job, SENT)
        except GraphError as exc:
            return self._unconfirmed(job, exc)
        raise Later(self.lease_seconds, "the answer was lost and Sent Items has no copy yet",
                    FOR_CONFIRMATION, handed=True)

    def _confirm_draft(self, job: dict, client: GraphClient, graph_id: str) -> None:
        """POST …/send's answer was lost: the draft tells."""
        self._phase(job, "confirming")
        try:
            state = recovery.draft_state(client, graph_id)
        except GraphError as exc:
            return self._unconfirmed(job, exc)
        if state == "sent":
            return self._finish(job, SENT)
        raise Later(0, "the send did not take: the draft is still one", FOR_CONFIRMATION)

    def _recover(self, job: dict, source: Source, client: GraphClient,
                 handed_at: float | None) -> None:
        """Settle a job an earlier worker may have handed over (see the module's docstring),
        then send it if it did not go."""
        logger.info("job %s: recovering (phase %s, handed over at %s)", job["id"],
                    job.get("phase"), handed_at)
        job["recovered"] = True
        if handed_at is None or job.get("asleep_until"):  # nothing of it was in flight
            job["asleep_until"] = None
            return self._send_now(job, source, client)
        graph_id = job.get("graph_message_id") or source.ready_draft or (
            source.plan.graph_id if source.plan else None)
        try:
            if graph_id and (source.plan is None or source.plan.kind != SENDMAIL):
                if recovery.draft_state(client, graph_id) == "sent":
                    return self._finish(job, SENT, recovered=True)
                return self._send_now(job, source, client)
            if not job.get("save_to_sent_items", True):
                return self._finish(job, UNKNOWN, UNCONFIRMED_NOT_SAVED)
            if self._in_sent_items(job, client, since=handed_at):
                return self._finish(job, SENT, recovered=True)
        except GraphError as exc:
            return self._unconfirmed(job, exc)
        waited = time.time() - handed_at
        if waited < self.lease_seconds:
            raise Later(self.lease_seconds - waited, "Sent Items is looked at again before "
                        "sending again", FOR_CONFIRMATION, handed=True)
        return self._send_now(job, source, client)

    def _complete_draft(self, job: dict, client: GraphClient) -> str | None:
        """An earlier attempt's draft (plan DRAFT) that holds every file: sent as it is."""
        graph_id = job.get("graph_message_id")
        if not graph_id or job.get("plan") == SENDMAIL:
            return None
        try:
            if recovery.draft_state(client, graph_id) == "draft" and holds_every_file(
                    client, graph_id, job.get("files") or []):
                return graph_id
        except GraphError as exc:
            if exc.status not in (404,):
                logger.info("job %s: the earlier draft could not be checked (%s)", job["id"],
                            exc.code)
        return None
