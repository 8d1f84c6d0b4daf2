"""A merge once started: its progress, pause, resume, cancel, and the list of merges. No Flask.

Counting a merge reads only its jobs' states (the lanes' ``states``: one step, not their
messages); a page of rows is read whole. Pause holds the merge's jobs out of the sender's lane
in one step (delivery/submit.py's ``hold``: a row being sent finishes), resume puts them back
where they were, cancel cancels every row not yet under way. Each may be repeated.

A merge is "scheduled" (every row left waits for its time), "running", "paused" or
"finished" (no row left to send).
"""
from __future__ import annotations

from mailer.automation import merge
from mailer.delivery import submit as engine

OPEN = ("queued", "scheduled", "waiting", "sending", "held", "receiving")  # rows still to go
CANCELLABLE = ("queued", "scheduled", "waiting", "held")
DONE = ("sent", "failed", "unknown", "cancelled", "refused", "missing")
MERGE_STATES = ("scheduled", "running", "paused", "finished")


def counts(rt, found: dict) -> dict:
    """{state: rows}, refused rows included."""
    out: dict = {}
    for state in rt.lanes.states(found["jobs"]):
        out[state or "missing"] = out.get(state or "missing", 0) + 1
    if found.get("refused"):
        out["refused"] = len(found["refused"])
    return out


def state_of(found: dict, counted: dict) -> str:
    left = sum(counted.get(s, 0) for s in OPEN)
    if not left:
        return "finished"
    if found.get("paused"):
        return "paused"
    return "scheduled" if counted.get("scheduled", 0) == left else "running"


def summary(rt, merge_id: str, found: dict | None = None) -> dict | None:
    """A merge in a few fields: who, when, its subject, state and counts (no rows)."""
    found = found or merge.batch(rt, merge_id)
    if found is None:
        return None
    counted = counts(rt, found)
    total = len(found["jobs"]) + len(found.get("refused", []))
    return {"id": merge_id, "sender": found["sender"], "subject": found.get("subject") or "",
            "created": found.get("created"), "not_before": found.get("not_before"),
            "started_by": found.get("started_by") or "", "paused": bool(found.get("paused")),
            "state": state_of(found, counted), "counts": counted, "total": total,
            "done": sum(counted.get(s, 0) for s in DONE)}


def progress(rt, merge_id: str, start: int = 0, count: int = 100,
             state: str | None = None) -> dict | None:
    """The summary and one page of rows (``state``: only rows in that state), in row order."""
    found = merge.batch(rt, merge_id)
    if found is None:
        return None
    about = summary(rt, merge_id, found)
    numbers = found.get("rows") or list(range(1, len(found["jobs"]) + 1))
    states = rt.lanes.states(found["jobs"])
    entries = [(n, "job", j) for n, j, s in zip(numbers, found["jobs"], states)
               if state is None or (s or "missing") == state]
    if state in (None, "refused"):
        entries += [(r["row"], "refused", r) for r in found.get("refused", [])]
    entries.sort(key=lambda e: e[0])
    page = entries[start:start + count]
    jobs = [e for e in page if e[1] == "job"]
    lines = merge.row_lines(rt, found, [e[2] for e in jobs], [e[0] for e in jobs])
    lines += [merge.refused_line(e[2]) for e in page if e[1] == "refused"]
    lines.sort(key=lambda r: r["row"])
    return {**about, "rows": lines, "matching": len(entries), "start": start}


def listed(rt, *, sender: str | None = None, state: str | None = None,
           since: float | None = None, until: float | None = None,
           started_by: str | None = None, start: int = 0,
           count: int = 20) -> tuple[list[dict], bool]:
    """The merges (newest first) that match, from ``start``: (up to ``count``, True when more
    follow). Each one's state costs a read of its jobs' states, so filters on the record
    (sender, who, when) come first."""
    out, seen = [], 0
    for merge_id in merge.recent(rt):
        found = merge.batch(rt, merge_id)
        if found is None or (sender and found["sender"] != sender) or \
                (started_by is not None and found.get("started_by") != started_by):
            continue
        created = found.get("created") or 0
        if (since and created < since) or (until and created >= until):
            continue
        about = summary(rt, merge_id, found)
        if state and about["state"] != state:
            continue
        seen += 1
        if seen > start + count:
            return out, True
        if seen > start:
            out.append(about)
    return out, False


def pause(rt, merge_id: str) -> int:
    """Hold the rows not yet under way; how many were taken out of the lane now."""
    found = _marked(rt, merge_id, paused=True)
    return engine.hold(rt, found["sender"], found["jobs"]) if found else 0


def resume(rt, merge_id: str) -> int:
    """Put the held rows back where they were; how many went back."""
    found = _marked(rt, merge_id, paused=False)
    return engine.release(rt, found["sender"], found["jobs"]) if found else 0


def cancel(rt, merge_id: str) -> tuple[int, int]:
    """Cancel every row not yet under way: (cancelled, left because a worker has them)."""
    found = merge.batch(rt, merge_id)
    if found is None:
        return 0, 0
    ids = [j for j, s in zip(found["jobs"], rt.lanes.states(found["jobs"]))
           if s in CANCELLABLE]
    done = sum(engine.cancel(rt, j)[0] for j in ids)
    return done, len(ids) - done


def _marked(rt, merge_id: str, paused: bool) -> dict | None:
    return rt.store.update(f"batch:merge:{merge_id}", lambda v: v and {**v, "paused": paused})
