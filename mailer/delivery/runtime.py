"""What sending runs on, built once per process from config.py's settings (``cfg``): the web
app's instances, the workers and the CLI build the same one, so every sender uses one store,
one set of lanes and one queue.

The job store holds job records, lanes, leases and merges: Redis when REDIS_URL is set (every
host), else files in JOB_DIR (one host). The draft store is the compose page's (the worker
reads a compose job's small files from it). Graph calls of jobs retry a 429/503/504 in the
worker's thread only for a short wait (IN_THREAD_WAIT): a longer Retry-After pauses the
mailbox's lane instead and frees the thread for other mailboxes.
"""
from __future__ import annotations

import threading

from mailer.delivery.lanes import FileLanes
from mailer.delivery.pace import Pace
from mailer.delivery.queue import Queue
from mailer.delivery.redis_lanes import RedisLanes
from mailer.graph.client import GraphClient
from mailer.graph.http import build_session
from mailer.graph.retry import RetryPolicy
from mailer.graph.errors import SIGN_IN_UNAVAILABLE, GraphError
from mailer.identity.app_tokens import AppTokens, TokenUnavailable, tenant_authority
from mailer.identity.service import Settings
from mailer.identity.tokens import CacheCipher
from mailer.identity.vaults import vaults
from mailer.sending.drafts import DraftStore
from mailer.sending.from_history import FromHistory
from mailer.sending.plan import Limits
from mailer.sending.store import FileStore, KeyValueStore, RedisStore, redis_client

IN_THREAD_WAIT = 2.0  # seconds a worker thread may sleep on one Retry-After before pausing
JOB_PREFIX, DRAFT_PREFIX = "mailer:job:", "mailer:draft:"


def plan_limits(c: dict) -> Limits:
    return Limits(sendmail_max_request=c["SENDMAIL_MAX_REQUEST"],
                  sendmail_margin=c["SENDMAIL_MARGIN"],
                  small_attachment_max=c["SMALL_ATTACHMENT_MAX"],
                  max_file=c["MAX_FILE_SIZE"], max_message=c["MAX_MESSAGE_SIZE"],
                  max_recipients=c["MAX_RECIPIENTS"])


def retry_policy(c: dict, max_wait: float | None = None) -> RetryPolicy:
    return RetryPolicy(max_attempts=c["RETRY_MAX_ATTEMPTS"],
                       max_total_wait=c["RETRY_MAX_WAIT"] if max_wait is None else max_wait)


def draft_options(c: dict) -> dict:
    return {"max_file": c["MAX_FILE_SIZE"], "max_draft": c["DRAFT_MAX_SIZE"],
            "max_age": c["DRAFT_MAX_AGE"], "max_drafts_per_owner": c["DRAFT_MAX_PER_USER"],
            "small_max": c["SMALL_ATTACHMENT_MAX"]}


def draft_records(c: dict, client) -> KeyValueStore:
    """Drafts in Redis beside the jobs (their own prefix and TTL), else files in DRAFT_DIR."""
    if client is not None:
        return RedisStore(client, ttl=c["DRAFT_MAX_AGE"], prefix=DRAFT_PREFIX)
    return FileStore(c["DRAFT_DIR"], ttl=c["DRAFT_MAX_AGE"])


def pace_of(c: dict) -> Pace:
    return Pace(per_minute=c["MESSAGES_PER_MINUTE"], recipients_per_day=c["RECIPIENTS_PER_DAY"],
                concurrency=c["MAILBOX_CONCURRENCY"], lease=c["SEND_LEASE"])


class Runtime:
    """The stores, the lanes, the identities and the Graph clients of one process."""

    def __init__(self, cfg: dict, client=None, http=None):
        self.cfg = cfg
        self.http = http or build_session(cfg.get("CA_FILE"), pool_size=32)
        if client is None and cfg.get("REDIS_URL"):
            client = redis_client(cfg["REDIS_URL"])
        self.redis = client
        self.pace = pace_of(cfg)
        if client is not None:
            self.store = RedisStore(client, ttl=cfg["JOB_TTL"], prefix=JOB_PREFIX)
            self.lanes = RedisLanes(self.store, self.pace)
        else:
            self.store = FileStore(cfg["JOB_DIR"], ttl=cfg["JOB_TTL"])
            self.lanes = FileLanes(self.store, self.pace)
        self.lease_seconds = cfg["SEND_LEASE"]
        self.limits = plan_limits(cfg)
        self.drafts = DraftStore(draft_records(cfg, client), **draft_options(cfg))
        self.from_history = FromHistory(self.store)
        self.cipher = CacheCipher(cfg["TOKEN_CACHE_KEY"])
        self.vaults = vaults(cfg, client)
        self.identity_settings = Settings(cfg["CLIENT_ID"], cfg["CLIENT_SECRET"],
                                          cfg["AUTHORITY"], tuple(cfg["SCOPES"]), self.http,
                                          timeout=cfg["HTTP_TIMEOUT"])
        self.senders = list(cfg.get("AUTOMATION_SENDERS") or [])
        self._app_tokens: AppTokens | None = None
        self._queue = None
        self._lock = threading.Lock()

    def graph(self, token_provider, mailbox: str | None = None) -> GraphClient:
        """A Graph client for a job (short in-thread retries: see the module's docstring)."""
        c = self.cfg
        return GraphClient(c["GRAPH_ENDPOINT"], token_provider, self.http,
                           timeout=c["HTTP_TIMEOUT"],
                           retry=retry_policy(c, min(c["RETRY_MAX_WAIT"], IN_THREAD_WAIT)),
                           chunk_size=c["UPLOAD_CHUNK_SIZE"], mailbox=mailbox)

    def app_tokens(self) -> AppTokens:
        """The app's own token provider (one per process; MSAL caches the token)."""
        with self._lock:
            if self._app_tokens is None:
                c = self.cfg
                self._app_tokens = AppTokens(
                    c["CLIENT_ID"], c["CLIENT_SECRET"],
                    tenant_authority(c["AUTHORITY"], c.get("AUTOMATION_TENANT")), self.http,
                    c["HTTP_TIMEOUT"])
            return self._app_tokens

    def app_graph(self, mailbox: str | None = None) -> GraphClient:
        """App-only Graph, acting in ``mailbox`` (``/users/{mailbox}``). No token yet (the
        sign-in service refused or did not answer) is Graph's "unavailable": the job waits."""
        def token() -> str:
            try:
                return self.app_tokens()()
            except TokenUnavailable as exc:
                raise GraphError(0, SIGN_IN_UNAVAILABLE, str(exc)) from exc
        return self.graph(token, mailbox)

    @property
    def queue(self) -> Queue:
        """The task queue (queue.py), built on first use: producers and workers alike."""
        with self._lock:
            if self._queue is None:
                self._queue = Queue(self)
            return self._queue
