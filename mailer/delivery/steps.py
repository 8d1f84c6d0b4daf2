"""A job's steps on Graph, run by the worker holding its lease: sendMail, or a draft, its
attachments (small ones posted, large ones through upload sessions) and POST …/send.

A mixin of Engine (engine.py), which keeps the record (``_phase``, ``_finish``, ``_save``),
gates the hand-over on the lane's slot and the lease (``_act``), and turns a Graph failure
into an outcome or a wait (``_failure``).
"""
from __future__ import annotations

import logging
import time

from mailer.delivery.outcomes import DRAFT_GONE, FAILED, SENT
from mailer.delivery.sources import Source
from mailer.graph.client import GraphClient
from mailer.graph.errors import GraphError
from mailer.graph.shapes import file_attachment_json
from mailer.sending import recovery
from mailer.sending.mailbox_drafts import drop_unlisted
from mailer.sending.plan import MAILBOX, SENDMAIL, message_with_header

logger = logging.getLogger(__name__)


class SendSteps:
    def _recorded_wait(self, job: dict, sleep):
        """Graph's retry sleeps only after an answer saying nothing was processed (429, 503,
        504, no connection): the record says so meanwhile (``asleep_until``), so a recovery
        knows that no request of this job was in flight when its worker died."""
        def wait(seconds: float) -> None:
            job["asleep_until"] = time.time() + seconds
            self._save(job)
            sleep(seconds)
            job["asleep_until"] = None
            self._save(job)  # before the retry goes out
        return wait

    def _steps(self, job: dict, source: Source, client: GraphClient) -> None:
        plan, prepared = source.plan, source.prepared
        if plan.kind == MAILBOX:
            return self._send_mailbox_draft(job, source, client)
        message = message_with_header(prepared, job["id"])
        if plan.kind == SENDMAIL:
            message["attachments"] = [file_attachment_json(a, a.base64())
                                      for a in prepared.attachments]
            try:
                self._act(job)
                client.send_mail(message, prepared.save_to_sent_items)
            except GraphError as exc:
                if exc.outcome_unknown:
                    return self._confirm_sendmail(job, client)
                return self._failure(job, exc, handed=True)
            return self._finish(job, SENT)
        ready = self._complete_draft(job, client)  # an earlier attempt's, with every file
        if ready:
            return self._send_the_draft(job, client, ready, cleanup=self._discard_partial)
        self._discard_partial(job, client)  # what an earlier attempt left half-made
        current = None
        try:
            self._phase(job, "creating draft")
            graph_id = self._create_draft(client, message, job["id"])
            job["graph_message_id"] = graph_id
            self._save(job)  # a recovery finds the draft by it
            done_before, small = 0, {id(a) for a in plan.small}
            for index, attachment in enumerate(prepared.attachments):
                current = {"name": attachment.name, "size": attachment.size}
                self._phase(job, "uploading", file=current)
                try:
                    if id(attachment) in small:
                        client.add_attachment(graph_id, attachment)
                    else:
                        session = client.create_upload_session(graph_id, attachment)
                        client.upload_file(session["uploadUrl"], attachment.path,
                                           self._progress(job, index, done_before))
                except GraphError as exc:
                    # A lost answer (0), or a session gone (404) because the chunk whose answer
                    # was lost completed it: the draft's attachments tell whether it is there.
                    if exc.status not in (0, 404) or not recovery.attachment_arrived(
                            client, graph_id, attachment, prepared.attachments[:index]):
                        raise
                    logger.info("job %s: attachment %d confirmed after %s", job["id"], index,
                                exc.code)
                done_before += attachment.size
                job["files"][index]["done"] = attachment.size
                job["bytes_done"] = done_before
            current = None
        except GraphError as exc:
            return self._failure(job, exc, file=current, cleanup=self._discard_partial)
        self._send_the_draft(job, client, graph_id, cleanup=self._discard_partial)

    def _send_the_draft(self, job: dict, client: GraphClient, graph_id: str,
                        cleanup=None) -> None:
        """POST …/send under the lease and the lane's slot; a lost answer is settled by asking
        Graph (confirm.py)."""
        self._phase(job, "sending")
        try:
            self._act(job)
            client.send_draft(graph_id)
        except GraphError as exc:
            if exc.outcome_unknown:
                return self._confirm_draft(job, client, graph_id)
            if exc.status == 404:  # gone from Drafts: sent by an earlier attempt, or deleted
                return self._draft_gone(job, client)
            return self._failure(job, exc, handed=True, cleanup=cleanup)
        self._finish(job, SENT)

    def _send_mailbox_draft(self, job: dict, source: Source, client: GraphClient) -> None:
        """The message already is a draft in the mailbox (mailbox_drafts.py): its fields are
        PATCHed, files still in the store posted, attachments it should not have deleted (the
        record is the truth), then POST …/send. A failure leaves the draft where it is."""
        graph_id = source.plan.graph_id
        job["graph_message_id"] = graph_id
        try:
            self._phase(job, "saving draft")
            client.update_message(graph_id, source.prepared.message)
            keep = {a.graph_id for a in source.prepared.attachments if a.graph_id}
            for attachment in source.plan.small:  # in the store still (a draft made just before Send)
                self._phase(job, "uploading", file={"name": attachment.name,
                                                    "size": attachment.size})
                keep.add(client.add_attachment(graph_id, attachment)["id"])
            drop_unlisted(client, graph_id, keep)
        except GraphError as exc:
            if exc.status == 404:
                return self._draft_gone(job, client)
            return self._failure(job, exc)
        self._send_the_draft(job, client, graph_id)

    def _progress(self, job: dict, index: int, done_before: int):
        last = [0.0]

        def report(done: int, total: int) -> None:
            job["files"][index]["done"] = done
            job["bytes_done"] = done_before + done
            if time.monotonic() - last[0] > 0.2 or done >= total:  # don't flood the store
                last[0] = time.monotonic()
                self._save(job)
        return report

    @staticmethod
    def _create_draft(client: GraphClient, message: dict, job_id: str) -> str:
        """POST the draft. After a lost answer, any draft tagged with this id is deleted (it may
        exist, unanswered) and one is created again: Drafts keeps no orphan, nothing is doubled."""
        try:
            return client.create_draft(message)["id"]
        except GraphError as exc:
            if not exc.outcome_unknown:
                raise
        for orphan in recovery.drafts_tagged(client, job_id):
            logger.info("job %s: deleting the draft whose creation answer was lost", job_id)
            client.delete_message(orphan)
        return client.create_draft(message)["id"]

    def _discard_partial(self, job: dict, client: GraphClient) -> None:
        """Delete the half-made draft of an earlier attempt of this job (never the person's
        own mailbox draft, plan MAILBOX): by its id, else by its tag. Best effort."""
        if job.get("plan") == MAILBOX:
            return
        try:
            graph_id = job.get("graph_message_id")
            for orphan in [graph_id] if graph_id else recovery.drafts_tagged(client, job["id"]):
                client.delete_message(orphan)
        except GraphError as exc:
            if exc.status != 404:
                logger.info("job %s: could not delete a half-made draft (%s)", job["id"], exc.code)
        job["graph_message_id"] = None

    def _draft_gone(self, job: dict, client: GraphClient) -> None:
        """The draft to send is not in the mailbox: sent already (its copy in Sent Items: an
        earlier attempt's POST …/send got through), or deleted there by someone."""
        if self._in_sent_items(job, client):
            return self._finish(job, SENT, recovered=True)
        self._finish(job, FAILED, DRAFT_GONE)
