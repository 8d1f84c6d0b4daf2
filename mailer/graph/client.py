"""GraphClient: the app's only way to talk to Microsoft Graph. Knows nothing of Flask.

It is given a base URL (``GRAPH_ENDPOINT``), a token provider (a callable returning a bearer
token, called for each request so it may refresh) and a requests.Session from
``mailer.http.build_session``. Every call retries 429/503/504 (retry.py), POSTs included;
every failure surfaces as one ``GraphError``. A send whose connection dropped after the
request went out raises ``GraphError`` with code ``OutcomeUnknown``: never resent blindly.
JSON bodies are encoded compactly as UTF-8 (shapes.py), exactly as the send plan measures them;
files to attach are described by ``shapes.FileSource``. ``batch(calls)`` makes several calls in
one round trip (batch.py; ``batching=False`` sends them one by one instead).
"""
from __future__ import annotations

import logging
import time
from typing import Callable
from urllib.parse import quote

import requests

from mailer.graph import batch as batching
from mailer.graph.errors import NETWORK_ERROR, OUTCOME_UNKNOWN, GraphError
from mailer.graph.retry import RetryPolicy, is_safe_to_retry, send_with_retry
from mailer.graph.shapes import FileSource, encode_json, file_attachment_json, upload_item_json
from mailer.graph.uploads import ChunkUploader, Progress

logger = logging.getLogger(__name__)

__all__ = ["GraphClient", "GraphError"]


def _mailbox(mailbox: str | None) -> str:
    return "/me" if not mailbox else f"/users/{quote(mailbox, safe='@')}"


