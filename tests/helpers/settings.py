"""Services built as the app builds them, from config.py's declared defaults, for tests.

The services have no defaults of their own: each test names only what it changes, e.g.
``limits(max_file=1000)``, ``draft_store(tmp_path, max_age=3600)`` (or ``redis_draft_store``),
``runtime(tmp_path, SEND_LEASE=2)``; everything else is what config.py declares and
mailer/delivery/runtime.py wires.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from config import defaults
from mailer.graph.client import GraphClient
from mailer.graph.retry import RetryPolicy
from mailer.sending import compose
from mailer.delivery import runtime as wiring
from mailer.sending.drafts import DraftStore
from mailer.sending import plan as send_plan
from mailer.sending.plan import Limits
from mailer.sending.store import FileStore, RedisStore, redis_client

SETTINGS = defaults()


def limits(**fields) -> Limits:
    return dataclasses.replace(wiring.plan_limits(SETTINGS), **fields)


def retry_policy(**fields) -> RetryPolicy:
    return dataclasses.replace(wiring.retry_policy(SETTINGS), **fields)


def graph_client(base_url: str, token_provider, session, **options) -> GraphClient:
    defaults = {"timeout": SETTINGS["HTTP_TIMEOUT"], "chunk_size": SETTINGS["UPLOAD_CHUNK_SIZE"],
                "retry": wiring.retry_policy(SETTINGS)}
    return GraphClient(base_url, token_provider, session, **{**defaults, **options})


def draft_store(root, records=None, **options) -> DraftStore:
    """Records and small files in ``records`` (a KeyValueStore), by default files in root/store
    as the app keeps them without Redis (``root`` is kept as ``.root`` for the tests)."""
    options = {**wiring.draft_options(SETTINGS), **options}
    records = records or FileStore(Path(root) / "store", ttl=options["max_age"])
    store = DraftStore(records, **options)
    store.root = Path(root)
    return store


def redis_draft_store(url: str, prefix: str, root, **options) -> DraftStore:
    """A draft store on Redis (its own client, as another instance would have)."""
    options = {**wiring.draft_options(SETTINGS), **options}
    return draft_store(root, RedisStore(redis_client(url), ttl=options["max_age"], prefix=prefix),
                       **options)


def file_store(root, **options) -> FileStore:
    return FileStore(root, **{"ttl": SETTINGS["JOB_TTL"], **options})


def redis_store(url: str, prefix: str) -> RedisStore:
    """A job store on its own client, as another worker (another process) would have."""
    return RedisStore(redis_client(url), ttl=SETTINGS["JOB_TTL"], prefix=prefix)


def plan(prepared, limits_: Limits | None = None, draft_id: str | None = None,
         mailbox_draft: str | None = None):
    return send_plan.plan(prepared, limits_ or limits(), draft_id, mailbox_draft)


def prepare(data: compose.ComposeData, me_address: str | None = None, **options):
    return compose.prepare(data, me_address,
                           **{"max_recipients": SETTINGS["MAX_RECIPIENTS"], **options})
