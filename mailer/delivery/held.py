"""Where the files of an API job wait: their keys in the job store, and the job's states while
they arrive (automation/intake.py receives them; the engine sends and cleans up)."""
from __future__ import annotations

RECEIVING = "receiving"  # claimed; its files still arriving (the receiving request's lease)
INCOMPLETE = "SubmitIncomplete"  # the error code of a receipt that failed or whose host died


def file_key(job_id: str, index: int) -> str:
    return f"file:{job_id}:{index}"


def reader(store, job_id: str):
    """description.check's ``read``: file index -> a callable giving its bytes from the store."""
    return lambda index: (lambda: store.get_bytes(file_key(job_id, index)))


def forget_files(store, record: dict) -> None:
    """Drop the bytes a job held in the store (sent or cancelled: no longer needed)."""
    if record.get("held_files"):
        for index in range(len(record["description"].get("attachments") or [])):
            store.delete_bytes(file_key(record["id"], index))


def unfinished(record: dict) -> bool:
    """Claimed, but its files never all arrived where the worker reads them."""
    return record.get("state") == RECEIVING or (
        record.get("state") == "failed" and record.get("code") == INCOMPLETE)
