"""What the app says about a send job: its state, what it waits for, why it did not go, and what
to do next (words.py says the rest; Graph's errors are its ``graph_advice``). Branches on the
job record's state, code and detail, never on Microsoft's message text."""
from __future__ import annotations

import time

from mailer.delivery import outcomes as o
from mailer.graph.errors import GraphError
from mailer.sending.sizes import human
from mailer.web.words import graph_advice

CHECK_SENT_ITEMS = ("Could not confirm whether the message was sent — check your Sent Items "
                    "before sending it again.")
# Why a send was not sent, said after "Not sent: " (the page's title says "Not sent" itself).
_NOT_SENT = {
    o.SIGN_IN_EXPIRED: "your sign-in has ended (signed out, or a permission withdrawn). Sign in "
                       "again and send it; what you typed and attached is kept.",
    o.FAILED_INTERNALLY: "{exception}. Nothing was sent; your message is kept, try again.",
    o.INVALID: "{reason} Nothing was sent; your message is kept.",
    o.DRAFT_GONE: "its draft was deleted from your Drafts folder (in another app?) before it "
                  "could be sent. Nothing was sent.",
}
_UNKNOWN = {
    o.UNCONFIRMED: CHECK_SENT_ITEMS,
    o.UNCONFIRMED_NOT_SAVED: "Could not confirm whether the message was sent, and it was not "
                             "saved to Sent Items: ask a recipient before sending it again.",
    o.INTERRUPTED: "The send was interrupted. " + CHECK_SENT_ITEMS,  # Graph could not be asked
}
# While a job waits, what for (the record's waiting_for): it goes by itself afterwards.
_WAITING = {
    o.FOR_THROTTLING: "Microsoft Graph asked to wait{until} (throttling); it will go by itself.",
    o.FOR_GRAPH: "Microsoft Graph is not answering just now; trying again{until}, by itself.",
    o.FOR_TOKEN: "Microsoft's sign-in service is not answering just now; trying again{until}, "
                 "by itself.",
    o.FOR_CONFIRMATION: "The answer to the send was lost on the way back; checking your Sent "
                        "Items before anything is sent again{until}.",
    o.FOR_PACE: "Waiting for its turn: the mailbox is at Exchange's pace of messages a minute.",
}


def _graph_error(detail: dict) -> GraphError:
    fields = detail.get("graph") or {}
    return GraphError(fields.get("status", 0), fields.get("code") or "", fields.get("message") or "",
                      fields.get("request_id"), fields.get("retry_after"))


def _until(job: dict) -> str:
    left = (job.get("waiting_until") or 0) - time.time()
    return f" (about {left:.0f} s more)" if left >= 1 else ""


def _running(job: dict) -> str:
    detail, phase, state = job.get("detail") or {}, job.get("phase"), job.get("state")
    if job.get("code") == o.ALREADY_SENDING:
        return "This message is already being sent."
    if state == o.WAITING:
        return _WAITING.get(job.get("waiting_for"), "Waiting; it will go by itself.").format(
            until=_until(job))
    if state == o.QUEUED:
        return "Queued: it goes in a moment."
    if state == o.HELD:  # a merge row, its merge paused
        return "Paused with its merge: it goes when the merge is resumed."
    if phase == "creating draft":
        return "Creating a draft…"
    if phase == "saving draft":
        return "Updating your draft in Drafts…"
    if phase == "uploading" and detail.get("file"):
        file = detail["file"]
        return f"Attaching {file['name']!r} ({human(file['size'])})…"
    if phase == "confirming":
        return ("Checking Sent Items…" if job.get("plan") == "sendmail"
                else "Checking whether the message went out…")
    return "Sending…"


def job_words(job: dict) -> tuple[str, str]:
    """(verdict, words) for a send job: the verdict ("Not sent: ", "Not sent. ") or nothing,
    then what is happening, or what happened and what to do next."""
    state, code, detail = job.get("state"), job.get("code"), job.get("detail") or {}
    if state == o.SENT:
        return "", "Sent."
    if state == o.CANCELLED:
        return "", "Cancelled: not sent. The message is back in your drafts."
    if state == o.SCHEDULED:
        return "", "Scheduled: it will be sent at the time you chose."
    if state == o.UNKNOWN:
        return "", _UNKNOWN.get(code, CHECK_SENT_ITEMS)
    if state != o.FAILED:
        return "", _running(job)
    if code in _NOT_SENT:
        return "Not sent: ", _NOT_SENT[code].format(exception=detail.get("exception") or "Error",
                                                    reason=detail.get("reason") or "")
    file = detail.get("file")
    where = f"While attaching {file['name']!r} ({human(file['size'])})." if file else ""
    return "Not sent. ", graph_advice(_graph_error(detail), where)


def job_message(job: dict) -> str:
    """The job in one sentence, verdict first: "Not sent: ...", "Sent.", "Sending…"."""
    return "".join(job_words(job))


def job_advice(job: dict) -> str:
    """The job's words without the verdict (where a title already says "Not sent")."""
    words = job_words(job)[1]
    return words[:1].upper() + words[1:]
