"""Running a batch's items through the API app's own WSGI stack, each as its own request.

Each item gets an environ built from the batch's (same host, TLS, connection and bearer token)
with its own method, path, query, headers and body, marked ``faults.BATCH_ITEM``; it is handed
to the whole stack a direct request meets: Outlook's request throttling, fault injection,
authentication, routing and the view. So an item is authorized and throttled on its own (a 429
inside a batch carries its own Retry-After), and a fault rule on a path hits the item.

Items without ``dependsOn`` run at most ``PARALLEL`` at a time: Graph dispatches up to four
requests of a batch to Outlook at once (Microsoft's answer on Q&A 1660054), so a batch alone
stays within Outlook's four concurrent requests per mailbox. An item runs once its dependencies
answered; when one of them failed (4xx/5xx) it is not run and answers 424. Answers are listed in
the order they finish, not the order sent: Graph promises no order, and clients correlate by id.
"""
from __future__ import annotations

import base64
import io
import json
import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from urllib.parse import unquote_to_bytes

from ..faults import BATCH_ITEM
from .batch_envelope import Item, is_json

logger = logging.getLogger(__name__)

PARALLEL = 4
# What an item inherits from the batch's environ: where it came from and over what.
INHERITED = ("SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT",
             "HTTP_HOST", "HTTP_AUTHORIZATION", "wsgi.version", "wsgi.url_scheme", "wsgi.errors",
             "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once", "werkzeug.socket")
NOT_SHOWN = {"content-length", "connection", "transfer-encoding", "keep-alive", "date", "server"}


class Dropped(Exception):
    """A fault rule dropped the batch's connection while one of its items ran."""


def item_environ(outer: dict, item: Item) -> dict:
    """The WSGI environ of one item: the batch's connection and token, the item's request."""
    path, _, query = item.url.partition("?")
    environ = {name: outer[name] for name in INHERITED if name in outer}
    environ.update({
        "REQUEST_METHOD": item.method, "SCRIPT_NAME": "",
        # WSGI's PATH_INFO: the path's bytes, percent-decoded, as latin-1 text
        "PATH_INFO": "/v1.0" + unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query, "RAW_URI": "/v1.0" + item.url,
        "wsgi.input": io.BytesIO(item.body), "wsgi.input_terminated": True,
        "CONTENT_LENGTH": str(len(item.body)) if item.body else "",
        BATCH_ITEM: item.id,
    })
    for name, value in item.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key not in ("CONTENT_LENGTH", "AUTHORIZATION", "HOST"):
            # UNCONFIRMED: an item's own Authorization is ignored; the batch's token is used.
            environ["HTTP_" + key] = value
    return environ


def answer(item_id: str, status: int, headers: list[tuple[str, str]], content: bytes) -> dict:
    """The item's entry in ``responses``: JSON bodies as JSON, any other body as base64."""
    shown: dict[str, str] = {}
    for name, value in headers:
        if name.lower() not in NOT_SHOWN:
            shown[name] = f"{shown[name]}, {value}" if name in shown else value
    entry: dict = {"id": item_id, "status": status, "headers": shown}
    if content:
        media = next((v for k, v in headers if k.lower() == "content-type"), "")
        if is_json(media):
            entry["body"] = json.loads(content)
        else:  # a $value, a photo: standard base64, as Graph answers them (msgraph-sdk-javascript#367)
            entry["body"] = base64.b64encode(content).decode("ascii")
    return entry


def failed_dependency(item: Item) -> dict:
    # UNCONFIRMED: the error body Graph puts in a 424 (its status is documented).
    return {"id": item.id, "status": 424, "headers": {"Content-Type": "application/json"},
            "body": {"error": {"code": "FailedDependency",
                               "message": "The request depends on a request of the batch that "
                                          "failed, so it was not run."}}}


def run_item(stack, outer: dict, item: Item) -> dict:
    """One item through the WSGI stack; ``Dropped`` when a fault rule dropped the connection."""
    captured: dict = {}
    chunks: list[bytes] = []

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = int(status.split()[0]), headers
        return chunks.append

    try:
        result = stack(item_environ(outer, item), start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
    except ConnectionAbortedError as exc:  # faults.py's drop: the batch's connection is gone
        raise Dropped(item.id) from exc
    logger.info('batch item "%s /v1.0%s" %s', item.method, item.url.split("?")[0],
                captured["status"])
    return answer(item.id, captured["status"], captured["headers"], b"".join(chunks))


def run_all(stack, outer: dict, items: list[Item]) -> list[dict]:
    """Every item's answer, in the order they finished; ``Dropped`` ends the batch at once."""
    answers: dict[str, dict] = {}
    finished: list[dict] = []
    pending = list(items)
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(items)),
                            thread_name_prefix="batch") as pool:
        running: dict[Future, Item] = {}
        while pending or running:
            for item in [i for i in pending if all(d in answers for d in i.depends_on)]:
                pending.remove(item)
                if any(answers[d]["status"] >= 400 for d in item.depends_on):
                    answers[item.key] = failed_dependency(item)
                    finished.append(answers[item.key])
                else:
                    running[pool.submit(run_item, stack, outer, item)] = item
            if not running:
                continue  # 424s may have made more items ready
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                try:
                    answers[item.key] = future.result()
                except Dropped:
                    for other in running:
                        other.cancel()
                    raise
                finished.append(answers[item.key])
    return finished
