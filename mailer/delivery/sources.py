"""A job's message, built again by the worker that runs it, from what its record keeps.

A compose job keeps Graph's JSON of the message as it was when Send was pressed and its files'
entries in the draft store (small files' bytes are read from there now; larger ones are in the
mailbox draft already). A program's job keeps its description, checked again here as at submit
(a file whose bytes expired is refused in words, never a traceback). Either way the send plan
(sending/plan.py) is chosen again from the same data, so it is the plan the submit chose.
"""
from __future__ import annotations

from dataclasses import dataclass

from mailer.delivery.held import reader
from mailer.sending.compose import PreparedMessage
from mailer.sending.description import AutomationError, check
from mailer.sending.plan import PlanRefused, SendPlan, plan


class Unsendable(Exception):
    """The message can no longer be built (a file gone, a limit lowered); ``str`` says why."""


@dataclass
class Source:
    prepared: PreparedMessage
    plan: SendPlan | None  # None: ``ready_draft`` is complete in the mailbox (the API's)
    ready_draft: str | None = None


def load(rt, job: dict) -> Source:
    """The job's message and plan; Unsendable when it cannot be built any more."""
    try:
        if "compose" in job:
            c = job["compose"]
            files = [rt.drafts.attachment(c["draft_id"], entry) for entry in c["files"]]
            prepared = PreparedMessage(dict(c["message"]), files, c["from_address"],
                                       c["save_to_sent_items"], c["recipients"])
            return Source(prepared, plan(prepared, rt.limits, job["id"], c.get("mailbox_draft")))
        read = reader(rt.store, job) if job.get("held_files") else None
        prepared = check(job["description"], max_recipients=rt.cfg["MAX_RECIPIENTS"],
                         me_address=job.get("me") or job.get("sender"), read=read)
        if job.get("draft"):
            return Source(prepared, None, job["draft"])
        return Source(prepared, plan(prepared, rt.limits, job["id"]))
    except AutomationError as exc:
        raise Unsendable(str(exc)) from None
    except PlanRefused as exc:
        raise Unsendable(" ".join(exc.errors)) from None
    except (KeyError, TypeError, ValueError) as exc:  # a record from an older release
        raise Unsendable(f"its record cannot be read ({type(exc).__name__})") from None
