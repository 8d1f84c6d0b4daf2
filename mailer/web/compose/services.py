"""What the compose blueprint holds per app, and the glue between Flask and the mail services.

One ``MailServices`` per app (built when the blueprint is registered): the drafts and the send
jobs (both in Redis, or files on one host, so any instance serves any request), the size limits
and each user's From history (in the jobs' store; see mail_from.py).
``background_client(scopes)`` builds a GraphClient whose token provider works off the request
thread: the send job runs in a thread where Flask's ``session`` does not exist, so it gets an
Identity over a copy of the signed-in user and this session's token vault (the vault itself is
shared and locked, so a refresh made by the job is kept for the next request).
"""
from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

from flask import current_app, request, url_for

from mailer.web import sessions
from mailer.web.auth import current_user
from mailer.sending.drafts import DraftStore
from mailer.sending.mailbox_drafts import MailboxDrafts
from mailer.identity.errors import AuthError
from mailer.graph.client import GraphClient, GraphError
from mailer.graph.retry import RetryPolicy
from mailer.graph.errors import SIGN_IN_UNAVAILABLE
from mailer.identity.service import SESSION_USER, Identity
from mailer.sending.jobs import SendJobs
from mailer.sending.store import FileStore, KeyValueStore, RedisStore
from mailer.sending.from_history import FromHistory
from mailer.sending.plan import Limits

logger = logging.getLogger(__name__)

EXTENSION = "mailer.mail"
REQUEST_OVERHEAD = 1024 * 1024  # form fields and multipart framing around the files
DRAFT_PREFIX = "mailer:draft:"


@dataclass
class MailServices:
    drafts: DraftStore
    jobs: SendJobs
    limits: Limits
    from_history: FromHistory
    mailbox: MailboxDrafts

    @property
    def max_request(self) -> int:
        """The largest request the compose views accept: every attachment of one message."""
        return max(self.limits.max_file, self.limits.max_message) + REQUEST_OVERHEAD


# -- the services' settings, from the app's (checked) configuration: config.py's table -------

def limits(cfg) -> Limits:
    return Limits(sendmail_max_request=cfg["SENDMAIL_MAX_REQUEST"],
                  sendmail_margin=cfg["SENDMAIL_MARGIN"],
                  small_attachment_max=cfg["SMALL_ATTACHMENT_MAX"], max_file=cfg["MAX_FILE_SIZE"],
                  max_message=cfg["MAX_MESSAGE_SIZE"], max_recipients=cfg["MAX_RECIPIENTS"])


def graph_options(cfg) -> dict:
    """GraphClient's settings, for ``GraphClient(endpoint, token_provider, session, **these)``."""
    return {"timeout": cfg["HTTP_TIMEOUT"], "chunk_size": cfg["UPLOAD_CHUNK_SIZE"],
            "retry": RetryPolicy(max_attempts=cfg["RETRY_MAX_ATTEMPTS"],
                                 max_total_wait=cfg["RETRY_MAX_WAIT"])}


def graph_clients(cfg, http):
    """``make(token_provider) -> GraphClient``: the app's one way to build a Graph client."""
    return functools.partial(GraphClient, cfg["GRAPH_ENDPOINT"], session=http,
                             **graph_options(cfg))


def draft_options(cfg) -> dict:
    return {"max_file": cfg["MAX_FILE_SIZE"], "max_draft": cfg["DRAFT_MAX_SIZE"],
            "max_age": cfg["DRAFT_MAX_AGE"], "max_drafts_per_owner": cfg["DRAFT_MAX_PER_USER"],
            "small_max": cfg["SMALL_ATTACHMENT_MAX"]}


def draft_records(cfg, redis_client) -> KeyValueStore:
    """Drafts in Redis beside the jobs when there is one (their own prefix and TTL), else files
    in DRAFT_DIR (one host)."""
    if redis_client is not None:
        return RedisStore(redis_client, ttl=cfg["DRAFT_MAX_AGE"], prefix=DRAFT_PREFIX)
    return FileStore(cfg["DRAFT_DIR"], ttl=cfg["DRAFT_MAX_AGE"])


def job_options(cfg) -> dict:
    return {"confirm_tries": cfg["SEND_CONFIRM_TRIES"], "confirm_delay": cfg["SEND_CONFIRM_DELAY"],
            "lease_seconds": cfg["SEND_LEASE"]}


def job_store(cfg, redis_client) -> KeyValueStore:
    """Jobs in Redis through the app's one client when there is one, else files in JOB_DIR."""
    if redis_client is not None:
        return RedisStore(redis_client, ttl=cfg["JOB_TTL"])
    return FileStore(cfg["JOB_DIR"], ttl=cfg["JOB_TTL"])


def init_app(app) -> MailServices:
    """Build the app's MailServices (idempotent)."""
    if EXTENSION not in app.extensions:
        cfg = app.config
        redis = app.extensions["mailer"]["redis"]
        drafts = DraftStore(draft_records(cfg, redis), **draft_options(cfg))
        store = job_store(cfg, redis)
        history = FromHistory(store)  # beside the jobs: a background send records its outcome
        jobs = SendJobs(store, drafts=drafts, auth_errors=(AuthError,),
                        on_finish=history.record_job, **job_options(cfg))
        app.extensions[EXTENSION] = MailServices(drafts, jobs, limits(cfg), history,
                                                 MailboxDrafts(drafts, limits(cfg)))
    return app.extensions[EXTENSION]


def services() -> MailServices:
    return current_app.extensions[EXTENSION]


def owner() -> str | None:
    """Whose drafts these are: the signed-in user's object id (None when signed out)."""
    user = current_user()
    if not user:
        return None
    return user.get("oid") or user.get("account_id")


def set_request_limits() -> None:
    """Let this request carry one message's attachments, and a long body, before anything
    (CSRF checking included) parses the form; Flask's defaults would refuse both."""
    mail = services()
    request.max_content_length = mail.max_request
    request.max_form_memory_size = current_app.config["FORM_MEMORY"]


def background_client(scopes: list[str], token: dict | None = None) -> GraphClient:
    """A GraphClient for the signed-in user that keeps working in a background thread.

    ``token``, the result of a get_token() the request already made, is used while it has more
    than five minutes left (MSAL's own margin), sparing the job a second cache round trip.
    """
    ext = current_app.extensions["mailer"]
    identity = Identity(ext["identity"], {SESSION_USER: dict(current_user())}, sessions.vault(),
                        ext["cipher"])
    wanted = list(scopes)
    held = dict(token or {})

    def token_provider() -> str:
        if held.get("access_token") and held.get("expires_on", 0) - time.time() > 300:
            return held["access_token"]
        held.clear()
        try:
            return identity.get_token(wanted)["access_token"]
        except AuthError as err:
            if err.transient:  # the sign-in service is down: nothing was sent with this token
                raise GraphError(0, SIGN_IN_UNAVAILABLE, err.description or err.error) from err
            # Raised as Graph's own 401, so the job treats it like one in every phase: "sign in
            # again" while preparing or sending, and "unknown" (never "not sent", which would
            # free the draft for a second send) while confirming a send whose answer was lost.
            raise GraphError(401, "InvalidAuthenticationToken",
                             err.description or err.error) from err
    return ext["graph"](token_provider)


def login_url(draft_id: str, scopes: list[str] | None = None, resume: bool = False) -> str:
    """Sign in (with ``scopes`` for incremental consent), then back to this very draft."""
    target = url_for("mail.draft", draft_id=draft_id, resume="send" if resume else None)
    args = {"next": target}
    if scopes:
        args["scopes"] = " ".join(scopes)
    return url_for("auth.login", **args)
