"""What the API and the admin pages work on, built once per app on first use.

The delivery runtime (mailer/delivery/runtime.py: the job store, its lanes and queue, the
app-only Graph client) is the app's one, shared with the compose pages; the API keys live in a
store of their own, which never expires.
"""
from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from mailer.delivery import submit as engine
from mailer.delivery.outcomes import HELD, QUEUED, SCHEDULED, WAITING
from mailer.delivery.runtime import Runtime
from mailer.sending.store import FileStore, RedisStore
from mailer.web.api.keys import FOREVER, ApiKeys

_lock = threading.Lock()
CANCELLABLE = (QUEUED, SCHEDULED, WAITING, HELD)


def _built(name: str, build):
    ext = current_app.extensions["mailer"]
    if name not in ext:
        with _lock:
            if name not in ext:
                ext[name] = build(current_app)
    return ext[name]


def runtime() -> Runtime:
    """The app's delivery runtime (the compose blueprint builds it; the same one here)."""
    return _built("delivery", lambda app: Runtime(app.config, client=app.extensions["mailer"]["redis"],
                                                  http=app.extensions["mailer"]["http"]))


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
    return rt.lanes.get(job_id)


def cancel(rt: Runtime, job_id: str) -> tuple[bool, str]:
    """Cancel the job if it still waits in its lane: (done, its state now, or what kept it)."""
    return engine.cancel(rt, job_id)
