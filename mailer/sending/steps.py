"""A send's steps on Graph, run by the instance holding its lease: sendMail, or a draft, its
attachments (small ones posted, large ones through upload sessions) and POST …/send.

A mixin of SendJobs (jobs.py), which keeps the record (``_phase``, ``_finish``, ``_save``) and
the lease (``_act`` right before the message is handed over).
"""
from __future__ import annotations

import logging
import time

from mailer.graph.client import GraphClient
from mailer.graph.errors import GraphError
from mailer.graph.shapes import file_attachment_json
from mailer.sending import recovery
from mailer.sending.mailbox_drafts import drop_unlisted
from mailer.sending.compose import PreparedMessage
from mailer.sending.outcomes import (FAILED, GRAPH_REFUSED, LOST_WHILE_PREPARING, NOT_SENT,
                                     SENT, SIGN_IN_EXPIRED, LeaseLost)
from mailer.sending.plan import MAILBOX, SENDMAIL, SendPlan, message_with_header

logger = logging.getLogger(__name__)


class SendSteps:
    def _send(self, job: dict, prepared: PreparedMessage, plan: SendPlan, client: GraphClient):
        real_sleep = client.sleep
        client.sleep = self._recorded_wait(job, real_sleep)
        try:
            self._steps(job, prepared, plan, client)
        finally:
            client.sleep = real_sleep

    def _recorded_wait(self, job: dict, sleep):
        """Graph's retry sleeps only after an answer saying nothing was processed (429, 503,
        504, no connection): the record says "waiting" meanwhile, so a takeover knows that no
        request of this send was in flight when its instance died."""
        def wait(seconds: float) -> None:
            job["waiting_until"] = time.time() + seconds
            self._save(job)
            sleep(seconds)
            job["waiting_until"] = None
            self._save(job)  # before the retry goes out
        return wait

    def _steps(self, job: dict, prepared: PreparedMessage, plan: SendPlan, client: GraphClient):
        if plan.kind == MAILBOX:
            return self._send_mailbox_draft(job, prepared, plan, client)
        draft_id, graph_id, current = job["draft_id"], None, None
        message = message_with_header(prepared, draft_id)
        try:
            if plan.kind == SENDMAIL:  # the record says "sending" from its start (jobs.py)
                message["attachments"] = [file_attachment_json(a, a.base64())
                                          for a in prepared.attachments]
                try:
                    self._act(job)
                    client.send_mail(message, prepared.save_to_sent_items)
                except GraphError as exc:
                    if not exc.outcome_unknown:
                        raise
                    return self._confirm_sendmail(job, client, prepared)
                return self._finish(job, SENT)
            self._phase(job, "creating draft")
            graph_id = self._create_draft(client, message, draft_id)
            job["graph_message_id"] = graph_id
            self._save(job)  # a takeover finds the draft by it
            done_before = 0
            small = {id(a) for a in plan.small}
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
                    logger.info("send job %s: attachment %d confirmed after %s", draft_id,
                                index, exc.code)
                done_before += attachment.size
                job["files"][index]["done"] = attachment.size
                job["bytes_done"] = done_before
            current = None
            self._send_the_draft(job, client, graph_id)
        except LeaseLost:
            raise
        except GraphError as exc:
            creating = job["phase"] == "creating draft"  # its answer may be lost: find it by id
            # A lost answer while preparing (draft, attachment): nothing went out.
            code = LOST_WHILE_PREPARING if exc.outcome_unknown else GRAPH_REFUSED
            self._finish(job, NOT_SENT, code, exc, **({"file": current} if current else {}))
            self._discard(job, client, graph_id, draft_id if creating else None)
        except self.auth_errors:
            self._not_sent_sign_in(job)
            self._discard(job, client, graph_id)
        except Exception as exc:  # a disk or programming failure: still an outcome, not a 500
            logger.exception("send job %s failed", draft_id)
            self._finish(job, NOT_SENT, FAILED, exception=type(exc).__name__)
            self._discard(job, client, graph_id)

    def _send_the_draft(self, job: dict, client: GraphClient, graph_id: str) -> None:
        """POST …/send under the lease; a lost answer is settled by asking Graph (confirm.py).
        A refusal raises GraphError for the caller's own words."""
        self._phase(job, "sending")
        try:
            self._act(job)
            client.send_draft(graph_id)
        except GraphError as exc:
            if not exc.outcome_unknown:
                raise
            return self._confirm_draft(job, client, graph_id)
        self._finish(job, SENT)

    def _not_sent_sign_in(self, job: dict) -> None:
        self._finish(job, NOT_SENT, SIGN_IN_EXPIRED)
        job["needs_sign_in"] = True
        self._save(job)

    def _send_mailbox_draft(self, job: dict, prepared: PreparedMessage, plan: SendPlan,
                            client: GraphClient) -> None:
        """The message already is a draft in the mailbox (mailbox_drafts.py): its fields are
        PATCHed, files still in the store posted, attachments it should not have deleted (the
        record is the truth), then POST …/send. A failure leaves the draft where it is."""
        graph_id = plan.graph_id
        try:
            self._phase(job, "saving draft")
            client.update_message(graph_id, prepared.message)
            keep = {a.graph_id for a in prepared.attachments if a.graph_id}
            for attachment in plan.small:  # in the store still (a draft made just before Send)
                self._phase(job, "uploading", file={"name": attachment.name,
                                                    "size": attachment.size})
                keep.add(client.add_attachment(graph_id, attachment)["id"])
            drop_unlisted(client, graph_id, keep)
            self._send_the_draft(job, client, graph_id)
        except LeaseLost:
            raise
        except GraphError as exc:
            self._finish(job, NOT_SENT, LOST_WHILE_PREPARING if exc.outcome_unknown
                         else GRAPH_REFUSED, exc)
        except self.auth_errors:
            self._not_sent_sign_in(job)
        except Exception as exc:  # noqa: BLE001 - still an outcome, not a 500
            logger.exception("send job %s failed", job["draft_id"])
            self._finish(job, NOT_SENT, FAILED, exception=type(exc).__name__)

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
    def _create_draft(client: GraphClient, message: dict, draft_id: str) -> str:
        """POST the draft. After a lost answer, any draft tagged with this id is deleted (it may
        exist, unanswered) and one is created again: Drafts keeps no orphan, nothing is doubled."""
        try:
            return client.create_draft(message)["id"]
        except GraphError as exc:
            if not exc.outcome_unknown:
                raise
        for orphan in recovery.drafts_tagged(client, draft_id):
            logger.info("send job %s: deleting the draft whose creation answer was lost", draft_id)
            client.delete_message(orphan)
        return client.create_draft(message)["id"]

    @staticmethod
    def _discard(job: dict, client: GraphClient, graph_id: str | None,
                 draft_id: str | None = None) -> None:
        """Delete the unsent server-side draft (best effort): no litter in the person's Drafts.
        With ``draft_id`` (its creation's answer was lost): the drafts tagged with it. A draft
        the person keeps in the mailbox (plan MAILBOX) is theirs, and stays."""
        if job.get("plan") == MAILBOX:
            return
        try:
            for orphan in [graph_id] if graph_id else (
                    recovery.drafts_tagged(client, draft_id) if draft_id else []):
                client.delete_message(orphan)
        except Exception:  # noqa: BLE001 - tidying up must never hide the real outcome
            logger.info("could not delete unsent draft")