class GraphClient:
    """Microsoft Graph as the signed-in user: profile and photo, sendMail, drafts, attachments,
    upload sessions and message listings (``mailbox`` reaches another user's mailbox).

    ``mailbox`` (app-only: the sender) makes every ``/me`` call one of ``/users/{mailbox}``.
    Each call asks ``token_provider`` for a bearer token (so a long retry may refresh it),
    retries 429/503/504 under ``retry``, and raises one ``GraphError`` for any failure; a send
    whose answer was lost raises code ``OutcomeUnknown`` instead of being sent again.
    """

    def __init__(self, base_url: str, token_provider: Callable[[], str],
                 session: requests.Session, *, timeout: float, retry: RetryPolicy,
                 chunk_size: int, sleep: Callable[[float], None] = time.sleep,
                 batching: bool = True, mailbox: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.batching = batching  # GRAPH_BATCH: several calls in one $batch round trip
        self.mailbox = mailbox
        self.token_provider = token_provider
        self.session = session
        self.timeout = timeout
        self.retry = retry
        self.chunk_size = chunk_size
        self.sleep = sleep

    def _send(self, method: str, path: str, json_body=None, *, first=None,
              idempotent: bool | None = None, **kwargs) -> requests.Response:
        """One call, retried on 429/503/504 under the policy: Graph's last answer, whatever its
        status. ``first``: an answer already had for this call (a throttled batch item), taken
        as the first attempt; ``idempotent``: whether a lost answer may be asked again (by
        default, from the method)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if json_body is not None:
            kwargs["data"] = encode_json(json_body)
            headers["Content-Type"] = "application/json; charset=utf-8"
        elif method == "POST" and "data" not in kwargs:
            headers["Content-Length"] = "0"  # POST .../send: no body, explicit zero length
        if self.mailbox and (path == "/me" or path.startswith(("/me/", "/me?"))):
            path = _mailbox(self.mailbox) + path[3:]
        url = path if path.startswith("https://") else f"{self.base_url}{path}"
        pending = [first] if first is not None else []
        as_method = method if idempotent is None else ("GET" if idempotent else "POST")

        def send() -> requests.Response:
            if pending:
                return pending.pop()
            # The token is fetched per attempt: a long retry may outlive a cached token.
            headers["Authorization"] = f"Bearer {self.token_provider()}"
            return self.session.request(method, url, headers=headers, timeout=self.timeout,
                                        **kwargs)
        try:
            return send_with_retry(send, as_method, self.retry, self.sleep,
                                   what=f"{method} {path.split('?')[0]}")
        except requests.RequestException as exc:
            if is_safe_to_retry(as_method, exc):
                raise GraphError(0, NETWORK_ERROR,
                                 f"Could not reach Microsoft Graph: {type(exc).__name__}") from exc
            raise GraphError(0, OUTCOME_UNKNOWN,
                             f"The connection dropped during {method} {path.split('?')[0]}; "
                             "the request may or may not have been processed.") from exc

    def _request(self, method: str, path: str, json_body: dict | None = None,
                 **kwargs) -> requests.Response:
        """``_send``, with any answer of 400 or more raised as a GraphError."""
        response = self._send(method, path, json_body, **kwargs)
        if response.status_code >= 400:
            error = GraphError.from_response(response)
            logger.info("Graph %s %s -> %s %s (request-id %s)", method, path.split("?")[0],
                        error.status, error.code, error.request_id)
            raise error
        return response

    def batch(self, calls: list[batching.Call]) -> dict[str, batching.Answer]:
        """Several calls in one round trip: each one's Answer by id (see batch.py)."""
        return batching.run(self, calls)

    def me(self) -> dict:
        """GET /me: the signed-in user's profile (default property set)."""
        return self._request("GET", "/me").json()

    def photo(self) -> tuple[bytes, str] | None:
        """GET /me/photo/$value: (image bytes, Content-Type), or None when the user has no photo
        (Graph answers 404 ImageNotFound); any other failure raises GraphError."""
        try:
            response = self._request("GET", "/me/photo/$value")
        except GraphError as err:
            if err.status == 404:
                return None
            raise
        return response.content, response.headers.get("Content-Type", "application/octet-stream")

    def send_mail(self, message: dict, save_to_sent_items: bool = True,
                  mailbox: str | None = None) -> None:
        """POST /me/sendMail (or /users/{mailbox}/sendMail); Graph answers 202, no id."""
        self._request("POST", f"{_mailbox(mailbox)}/sendMail",
                      json_body={"message": message, "saveToSentItems": bool(save_to_sent_items)})

    def create_draft(self, message: dict, mailbox: str | None = None) -> dict:
        """POST /me/messages: a draft (needs Mail.ReadWrite); returns it, with its id."""
        return self._request("POST", f"{_mailbox(mailbox)}/messages", json_body=message).json()

    def add_attachment(self, message_id: str, file: FileSource,
                       mailbox: str | None = None) -> dict:
        """POST .../messages/{id}/attachments for a file under 3 MB (read into memory)."""
        return self._request(
            "POST", f"{_mailbox(mailbox)}/messages/{quote(message_id, safe='')}/attachments",
            json_body=file_attachment_json(file, file.base64())).json()

    def create_upload_session(self, message_id: str, file: FileSource,
                              mailbox: str | None = None) -> dict:
        """POST .../attachments/createUploadSession: returns {uploadUrl, nextExpectedRanges...}."""
        item = upload_item_json(file)
        path = f"{_mailbox(mailbox)}/messages/{quote(message_id, safe='')}/attachments/createUploadSession"
        return self._request("POST", path, json_body={"AttachmentItem": item}).json()

    def upload_file(self, upload_url: str, source, progress_cb: Progress | None = None) -> str | None:
        """PUT a file (a path, or an uploads.StreamSource forwarding a request body) to
        ``upload_url`` in chunks; returns the Location of the new attachment (if any)."""
        response = ChunkUploader(self.session, upload_url, source, self.chunk_size,
                                 max(self.timeout, 60.0), self.retry, self.sleep,
                                 progress_cb).run()
        return response.headers.get("Location")

    def list_attachments(self, message_id: str, mailbox: str | None = None) -> list[dict]:
        """The message's attachments: id, name, size (no content)."""
        path = f"{_mailbox(mailbox)}/messages/{quote(message_id, safe='')}/attachments"
        return self._request("GET", path, params={"$select": "id,name,size"}).json().get("value", [])

    def cancel_upload(self, upload_url: str) -> None:
        """DELETE the upload session (best effort)."""
        try:
            self.session.delete(upload_url, headers={"Authorization": None}, timeout=self.timeout)
        except requests.RequestException:
            logger.info("could not cancel an upload session")

    def update_message(self, message_id: str, changes: dict, mailbox: str | None = None) -> dict:
        """PATCH a draft's properties (not its attachments, nor the headers set at creation)."""
        return self._request("PATCH", f"{_mailbox(mailbox)}/messages/{quote(message_id, safe='')}",
                             json_body=changes).json()

    def delete_attachment(self, message_id: str, attachment_id: str,
                          mailbox: str | None = None) -> None:
        self._request("DELETE", f"{_mailbox(mailbox)}/messages/{quote(message_id, safe='')}"
                                f"/attachments/{quote(attachment_id, safe='')}")

    def send_draft(self, message_id: str, mailbox: str | None = None) -> None:
        """POST .../messages/{id}/send: no body; Graph answers 202."""
        self._request("POST", f"{_mailbox(mailbox)}/messages/{quote(message_id, safe='')}/send")

    def get_message(self, message_id: str, select: list[str] | None = None,
                    mailbox: str | None = None) -> dict:
        params = {"$select": ",".join(select)} if select else None
        return self._request("GET", f"{_mailbox(mailbox)}/messages/{quote(message_id, safe='')}",
                             params=params).json()

    def delete_message(self, message_id: str, mailbox: str | None = None) -> None:
        self._request("DELETE", f"{_mailbox(mailbox)}/messages/{quote(message_id, safe='')}")

    def message_pages(self, folder: str = "inbox", select: list[str] | None = None,
                      top: int = 10, mailbox: str | None = None):
        """Pages (lists) of a folder's messages (well-known names work: inbox, sentitems,
        drafts), newest first, following @odata.nextLink as an opaque URL while asked."""
        params: dict | None = {"$top": str(top), "$orderby": "receivedDateTime desc"}
        if select:
            params["$select"] = ",".join(select)
        url = f"{_mailbox(mailbox)}/mailFolders/{quote(folder)}/messages"
        while url:
            body = self._request("GET", url, params=params).json()
            yield body.get("value", [])
            url, params = body.get("@odata.nextLink"), None

    def list_messages(self, folder: str = "inbox", select: list[str] | None = None,
                      top: int = 10, mailbox: str | None = None, max_pages: int = 1) -> list[dict]:
        """The first ``max_pages`` pages of ``message_pages``, as one list."""
        found: list[dict] = []
        for number, page in enumerate(self.message_pages(folder, select, top, mailbox), 1):
            found.extend(page)
            if number >= max_pages:
                break
        return found
