"""Reply, reply all and forward; continuing or discarding a draft of the Drafts folder.

    POST /mail/<box>/m/<id>/respond   (``kind`` reply | replyall | forward) a Graph draft made
                                      by createReply / createReplyAll / createForward, opened
                                      in the compose page
    POST /mail/<box>/m/<id>/continue  a draft of the Drafts folder (Outlook's too), opened there
    POST /mail/<box>/m/<id>/discard   a draft of the Drafts folder, deleted

Each needs Mail.ReadWrite, asked the first time (the page comes back to the message). The Graph
draft is adopted as a compose draft (sending/adopt.py). Only the person's own mailbox: a draft
made in another mailbox would be sent from there, which the compose page does not do.
"""
from __future__ import annotations

import logging

from flask import flash, redirect, request, url_for

from mailer.graph.errors import GraphError
from mailer.graph.mailbox import Mailbox
from mailer.identity.errors import AuthError
from mailer.sending.adopt import KINDS, Adopter
from mailer.sending.drafts import DraftError
from mailer.web.auth import current_user
from mailer.web.compose.services import owner, services
from mailer.web.mailbox import bp
from mailer.web.mailbox.access import FOLDERS, ME, error_page, graph_failure, open_box, write_scopes
from mailer.web.permissions import consent_then_resume
from mailer.web.words import mailbox_advice

logger = logging.getLogger(__name__)
KIND_WORDS = {"reply": "reply", "replyall": "reply all", "forward": "forward"}
OWN_ONLY = ("Reply, forward and continuing a draft work on your own mailbox only: a message "
            "written here is sent from your own address. Open the message in your Inbox, or "
            "forward it to yourself first.")
SIGN_IN_DOWN = ("The sign-in service could not be reached, so Microsoft could not be asked. "
                "Nothing was changed; try again in a moment.")


def _folder() -> str:
    folder = request.values.get("f", "")
    return folder if folder in FOLDERS else "inbox"


def _client(box: str, label: str):
    """(a Graph client with Mail.ReadWrite, None), or (None, the response to give instead:
    asked first, the click is made once it is granted: permissions.consent_then_resume)."""
    if box != ME:
        return None, error_page("Only your own mailbox", OWN_ONLY, 400, box)
    try:
        return open_box(box, write=True).client, None
    except AuthError as err:
        if err.interaction_required:
            return None, consent_then_resume(write_scopes(box), label)
        return None, error_page("Try again shortly", SIGN_IN_DOWN, 503, box)


def _me() -> str | None:
    return (current_user() or {}).get("username")


@bp.post("/mail/<box>/m/<message_id>/respond")
def respond(box, message_id):
    """Reply, reply all or forward: the new draft opens in the compose page."""
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        shown = repr(kind[:40])
        return error_page("Check the form", f"The button pressed ({shown}) is not one this page "
                          "has: Reply, Reply all or Forward.", 400, box)
    client, answer = _client(box, KIND_WORDS[kind].capitalize())
    if answer:
        return answer
    adopter = Adopter(services().drafts)
    try:
        made = adopter.create(client, message_id, kind)
    except GraphError as err:
        return graph_failure(err, box)
    try:  # the answered message is marked read in the same round trip (its failure: no mark)
        draft_id = adopter.adopt(owner(), client, made["id"], _me(), message=made,
                                 also=(Mailbox(client).read_call(message_id),))
    except (GraphError, DraftError, AuthError) as err:
        words = (mailbox_advice(err) if isinstance(err, GraphError) else
                 SIGN_IN_DOWN if isinstance(err, AuthError) else str(err))
        logger.info("%s made, not opened: %s", kind, type(err).__name__)
        return error_page("Made, but not opened", f"Your {KIND_WORDS[kind]} was made in your "
                          f"Drafts folder, but it could not be opened here: {words} Open it from "
                          "Drafts to go on.", 502, box)
    return redirect(url_for("mail.draft", draft_id=draft_id), 303)


@bp.post("/mail/<box>/m/<message_id>/continue")
def continue_draft(box, message_id):
    """A draft of the Drafts folder (written here or in Outlook), opened in the compose page."""
    client, answer = _client(box, "Continue the draft")
    if answer:
        return answer
    try:
        draft_id = Adopter(services().drafts).adopt(owner(), client, message_id, _me())
    except GraphError as err:
        return graph_failure(err, box)
    except DraftError as err:
        return error_page("Cannot continue it", str(err), 409, box)
    return redirect(url_for("mail.draft", draft_id=draft_id), 303)


@bp.post("/mail/<box>/m/<message_id>/discard")
def discard_draft(box, message_id):
    """Delete a draft of the Drafts folder (and what the compose page kept of it)."""
    client, answer = _client(box, "Discard the draft")
    if answer:
        return answer
    mail, who = services(), owner()
    try:
        local = Adopter(mail.drafts).local_draft(who, message_id)
        if local:
            mail.mailbox.discard(local, who, client)
        else:
            found = client.get_message(message_id, select=["isDraft"])
            if found.get("isDraft") is False:
                return error_page("Not a draft", "This message is not a draft; to remove it, "
                                  "use Delete.", 409, box)
            client.delete_message(message_id)
    except GraphError as err:
        if err.status != 404:  # already gone: a double click
            return graph_failure(err, box)
    flash("Draft discarded.", "info")
    return redirect(url_for("mailbox.folder", box=box, folder="drafts"), 303)
