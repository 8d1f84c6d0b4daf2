"""A finished job's error in a sentence, for programs (the API, the CLI, CSV exports).

The compose pages say it in their own richer words (mailer/web/job_words.py) from the same record
fields; this is the short form a program logs: ``{"code", "message"}``, Graph's code when
Graph refused, else the job's own outcome code.
"""
from __future__ import annotations

from mailer.delivery import outcomes as o

_WORDS = {
    o.SIGN_IN_EXPIRED: "The sign-in of the person who sent it has ended (signed out, or "
                       "consent withdrawn); it was not sent. They sign in again and send it.",
    o.INVALID: "The message can no longer be built: {reason}",
    o.FILES_INCOMPLETE: "The message's files did not all arrive; nothing was sent. Submit it "
                        "again (the same Idempotency-Key is fine).",
    o.DRAFT_GONE: "The message's draft is no longer in the sender's mailbox (deleted there?); "
                  "it was not sent.",
    o.FAILED_INTERNALLY: "The app failed while sending it ({exception}); it was not sent.",
    o.UNCONFIRMED: "Whether it was sent could not be confirmed: check the sender's Sent Items "
                   "before sending it again.",
    o.UNCONFIRMED_NOT_SAVED: "Whether it was sent could not be confirmed, and it was not saved "
                             "to Sent Items: ask a recipient before sending it again.",
    o.INTERRUPTED: "The send was interrupted and Graph could not be asked whether it went out: "
                   "check the sender's Sent Items before sending it again.",
}


def graph_words(status: int, code: str, message: str) -> str:
    """A Graph refusal, said plainly (Graph's code is kept beside it)."""
    if status in (401, 403):
        return ("Microsoft Graph refused: the app (or the person) lacks the permission to send "
                f"from this mailbox ({message})")
    if status == 404:
        return f"The sender's mailbox was not found ({message})"
    return f"Microsoft Graph refused the message: {message}"


def program_error(job: dict) -> dict:
    """``{"code", "message"}`` for a failed or unknown job."""
    code, detail = job.get("code"), job.get("detail") or {}
    graph = detail.get("graph") or {}
    if code in _WORDS:
        words = _WORDS[code].format(reason=detail.get("reason") or "",
                                    exception=detail.get("exception") or "an error")
        return {"code": graph.get("code") or code, "message": words}
    if graph:
        return {"code": graph.get("code"), "message": graph_words(
            graph.get("status") or 0, graph.get("code") or "", graph.get("message") or "")}
    return {"code": code or "failed", "message": "It was not sent."}
