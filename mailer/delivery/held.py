"""Where the files of a program's job wait: their keys in the job store, and the job's states
while they arrive (automation/intake.py receives an API job's; the engine sends and cleans up).

An API job's files are its own (``held_files: True``: keyed by the job and the file's place).
A merge's files are the same for many rows (``held_files: "shared"``): kept once, keyed by
their SHA-256, read by every row's job, and left to expire with the store (JOB_TTL) rather
than deleted by the first row that is sent.
"""
from __future__ import annotations

RECEIVING = "receiving"  # claimed; its files still arriving (the receiving request's lease)
INCOMPLETE = "SubmitIncomplete"  # the error code of a receipt that failed or whose host died
SHARED = "shared"  # held_files of a job whose files are kept by their SHA-256 (a merge's)


def file_key(job_id: str, index: int) -> str:
    return f"file:{job_id}:{index}"


def shared_key(sha256: str) -> str:
    return f"file:sha256:{sha256}"


def reader(store, record: dict):
    """description.check's ``read``: file index -> a callable giving its bytes from the store."""
    if record.get("held_files") == SHARED:
        items = record["description"].get("attachments") or []
        return lambda index: (lambda: store.get_bytes(shared_key(items[index]["sha256"])))
    return lambda index: (lambda: store.get_bytes(file_key(record["id"], index)))


def forget_files(store, record: dict) -> None:
    """Drop the bytes a job held in the store (sent or cancelled: no longer needed); shared
    ones stay for the other jobs that read them."""
    if record.get("held_files") is True:
        for index in range(len(record["description"].get("attachments") or [])):
            store.delete_bytes(file_key(record["id"], index))


def unfinished(record: dict) -> bool:
    """Claimed, but its files never all arrived where the worker reads them."""
    return record.get("state") == RECEIVING or (
        record.get("state") == "failed" and record.get("code") == INCOMPLETE)
