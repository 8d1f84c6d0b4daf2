"""What automation runs on, built once per process from config.py's settings (``cfg``).

The shared store holds job records, per-row claims and leases, lane pauses and slots: Redis
when REDIS_URL is set (workers on any host), else files under APP_STATE_DIR/automation (one
host). Graph calls are app-only; they retry a 429/503/504 in the worker's thread only for a
short wait (IN_THREAD_WAIT): a longer Retry-After pauses the mailbox's lane instead and frees
the thread for other mailboxes.
"""
from __future__ import annotations

import threading
from pathlib import Path

from mailer.automation.app_token import AppTokens, tenant_authority
from mailer.automation.errors import NotAllowed
from mailer.automation.pacing import Lanes
from mailer.graph.client import GraphClient
from mailer.graph.http import build_session
from mailer.graph.retry import RetryPolicy
from mailer.sending.plan import Limits
from mailer.sending.store import FileStore, RedisStore, redis_client

IN_THREAD_WAIT = 2.0  # seconds a worker thread may sleep on one Retry-After before pausing
RECORD_PREFIX = "mailer:auto:"


def automation_dir(cfg) -> Path:
    return Path(cfg["APP_STATE_DIR"]) / "automation"


def plan_limits(c: dict) -> Limits:
    """The send plan's limits, as mailer/web/compose/services.py wires the web path's."""
    return Limits(sendmail_max_request=c["SENDMAIL_MAX_REQUEST"],
                  sendmail_margin=c["SENDMAIL_MARGIN"],
                  small_attachment_max=c["SMALL_ATTACHMENT_MAX"],
                  max_file=c["MAX_FILE_SIZE"], max_message=c["MAX_MESSAGE_SIZE"],
                  max_recipients=c["MAX_RECIPIENTS"])


class Runtime:
    """The store, the lanes and the app-only Graph client of one process."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.http = build_session(cfg.get("CA_FILE"), pool_size=32)
        if cfg.get("REDIS_URL"):
            self.store = RedisStore(redis_client(cfg["REDIS_URL"]), ttl=cfg["JOB_TTL"],
                                    prefix=RECORD_PREFIX)
        else:
            self.store = FileStore(automation_dir(cfg) / "records", ttl=cfg["JOB_TTL"])
        self.lease_seconds = cfg["SEND_LEASE"]
        self.lanes = Lanes(self.store, per_minute=cfg["MESSAGES_PER_MINUTE"],
                           recipients_per_day=cfg["RECIPIENTS_PER_DAY"],
                           concurrency=cfg["MAILBOX_CONCURRENCY"],
                           slot_seconds=cfg["SEND_LEASE"], redis_url=cfg.get("REDIS_URL"))
        self.senders = list(cfg.get("AUTOMATION_SENDERS") or [])
        self._graph: GraphClient | None = None
        self._lock = threading.Lock()

    def check_sender(self, sender: str | None) -> str:
        """The sender, lower-cased, if automation may send as it; NotAllowed naming it if not."""
        address = (sender or "").strip().lower()
        if not address:
            raise NotAllowed("from", "name the mailbox to send as (app-only sending has no "
                             "signed-in user)")
        if address not in self.senders:
            allowed = ", ".join(self.senders) or "none (AUTOMATION_SENDERS is empty)"
            raise NotAllowed("from", f"automation may not send as {address}: it is not in "
                             f"AUTOMATION_SENDERS (allowed: {allowed})")
        return address

    def limits(self) -> Limits:
        return plan_limits(self.cfg)

    def graph(self) -> GraphClient:
        """The app-only Graph client (one per process; requests' pool is thread-safe enough
        for independent requests, as the web app's workers use it)."""
        with self._lock:
            if self._graph is None:
                c = self.cfg
                tokens = AppTokens(c["CLIENT_ID"], c["CLIENT_SECRET"],
                                   tenant_authority(c["AUTHORITY"], c.get("AUTOMATION_TENANT")),
                                   self.http, c["HTTP_TIMEOUT"])
                self._graph = GraphClient(
                    c["GRAPH_ENDPOINT"], tokens, self.http, timeout=c["HTTP_TIMEOUT"],
                    retry=RetryPolicy(max_attempts=c["RETRY_MAX_ATTEMPTS"],
                                      max_total_wait=min(c["RETRY_MAX_WAIT"], IN_THREAD_WAIT)),
                    chunk_size=c["UPLOAD_CHUNK_SIZE"])
            return self._graph
