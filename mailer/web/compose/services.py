"""What the compose blueprint holds per app, and the glue between Flask and the mail services.

One ``MailServices`` per app (built when the blueprint is registered) over the app's one
delivery Runtime (mailer/delivery/runtime.py): the drafts, the send engine's store and lanes,
the size limits and each user's From history, in Redis or files on one host, so any instance
serves any request. Sending itself is the workers' (``submit`` hands them a job; nothing is
sent from a web request); ``acting_for`` seals the request's token into the job so the worker
acts as the person.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from flask import current_app, request, session, url_for

from mailer.delivery import acting
from mailer.delivery.runtime import Runtime, retry_policy
from mailer.graph.client import GraphClient
from mailer.sending.drafts import DraftStore
from mailer.sending.from_history import FromHistory
from mailer.sending.mailbox_drafts import MailboxDrafts
from mailer.sending.plan import Limits
from mailer.web.auth import current_user

logger = logging.getLogger(__name__)

EXTENSION = "mailer.mail"
REQUEST_OVERHEAD = 1024 * 1024  # form fields and multipart framing around the files


@dataclass
class MailServices:
    rt: Runtime
    mailbox: MailboxDrafts

    @property
    def drafts(self) -> DraftStore:
        return self.rt.drafts

    @property
    def limits(self) -> Limits:
        return self.rt.limits

    @property
    def from_history(self) -> FromHistory:
        return self.rt.from_history

    @property
    def max_request(self) -> int:
        """The largest request the compose views accept: every attachment of one message."""
        return max(self.limits.max_file, self.limits.max_message) + REQUEST_OVERHEAD


def graph_options(cfg) -> dict:
    """GraphClient's settings, for ``GraphClient(endpoint, token_provider, session, **these)``;
    GRAPH_BATCH: whether a page's several calls go as one $batch."""
    return {"timeout": cfg["HTTP_TIMEOUT"], "chunk_size": cfg["UPLOAD_CHUNK_SIZE"],
            "retry": retry_policy(cfg), "batching": cfg["GRAPH_BATCH"]}


def graph_clients(cfg, http):
    """``make(token_provider) -> GraphClient``: the app's one way to build a Graph client."""
    return functools.partial(GraphClient, cfg["GRAPH_ENDPOINT"], session=http,
                             **graph_options(cfg))


def init_app(app) -> MailServices:
    """Build the app's MailServices (idempotent), on the app's Redis client and HTTP pool."""
    if EXTENSION not in app.extensions:
        ext = app.extensions["mailer"]
        rt = ext.setdefault("delivery", Runtime(app.config, client=ext["redis"], http=ext["http"]))
        app.extensions[EXTENSION] = MailServices(rt, MailboxDrafts(rt.drafts, rt.limits))
    return app.extensions[EXTENSION]


def services() -> MailServices:
    return current_app.extensions[EXTENSION]


def owner() -> str | None:
    """Whose drafts these are: the signed-in user's object id (None when signed out)."""
    user = current_user()
    if not user:
        return None
    return user.get("oid") or user.get("account_id")


def job_of(draft_id: str) -> dict | None:
    """The send job of ``draft_id``, if it is this person's."""
    job = services().rt.lanes.get(draft_id)
    return job if job and job.get("owner") == owner() else None


def seen(job_id: str) -> None:
    """The person looked at this send's outcome: no notice of it on their next page."""
    if owner():
        services().rt.lanes.seen(owner(), job_id)


def set_request_limits() -> None:
    """Let this request carry one message's attachments, and a long body, before anything
    (CSRF checking included) parses the form; Flask's defaults would refuse both."""
    mail = services()
    request.max_content_length = mail.max_request
    request.max_form_memory_size = current_app.config["FORM_MEMORY"]


def acting_for(scopes: list[str], token: dict | None = None) -> dict:
    """Whom a job started by this request acts as: the signed-in person, with ``token`` (the
    result of a get_token() the request already made) sealed in, and their session, whose
    vault (or their next sign-in's) refreshes it when it runs out."""
    return acting.person(dict(current_user()), session.sid, scopes, token, services().rt.cipher)


def login_url(draft_id: str, scopes: list[str] | None = None, resume: bool = False) -> str:
    """Sign in (with ``scopes`` for incremental consent), then back to this very draft."""
    target = url_for("mail.draft", draft_id=draft_id, resume="send" if resume else None)
    args = {"next": target}
    if scopes:
        args["scopes"] = " ".join(scopes)
    return url_for("auth.login", **args)
