"""One try of one delivery: signed, POSTed through the fenced session, recorded, and either
done or queued again after a wait that doubles (WEBHOOK_BACKOFF up to WEBHOOK_BACKOFF_MAX),
until WEBHOOK_RETRY_FOR after the event (a day): then it is given up as failed.

A 2xx answer is delivered; anything else (another status, a redirect, no answer within
WEBHOOK_TIMEOUT, a refused address) is a failed attempt. Each attempt is kept with its
delivery and in the webhook's log: when, the status or what went wrong, the response time,
the next try, and at most EXCERPT characters of the answer (never more is read).
A lease on the delivery keeps two workers from trying it at once; a task that finds its
delivery done, or not yet due (a duplicate queued by the duty), does nothing.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

import requests

from mailer.automation.webhooks import records, signing, targets

logger = logging.getLogger(__name__)

EXCERPT = 200  # characters of an answer kept, for the admin page
DONE = ("delivered", "failed", "cancelled")
# A delivery this late past its time lost its task (its worker died mid-attempt): the duty
# queues it again. Far beyond a busy queue's lateness, since a duplicate only costs a no-op.
LOST_AFTER = 600.0
REQUEUE_MAX = 200  # per webhook and duty round


def wait_before(cfg, tries: int) -> float:
    return min(cfg["WEBHOOK_BACKOFF"] * 2 ** max(0, tries - 1), cfg["WEBHOOK_BACKOFF_MAX"])


def post(http: requests.Session, url: str, payload: bytes, headers: dict,
         timeout: float) -> dict:
    """One POST: {"status", "ms", "error", "excerpt"}."""
    started = time.monotonic()
    result: dict = {"status": None, "error": None, "excerpt": ""}
    try:
        with http.post(url, data=payload, headers=headers, timeout=(min(5.0, timeout), timeout),
                       allow_redirects=False, stream=True) as answer:
            result["status"] = answer.status_code
            raw = answer.raw.read(EXCERPT * 4, decode_content=True) or b""
            result["excerpt"] = raw.decode("utf-8", "replace")[:EXCERPT]
    except targets.RefusedTarget as exc:
        result["error"] = f"refused: {exc}"
    except requests.Timeout:
        result["error"] = f"no answer within {timeout:g} s"
    except requests.RequestException as exc:
        result["error"] = f"could not connect ({type(exc).__name__})"
    except Exception as exc:  # noqa: BLE001 - a receiver's garbage (bad chunking, ...)
        result["error"] = f"unreadable answer ({type(exc).__name__})"
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def run(svc, key: str) -> None:
    store, token = svc.records.passing, uuid.uuid4().hex
    if not store.take_lease(f"lease:{key}", token, svc.cfg["WEBHOOK_TIMEOUT"] + 15):
        return  # another worker is trying it right now
    try:
        _try(svc, key)
    finally:
        store.drop_lease(f"lease:{key}", token)


def _try(svc, key: str) -> None:
    cfg, recs = svc.cfg, svc.records
    record = recs.delivery(key)
    webhook = recs.webhook(record["webhook"]) if record else None
    if record is None or record["state"] in DONE or webhook is None:
        if record is not None and webhook is None and record["state"] not in DONE:
            recs.put_delivery({**record, "state": "cancelled", "next_try": None})
        if record is not None:
            recs.mark_done(record["webhook"], key)
        return
    now = time.time()
    if record.get("next_try") and record["next_try"] > now + 0.5:
        return  # queued again by the duty while its own retry waits in the schedule
    secret = svc.rt.cipher.decrypt(webhook["secret"])
    if secret is None:  # TOKEN_CACHE_KEY changed: the webhook must be made again
        outcome = {"status": None, "ms": 0.0, "excerpt": "",
                   "error": "its secret cannot be opened (TOKEN_CACHE_KEY changed)"}
    else:
        event_at = dt.datetime.fromtimestamp(record["created"], dt.timezone.utc)
        payload = signing.body(record["event"], record["data"], event_at)
        headers = signing.headers(secret, record["id"], payload,
                                  dt.datetime.fromtimestamp(now, dt.timezone.utc))
        outcome = post(svc.session(webhook.get("own", [])), webhook["url"], payload, headers,
                       cfg["WEBHOOK_TIMEOUT"])
    _settle(svc, record, outcome, now)


def _settle(svc, record: dict, outcome: dict, at: float) -> None:
    cfg, recs = svc.cfg, svc.records
    tries = record["tries"] + 1
    ok = outcome["status"] is not None and 200 <= outcome["status"] < 300
    if ok:
        state, next_try = "delivered", None
    elif time.time() - record["created"] >= cfg["WEBHOOK_RETRY_FOR"]:
        state, next_try = "failed", None
    else:
        state, next_try = "retrying", time.time() + wait_before(cfg, tries)
    entry = {"at": at, "attempt": tries, "status": outcome["status"], "ms": outcome["ms"],
             "error": outcome["error"], "excerpt": outcome["excerpt"], "next_try": next_try}
    recs.put_delivery({**record, "state": state, "tries": tries, "next_try": next_try,
                       "attempts": [*record["attempts"], entry][-records.KEPT_ATTEMPTS:]})
    recs.log_attempt(record["webhook"], {**entry, "id": record["id"], "event": record["event"],
                                         "key": record["key"]},
                     state if state in ("delivered", "failed") else None)
    if next_try is None:
        recs.mark_done(record["webhook"], record["key"])
        if state == "failed":
            logger.warning("webhook %s: %s given up after %d tries", record["webhook"],
                           record["id"], tries)
        return
    recs.mark_open(record["webhook"], {record["key"]: next_try})
    svc.attempt_task.schedule(args=(record["key"],), delay=next_try - time.time())
