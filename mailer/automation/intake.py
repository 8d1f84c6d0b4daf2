"""A message submitted with its files (the JSON API's), kept where any worker on any host finds it.

The files arrive as open, seekable handles (Werkzeug spools each part of a request to a temporary
file of that request); nothing outlives the request on this host. A message that fits one
sendMail keeps its files as bytes in the shared store under the job, for JOB_TTL, and a worker
sends it in one request. A larger one becomes a draft in the sender's mailbox now (app-only,
Mail.ReadWrite): small files posted, large ones streamed from their handles through upload
sessions a chunk at a time, the draft tagged with the job's ``x-mailer-draft-id``; the job keeps
the draft's id and a worker sends that draft (mailer/delivery/engine.py).

The job is claimed ("receiving", under its lease, kept alive by a heartbeat) before any draft is
made, so a retried submit under the same Idempotency-Key never makes a second one: it gets the
queued job back, or ``StillReceiving`` while the first request still holds the lease. Only once
every file is in place does the job enter its mailbox's lane (the lease handed on to the worker
that takes it, never dropped under it). A receipt that failed, or whose instance died (the
sweep finds its lease expired), is a failed job with code ``SubmitIncomplete``; a retry under
its key throws away the tagged draft left behind and receives the files again.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import BinaryIO

from mailer.automation import jobs
from mailer.automation.errors import StillReceiving
from mailer.delivery import submit as engine
from mailer.delivery.held import INCOMPLETE, RECEIVING, file_key, unfinished
from mailer.delivery.outcomes import FAILED, QUEUED
from mailer.graph.errors import GraphError
from mailer.graph.shapes import FileSource
from mailer.graph.uploads import SeekableSource
from mailer.sending import recovery
from mailer.sending.description import HeldFile, check
from mailer.sending.lease import Lease
from mailer.sending.plan import SENDMAIL, message_with_header

logger = logging.getLogger(__name__)

PIECE = 1024 * 1024


@dataclass
class Incoming:
    """One file of a submit: its name (sanitized), type, and a seekable handle the request owns."""

    name: str
    content_type: str
    handle: BinaryIO
    size: int = 0
    sha256: str = ""

    def measure(self) -> "Incoming":
        """Size and SHA-256, a megabyte at a time (the same bytes: the same description)."""
        digest, self.size = hashlib.sha256(), 0
        self.handle.seek(0)
        while piece := self.handle.read(PIECE):
            digest.update(piece)
            self.size += len(piece)
        self.sha256 = digest.hexdigest()
        return self

    def described(self) -> dict:
        return {"name": self.name, "size": self.size, "content_type": self.content_type,
                "sha256": self.sha256}

    def whole(self) -> bytes:
        self.handle.seek(0)
        return self.handle.read()


def submit(rt, description: dict, idempotency_key: str,
           files: list[Incoming]) -> tuple[str, bool]:
    """Record the job, put its files where any worker reaches them, hand it to the engine:
    (job id, True when it was submitted before). Raises PlanRefused, AutomationError,
    StillReceiving or GraphError (the job is then a failed SubmitIncomplete)."""
    if not files:
        return jobs.submit(rt, description, idempotency_key)
    description = {**description, "attachments": [f.described() for f in files]}
    record = jobs.build(rt, description, idempotency_key)  # PlanRefused before anything is kept
    record.update(state=RECEIVING, phase="receiving")
    job_id = record["id"]
    stored, won = engine.claim(rt, record)
    if not won:
        jobs.same_message(stored, record)
        if not unfinished(stored):
            return job_id, True
    lease = Lease(rt.store, f"job:{job_id}", rt.lease_seconds)
    if not lease.take():
        raise StillReceiving()
    lease.start_heartbeat()
    try:
        if not won:
            if not unfinished(rt.lanes.get(job_id) or stored):
                return job_id, True  # finished by the request that held it until now
            engine.claim(rt, record, (RECEIVING, FAILED))  # this request receives them again
            discard_tagged(rt, record)  # what the last try left
        try:
            record.update(_keep(rt, lease, record, files))
        except BaseException as exc:
            _incomplete(rt, lease, record, exc)
            raise
        record.update(state=QUEUED, phase="queued", updated=time.time())
        lease.stop_heartbeat()  # the worker that takes it sets the job's lease anew
        engine.hand_in(rt, record)
        return job_id, not won
    finally:
        lease.release()


def discard_tagged(rt, record: dict) -> None:
    """Delete the drafts tagged with this job in the sender's mailbox (a half-made one)."""
    client = rt.app_graph(record["sender"])
    for orphan in recovery.drafts_tagged(client, record["id"]):
        client.delete_message(orphan)


def _keep(rt, lease: Lease, record: dict, files: list[Incoming]) -> dict:
    job_id, sender = record["id"], record["sender"]
    if record["plan"] == SENDMAIL:  # the whole message fits one request: its files fit the store
        for index, file in enumerate(files):
            rt.store.put_bytes(file_key(job_id, index), file.whole())
        return {"held_files": True}
    client, small_max = rt.app_graph(sender), rt.limits.small_attachment_max
    prepared = check(record["description"], max_recipients=rt.cfg["MAX_RECIPIENTS"],
                     me_address=sender)
    draft = client.create_draft(message_with_header(prepared, job_id))["id"]
    record["draft"] = draft  # from now on a cancel or a clean-up finds it by id too
    lease.put(f"job:{job_id}", {**record, "updated": time.time()})
    for file in files:
        if file.size < small_max:
            client.add_attachment(draft, HeldFile(file.name, None, file.size, file.content_type,
                                                  read=file.whole))
        else:
            source = FileSource(file.name, None, file.size, file.content_type)
            session = client.create_upload_session(draft, source)
            client.upload_file(session["uploadUrl"], SeekableSource(
                handle=file.handle, name=file.name, total=file.size))
    return {"draft": draft}


def _incomplete(rt, lease: Lease, record: dict, exc: BaseException) -> None:
    """The receipt failed: nothing half-made stays in the mailbox; the job says so."""
    try:
        if record.get("draft"):
            discard_tagged(rt, record)
    except Exception:  # noqa: BLE001 - a retry under the key, or a worker, tries again
        logger.exception("job %s: could not remove the half-made draft", record["id"])
    record.pop("draft", None)
    said = exc.message if isinstance(exc, GraphError) else type(exc).__name__
    record.update(state=FAILED, phase="done", code=INCOMPLETE, updated=time.time(), error={
        "code": INCOMPLETE, "message": "The message's files did not all reach the sender's "
        f"mailbox ({said}); nothing was sent. Submit it again (the same Idempotency-Key is "
        "fine)."})
    lease.stop_heartbeat()
    rt.lanes.finish(record, lease.token)
