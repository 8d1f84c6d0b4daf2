"""Send jobs: run a send plan in a background thread, with progress any worker can read.

Idempotent by construction: a job is keyed by its draft id and starts only after an atomic
claim on that id (jobstore.py), so a double click, a page refresh or a retried request returns
the existing job instead of sending again; a sent draft's claim is never released. Only a
definite "not sent" releases it, so the person can fix the problem and send again.

When a send's connection drops after the request went out, the job does not resend: for the
draft path it asks Graph for the draft (gone, or ``isDraft`` false → sent); for sendMail it
looks in Sent Items for the ``x-mailer-draft-id`` header the message carries. The outcome is
then one of "sent", "not_sent" or "unknown" (could not confirm: check Sent Items).

Status fields (a plain dict, JSON-ready): draft_id, owner, state (running | sent | not_sent |
unknown), phase, plan, from_address (None: the user's own mailbox), bytes_done, bytes_total,
files [{name, size, done}], code (why it ended so: one of the outcome codes below, None while
running or once sent), detail (the facts behind it: the Graph error's fields, the file being
attached, the exception's name), error_code (Graph's code), needs_sign_in, started, updated.
Records hold data only; mailer/web/words.py says it in words.
"""
from __future__ import annotations

import logging
import threading
import time

from mailer.sending import recovery
from mailer.sending.compose import PreparedMessage
from mailer.graph.client import GraphClient
from mailer.graph.errors import GraphError, needs_sign_in
from mailer.graph.shapes import file_attachment_json
from mailer.sending.store import KeyValueStore
from mailer.sending.plan import DRAFT_ID_HEADER, SENDMAIL, SendPlan, message_with_header

logger = logging.getLogger(__name__)

RUNNING, SENT, NOT_SENT, UNKNOWN = "running", "sent", "not_sent", "unknown"
# Outcome codes (the record's "code"): why a job ended as it did, or why start() found one.
GRAPH_REFUSED = "graph_refused"  # not sent: Graph answered an error (detail.graph)
LOST_WHILE_PREPARING = "lost_while_preparing"  # not sent: a lost answer before the send
SIGN_IN_EXPIRED = "sign_in_expired"  # not sent: only a new sign-in gives a token
FAILED = "failed"  # not sent: the app itself failed (detail.exception)
NOT_TAKEN = "not_taken"  # not sent: the send's answer was lost, and the draft is still one
UNCONFIRMED = "unconfirmed"  # unknown: check Sent Items
UNCONFIRMED_NOT_SAVED = "unconfirmed_not_saved"  # unknown, and no copy in Sent Items to check
INTERRUPTED = "interrupted"  # unknown: the worker went silent mid-send
ALREADY_SENDING = "already_sending"  # start(): another request holds the claim


def graph_detail(error: GraphError) -> dict:
    """A GraphError as JSON-ready data, enough to say it in words later."""
    return {"status": error.status, "code": error.code, "message": error.message,
            "request_id": error.request_id, "retry_after": error.retry_after}


