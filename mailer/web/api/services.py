"""What the API and the admin pages work on, built once per app on first use.

The automation runtime (its shared store and app-only Graph client) and the huey queue the
worker reads, configured as the worker is (REDIS_URL, or APP_STATE_DIR on one host); the API
keys in a store of their own, which never expires. ``cancel`` stops a job no worker holds.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import current_app

from mailer.automation.app_token import TokenUnavailable
from mailer.automation.held import forget_files
from mailer.automation.once import job_key
from mailer.automation.queue import Queue
from mailer.automation.runtime import Runtime
from mailer.graph.errors import GraphError
from mailer.sending.lease import Lease
from mailer.sending.store import FileStore, RedisStore
from mailer.web.api.keys import FOREVER, ApiKeys

_lock = threading.Lock()
CANCELLABLE = ("queued", "waiting")


def _built(name: str, build):
    ext = current_app.extensions["mailer"]
    if name not in ext:
        with _lock:
            if name not in ext:
                ext[name] = build(current_app)
    return ext[name]


def runtime() -> Runtime:
    return _built("automation", lambda app: Runtime(app.config))


def queue() -> Queue:
    return _built("queue", lambda app: Queue(app.config, runtime()))


def api_keys() -> ApiKeys:
    def build(app):
        client = app.extensions["mailer"]["redis"]
        if client is not None:
            return ApiKeys(RedisStore(client, ttl=FOREVER, prefix="mailer:apikey:"))
        return ApiKeys(FileStore(keys_dir(app.config), ttl=FOREVER))
    return _built("api_keys", build)


def keys_dir(cfg) -> Path:
    return Path(cfg["APP_STATE_DIR"]) / "api-keys"


def record(rt: Runtime, job_id: str) -> dict | None:
    """The job's whole record (the API's status leaves out the message)."""
    return rt.store.get(job_key(job_id))


def cancel(rt: Runtime, job_id: str) -> tuple[bool, str]:
    """Cancel the job if it is queued or waiting: (done, the state it is in: "cancelled" when
    done, else what kept it: "sending", "sent", "failed", "cancelled", "busy" while a worker
    holds it, "missing"). Done under the job's own lease: no worker starts it in between. A
draft the job has in the sender's mailbox is deleted ("unreachable" when Graph could not
delete it: the job stays as it was)."""
    lease = Lease(rt.store, job_key(job_id), rt.lease_seconds)
    if not lease.take():
        return False, "busy"
    try:
        found = rt.store.get(job_key(job_id))
        if found is None:
            return False, "missing"
        if found["state"] not in CANCELLABLE:
            return False, found["state"]
        if found.get("draft"):  # the API made it in the sender's mailbox: it goes first
            try:
                rt.graph().delete_message(found["draft"], mailbox=found["sender"])
            except GraphError as exc:
                if exc.status != 404:
                    return False, "unreachable"
            except TokenUnavailable:
                return False, "unreachable"
        now = time.time()
        done = lease.put(job_key(job_id), {**found, "state": "cancelled", "cancelled_at": now,
                                           "updated": now})
        if done:
            forget_files(rt.store, found)
        return done, "cancelled" if done else "busy"
    finally:
        lease.release()
