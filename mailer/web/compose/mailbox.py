"""The compose page's side of mailbox drafts (sending/mailbox_drafts.py): a Graph client holding
Mail.ReadWrite, asked for only when a message first needs a draft in the mailbox; the small page
a consent popup ends on; "Save draft" into Outlook's Drafts; discarding a draft.

Consent never costs a picked file: the page's script keeps the File while the person grants the
permission in a popup (``/compose/consented`` tells the page, then closes), then sends it again.
Without JavaScript the page links to the same consent before a large file is picked.
"""
from __future__ import annotations

import logging
import time

from flask import flash, jsonify, redirect, render_template, request, url_for

from mailer.graph.errors import GraphError
from mailer.graph.retry import RetryPolicy
from mailer.identity.errors import AuthError
from mailer.web.auth import current_user, get_token, graph_client, wants_json
from mailer.web.compose import bp
from mailer.web.compose.services import owner, services
from mailer.web.permissions import consent_then_resume
from mailer.sending.drafts import DraftError, DraftNotFound
from mailer.web.words import graph_advice

logger = logging.getLogger(__name__)

DRAFT_SCOPES = ["Mail.ReadWrite"]
PERSON_ATTEMPTS, PERSON_MAX_WAIT = 3, 8.0
SYNC_EVERY = 30.0  # seconds between autosaves written through to the mailbox draft
CONSENT_WORDS = ("This message is now too large to send in one go, so it is kept in your "
                 "mailbox's Drafts folder as you write it, as Outlook does. Microsoft needs your "
                 "permission for that (read and write your mail). Your files are kept; they "
                 "go on once you allow it.")


class ConsentNeeded(Exception):
    """Mail.ReadWrite is not granted yet: ``url`` asks for it (in a popup, or the page)."""

    def __init__(self, url: str, transient: bool = False):
        super().__init__(url)
        self.url, self.transient = url, transient


def consent_url(draft_id: str | None = None, popup: bool = True, resume: str = "") -> str:
    """Sign in for DRAFT_SCOPES: in a popup (its last page tells the compose page), or in the
    page itself and back to the draft, where ``resume`` (save) is pressed again by the page."""
    target = url_for("mail.consented") if popup else url_for(
        "mail.draft", draft_id=draft_id, resume=resume or None)
    return url_for("auth.login", next=target, scopes=" ".join(DRAFT_SCOPES))


def mailbox_client(draft_id: str | None = None, popup: bool = True, resume: str = ""):
    """A Graph client with Mail.ReadWrite for the signed-in person; ConsentNeeded if not yet."""
    try:
        get_token(DRAFT_SCOPES)
    except AuthError as err:
        if err.interaction_required:
            raise ConsentNeeded(consent_url(draft_id, popup, resume)) from err
        raise
    client = graph_client(DRAFT_SCOPES)
    # A person waits on these calls (an upload, a Save): retried a little, then said in words.
    client.retry = RetryPolicy(max_attempts=min(client.retry.max_attempts, PERSON_ATTEMPTS),
                               max_total_wait=min(client.retry.max_total_wait, PERSON_MAX_WAIT))
    return client


def me() -> str | None:
    return (current_user() or {}).get("username")


def consent_answer(exc: ConsentNeeded):
    """The JSON the page's script acts on: open ``consent`` in a popup, then try again. A 200,
    as the people picker's: nothing failed, and a 4xx would be a console error in every browser."""
    return jsonify({"error": CONSENT_WORDS, "consent": exc.url, "file": None}), 200


def graph_answer(exc: GraphError, what: str):
    logger.info("mailbox draft: Graph said %s %s while %s", exc.status, exc.code, what)
    status = 503 if exc.status in (0, 429, 503, 504) else 502
    return jsonify({"error": f"Could not {what}: {graph_advice(exc)} Nothing you typed or "
                             "attached is lost; try again."}), status


@bp.get("/compose/consented")
def consented():
    """Where the consent popup lands: tells the compose page, then closes itself."""
    return render_template("mail/consented.html")


@bp.post("/compose/<draft_id>/discard")
def discard(draft_id):
    """Delete the draft, in the mailbox too."""
    mail = services()
    try:
        client = mailbox_client(draft_id, popup=False) \
            if mail.mailbox.mailbox_id(draft_id, owner()) else None
        mail.mailbox.discard(draft_id, owner(), client)
    except DraftNotFound:
        pass  # already gone: a double click
    except ConsentNeeded:  # granted, the discard is made (the page posts it again)
        return consent_then_resume(DRAFT_SCOPES, "Discard the draft")
    except (GraphError, AuthError) as exc:
        words = graph_advice(exc) if isinstance(exc, GraphError) else "sign-in service unavailable"
        flash(f"The draft could not be deleted from your mailbox ({words}); try again.", "danger")
        return redirect(url_for("mail.draft", draft_id=draft_id), 303)
    if wants_json():
        return jsonify({"discarded": True})
    flash("Draft discarded.", "info")
    if request.form.get("back") == "drafts":  # discarded from the Drafts list: back to it
        return redirect(url_for("mailbox.folder", box="me", folder="drafts"), 303)
    return redirect(url_for("mail.compose"), 303)


def typed_anything(data) -> bool:
    """True when a message has something a person would miss: a recipient, words, a file."""
    return any((getattr(data, name) or "").strip() for name in
               ("to", "cc", "bcc", "subject", "body")) or bool(data.attachments)


def sync_to_mailbox(draft_id: str, now: bool = False) -> bool:
    """As Outlook autosaves: the mailbox draft gets what was typed (made first if need be), at
    most once every SYNC_EVERY seconds across instances (a short lease in the shared store is
    the gate) unless ``now`` (the page is being left, the Drafts page is looked at); what the
    gate held back is noted, for those. A failure here is only logged: the text is safe in the
    shared store meanwhile. True when the message is in the mailbox's Drafts now."""
    mail = services()
    store, dirty = mail.drafts.store, f"draft-dirty:{draft_id}"
    if not store.take_lease(f"draft-sync:{draft_id}", "sync", SYNC_EVERY) and not now:
        store.put(dirty, {"at": time.time()})
        return bool(mail.mailbox.mailbox_id(draft_id, owner()))
    try:
        mail.mailbox.save(draft_id, owner(), mailbox_client(draft_id), me())
    except (ConsentNeeded, GraphError, AuthError, DraftError) as exc:
        logger.info("draft %s: not synced to the mailbox (%s)", draft_id, type(exc).__name__)
        return bool(mail.mailbox.mailbox_id(draft_id, owner()))
    store.delete(dirty)
    return True


def sync_held_back(draft_ids) -> None:
    """Before the Drafts page lists the mailbox's drafts: what autosave held back goes now."""
    store = services().drafts.store
    for draft_id in draft_ids:
        if store.get(f"draft-dirty:{draft_id}"):
            sync_to_mailbox(draft_id, now=True)


def save_to_mailbox(draft_id: str) -> str | None:
    """"Save draft": into the mailbox's Drafts. Returns words for the page if it could not."""
    try:
        services().mailbox.save(draft_id, owner(), mailbox_client(draft_id, popup=False,
                                                                  resume="save"), me())
    except ConsentNeeded:
        raise
    except GraphError as exc:
        return f"Kept here, but not saved to your Drafts folder: {graph_advice(exc)}"
    except DraftError as exc:
        return str(exc)
    return None