class SendJobs:
    """Starts each draft's send at most once and runs it in a background thread.

    ``start`` claims the draft id atomically in ``store`` (a second Send finds the running job),
    then sends through the plan's path; progress and the outcome (state, code, detail) are saved
    to ``store`` as they change, so any worker's ``status`` reads them. A lost answer is checked
    against the mailbox, never resent; only a definite "not sent" frees the draft to send again.
    """

    def __init__(self, store: KeyValueStore, drafts=None, *, confirm_tries: int,
                 confirm_delay: float, stale_after: float, sleep=time.sleep,
                 auth_errors: tuple[type[BaseException], ...] = (), on_finish=None):
        self.store, self.drafts = store, drafts
        self.on_finish = on_finish  # called with each finished job (e.g. to learn From rights)
        # Exceptions the token provider raises when only a fresh sign-in helps.
        self.auth_errors = auth_errors
        self.confirm_tries, self.confirm_delay, self.sleep = confirm_tries, confirm_delay, sleep
        self.stale_after = stale_after  # a "running" job silent this long lost its worker
        self._threads: dict[str, threading.Thread] = {}

    def status(self, draft_id: str, owner: str) -> dict | None:
        """The job of ``draft_id`` as any worker sees it; None if none (or not this owner's)."""
        job = self.store.get(f"job:{draft_id}")
        if not job or job.get("owner") != owner:
            return None
        if job["state"] == RUNNING and time.time() - job["updated"] > self.stale_after:
            job.update(state=UNKNOWN, code=INTERRUPTED)
        return job

    def start(self, draft_id: str, owner: str, prepared: PreparedMessage, plan: SendPlan,
              client: GraphClient, background: bool = True) -> tuple[dict, bool]:
        """Start sending unless this draft already has a job; returns (status, started)."""
        files = [{"name": a.name, "size": a.size, "done": 0} for a in prepared.attachments]
        now = time.time()
        job = {"draft_id": draft_id, "owner": owner, "state": RUNNING, "phase": "queued",
               "plan": plan.kind, "from_address": prepared.from_address,
               "bytes_done": 0, "bytes_total": plan.total_bytes,
               "files": files, "code": None, "detail": {}, "error_code": None,
               "needs_sign_in": False, "started": now, "updated": now}
        if not self.store.claim(f"claim:{draft_id}", {"owner": owner, "at": now}):
            existing = self.status(draft_id, owner)
            return (existing or {**job, "code": ALREADY_SENDING}), False
        self._save(job)
        if not background:
            self._run(job, prepared, plan, client)
            return job, True
        thread = threading.Thread(target=self._run, args=(job, prepared, plan, client),
                                  name=f"send-{draft_id[:8]}", daemon=True)
        self._threads[draft_id] = thread
        thread.start()
        return dict(job), True

    def wait(self, draft_id: str, timeout: float = 60.0) -> None:
        """Block until this process's thread for ``draft_id`` ends (tests, CLI)."""
        thread = self._threads.get(draft_id)
        if thread:
            thread.join(timeout)

    # -- the worker --------------------------------------------------------------------------
    def _save(self, job: dict) -> None:
        job["updated"] = time.time()
        self.store.put(f"job:{job['draft_id']}", job)

    def _phase(self, job: dict, phase: str, **detail) -> None:
        job.update(phase=phase, detail=detail)
        self._save(job)

    def _finish(self, job: dict, state: str, code: str | None = None,
                error: GraphError | None = None, **detail):
        if error is not None:
            detail["graph"] = graph_detail(error)
        job.update(state=state, phase="done", code=code, detail=detail,
                   error_code=error.code if error else None,
                   needs_sign_in=bool(error and needs_sign_in(error)))
        if state == SENT:
            job["bytes_done"] = job["bytes_total"]
            for f in job["files"]:
                f["done"] = f["size"]
        self._save(job)
        if state == NOT_SENT:  # a definite failure: the person may fix it and send again
            self.store.delete(f"claim:{job['draft_id']}")
        elif state == SENT and self.drafts is not None:
            try:
                self.drafts.mark_sent(job["draft_id"])
            except Exception:  # the mail is sent; a tidy-up failure must not say otherwise
                logger.exception("could not mark draft %s as sent", job["draft_id"])
        if self.on_finish is not None:
            try:
                self.on_finish(job)
            except Exception:  # a hint store failing must not change the send's outcome
                logger.exception("on_finish failed for send job %s", job["draft_id"])
        logger.info("send job %s: %s", job["draft_id"], state)

    def _run(self, job: dict, prepared: PreparedMessage, plan: SendPlan, client: GraphClient):
        try:
            self._send(job, prepared, plan, client)
        finally:
            self._threads.pop(job["draft_id"], None)  # finished: wait() has nothing to join

    def _send(self, job: dict, prepared: PreparedMessage, plan: SendPlan, client: GraphClient):
        draft_id, graph_id, current = job["draft_id"], None, None
        message = message_with_header(prepared, draft_id)
        try:
            if plan.kind == SENDMAIL:
                self._phase(job, "sending")
                message["attachments"] = [file_attachment_json(a, a.base64())
                                          for a in prepared.attachments]
                try:
                    client.send_mail(message, prepared.save_to_sent_items)
                except GraphError as exc:
                    if not exc.outcome_unknown:
                        raise
                    return self._confirm_sendmail(job, client, prepared)
                return self._finish(job, SENT)
            self._phase(job, "creating draft")
            graph_id = self._create_draft(client, message, draft_id)
            job["graph_message_id"] = graph_id
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
            self._phase(job, "sending")
            try:
                client.send_draft(graph_id)
            except GraphError as exc:
                if not exc.outcome_unknown:
                    raise
                return self._confirm_draft(job, client, graph_id)
            self._finish(job, SENT)
        except GraphError as exc:
            creating = job["phase"] == "creating draft"  # its answer may be lost: find it by id
            # A lost answer while preparing (draft, attachment): nothing went out.
            code = LOST_WHILE_PREPARING if exc.outcome_unknown else GRAPH_REFUSED
            self._finish(job, NOT_SENT, code, exc, **({"file": current} if current else {}))
            self._discard(client, graph_id, draft_id if creating else None)
        except self.auth_errors:
            self._finish(job, NOT_SENT, SIGN_IN_EXPIRED)
            job["needs_sign_in"] = True
            self._save(job)
            self._discard(client, graph_id)
        except Exception as exc:  # a disk or programming failure: still an outcome, not a 500
            logger.exception("send job %s failed", draft_id)
            self._finish(job, NOT_SENT, FAILED, exception=type(exc).__name__)
            self._discard(client, graph_id)

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
    def _discard(client: GraphClient, graph_id: str | None, draft_id: str | None = None) -> None:
        """Delete the unsent server-side draft (best effort): no litter in the person's Drafts.
        With ``draft_id`` (its creation's answer was lost): the drafts tagged with it."""
        try:
            for orphan in [graph_id] if graph_id else (
                    recovery.drafts_tagged(client, draft_id) if draft_id else []):
                client.delete_message(orphan)
        except Exception:  # noqa: BLE001 - tidying up must never hide the real outcome
            logger.info("could not delete unsent draft")

    def _confirm_draft(self, job: dict, client: GraphClient, graph_id: str) -> None:
        self._phase(job, "confirming")
        try:
            draft = client.get_message(graph_id, select=["isDraft"])
        except GraphError as exc:
            if exc.status == 404:  # a sent draft leaves Drafts
                return self._finish(job, SENT)
            return self._finish(job, UNKNOWN, UNCONFIRMED, exc)
        except self.auth_errors:  # it may have gone out: never free the draft for a resend
            return self._finish(job, UNKNOWN, UNCONFIRMED)
        if draft.get("isDraft") is False:
            return self._finish(job, SENT)
        self._finish(job, NOT_SENT, NOT_TAKEN)
        self._discard(client, graph_id)

    def _confirm_sendmail(self, job: dict, client: GraphClient, prepared: PreparedMessage):
        if not prepared.save_to_sent_items:
            return self._finish(job, UNKNOWN, UNCONFIRMED_NOT_SAVED)
        self._phase(job, "confirming")
        for attempt in range(self.confirm_tries):
            if attempt:
                self.sleep(self.confirm_delay)  # Sent Items can lag the send a little
            try:
                recent = client.list_messages("sentitems", select=["internetMessageHeaders"],
                                              top=25)
            except GraphError as exc:
                return self._finish(job, UNKNOWN, UNCONFIRMED, exc)
            except self.auth_errors:  # it may have gone out: never free the draft for a resend
                return self._finish(job, UNKNOWN, UNCONFIRMED)
            for item in recent:
                for header in item.get("internetMessageHeaders") or []:
                    if header.get("name", "").lower() == DRAFT_ID_HEADER \
                            and header.get("value") == job["draft_id"]:
                        return self._finish(job, SENT)
        self._finish(job, UNKNOWN, UNCONFIRMED)
