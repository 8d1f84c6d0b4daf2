"""Streaming a file into an Outlook upload session, chunk by chunk, resumably.

The uploadUrl lives on another host and carries its own ``authtoken`` in the query string:
chunks go out WITHOUT an Authorization header (a Bearer token there gets 401, the bug behind
msgraph-sdk-python-core #691). Each chunk is a multiple of 320 KiB (OneDrive's rule; harmless
for Outlook) and at most 4 MB, read from disk only when it is sent, so memory stays at one
chunk whatever the file size. 429/503/504 are retried by retry.py; after a chunk that still
failed or whose answer was lost, the session is asked where it stands (``nextExpectedRanges``)
and the upload resumes from there instead of starting over.
"""
from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import BinaryIO, Callable

import requests

from mailer.graph.errors import NETWORK_ERROR, GraphError
from mailer.graph.retry import RetryPolicy, send_with_retry

logger = logging.getLogger(__name__)

UNIT = 320 * 1024
CHUNK_SIZE = 10 * UNIT  # 3,276,800 bytes
MAX_CHUNK = 4 * 1024 * 1024

Progress = Callable[[int, int], None]  # (bytes confirmed by the server, file size)


def check_chunk_size(size: int) -> int:
    if size <= 0 or size % UNIT or size > MAX_CHUNK:
        raise ValueError(f"chunk size {size} must be a positive multiple of {UNIT} bytes, "
                         f"at most {MAX_CHUNK}")
    return size


def next_expected(body: dict | None) -> int | None:
    """The first byte the session still wants, from ``nextExpectedRanges`` (["123-"] or ["123"])."""
    ranges = (body or {}).get("nextExpectedRanges") or (body or {}).get("NextExpectedRanges")
    if not ranges:
        return None
    try:
        return min(int(str(r).split("-")[0]) for r in ranges)
    except ValueError:
        return None


def _json(response: requests.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class SeekableSource:
    """A seekable file: any range can be read again (a resumed upload seeks back). Given a path
    it opens (and closes) the file itself; given an open handle, the handle stays its owner's."""

    def __init__(self, path: str | Path | None = None, handle: BinaryIO | None = None,
                 name: str = "", total: int | None = None):
        self.path, self._handle, self._owned = (Path(path) if path else None), handle, False
        self.name = name or (self.path.name if self.path else "file")
        self.total = total if total is not None else self.path.stat().st_size

    def read(self, start: int, length: int) -> bytes:
        if self._handle is None:
            self._handle, self._owned = self.path.open("rb"), True
        self._handle.seek(start)
        return self._handle.read(length)

    def close(self) -> None:
        if self._owned:
            self._handle.close()


class StreamSource:
    """Bytes arriving once (a request body), forwarded as they come: only the chunk being sent
    is held, so a resume may go back within it but never before it (that raises ValueError).
    A stream that ends early raises ValueError naming how much arrived.

    While a chunk is out to Graph, a reader thread takes the next bytes in (at most ``ahead``
    bytes, in 1 MB pieces): receiving and forwarding overlap instead of taking turns, and memory
    stays bounded (the chunk held, plus ``ahead``)."""

    PIECE = 1024 * 1024

    def __init__(self, stream: BinaryIO, total: int, name: str, ahead: int = 4 * 1024 * 1024):
        self.stream, self.total, self.name = stream, total, name
        self._start, self._held = 0, b""
        self._pieces: queue.Queue = queue.Queue(maxsize=max(1, ahead // self.PIECE))
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read_ahead, name="upload-read-ahead",
                                        daemon=True)
        self._reader.start()

    def _read_ahead(self) -> None:
        left = self.total
        try:
            while left > 0 and not self._stop.is_set():
                piece = self.stream.read(min(left, self.PIECE))
                if not piece:
                    break
                left -= len(piece)
                while not self._stop.is_set():
                    try:
                        self._pieces.put(piece, timeout=0.5)
                        break
                    except queue.Full:
                        continue
        except Exception as exc:  # noqa: BLE001 - handed to the reading side, which raises
            self._pieces.put(exc)
            return
        self._pieces.put(b"")  # the end (early or not)

    def read(self, start: int, length: int) -> bytes:
        held_end = self._start + len(self._held)
        if not self._start <= start <= held_end:
            raise ValueError(f"{self.name}: byte {start:,} is no longer held (already forwarded)")
        if start + length <= held_end:
            return self._held[start - self._start:start - self._start + length]
        parts = [self._held[start - self._start:]]
        got = len(parts[0])
        while got < length:
            piece = self._pieces.get()
            if isinstance(piece, Exception):
                raise ValueError(f"{self.name}: the upload broke off: {piece}") from piece
            if not piece:
                self._pieces.put(b"")  # stays ended for any later read
                raise ValueError(f"{self.name}: the upload ended after {start + got:,} of "
                                 f"{self.total:,} bytes")
            if got + len(piece) > length:  # a piece across the chunk's end: keep the rest
                self._requeue(piece[length - got:])
                piece = piece[:length - got]
            parts.append(piece)
            got += len(piece)
        self._start, self._held = start, b"".join(parts)
        return self._held

    def _requeue(self, rest: bytes) -> None:
        # Only this (reading) side takes pieces, so the rest goes back to the front.
        with self._pieces.mutex:
            self._pieces.queue.appendleft(rest)
            self._pieces.unfinished_tasks += 1

    def close(self) -> None:
        self._held = b""
        self._stop.set()
        self._reader.join(timeout=5)  # never two readers of the request body at once


class ChunkUploader:
    """One upload of one file to one uploadUrl. ``run()`` returns the final 201 response."""

    def __init__(self, session: requests.Session, upload_url: str, source,
                 chunk_size: int, timeout: float, policy: RetryPolicy, sleep=None,
                 progress: Progress | None = None):
        self.session, self.url = session, upload_url
        self.source = source if hasattr(source, "read") else SeekableSource(source)
        self.chunk_size = check_chunk_size(chunk_size)
        self.timeout, self.policy, self.progress = timeout, policy, progress
        self.sleep = sleep
        self.total = self.source.total

    def _put(self, data: bytes, start: int, end: int) -> requests.Response:
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {start}-{end}/{self.total}",
            "Authorization": None,  # drops any session default: the URL carries its own token
        }
        kwargs = {"sleep": self.sleep} if self.sleep else {}
        return send_with_retry(
            lambda: self.session.put(self.url, data=data, headers=headers, timeout=self.timeout),
            "PUT", self.policy, what=f"upload chunk {start}-{end}", **kwargs)

    def _where(self) -> int | None:
        """Ask the session which byte it expects next (None if it cannot say)."""
        try:
            response = self.session.get(self.url, headers={"Authorization": None},
                                        timeout=self.timeout)
        except requests.RequestException:
            return None
        return next_expected(_json(response)) if response.status_code == 200 else None

    def run(self) -> requests.Response:
        try:
            return self._run()
        finally:
            self.source.close()

    def _run(self) -> requests.Response:
        start, setbacks = 0, 0
        while True:
            end = min(start + self.chunk_size, self.total) - 1
            data = self.source.read(start, end - start + 1)
            try:
                response = self._put(data, start, end)
            except requests.RequestException as exc:
                response, failure = None, GraphError(0, NETWORK_ERROR,
                                                     f"Upload of {self.source.name} failed: {exc}")
            else:
                failure = None if response.status_code < 400 else GraphError.from_response(response)
            hint = next_expected(_json(response)) if failure and response is not None else None
            del data  # the chunk is not needed any more; keep peak memory at one chunk
            if failure is None and response.status_code == 201:
                self._report(self.total)
                return response
            if failure is None:
                resumed = next_expected(_json(response))
                start = resumed if resumed is not None else end + 1
                self._report(start)
                if start >= self.total:  # the server has it all but did not say 201
                    return response
                continue
            # A failed chunk: resume from where the session says it stands, a few times.
            setbacks += 1
            resumed = hint
            if resumed is None and failure.status in (0, 400, 416, 500, 502, 503, 504):
                resumed = self._where()
            if resumed is None and failure.status == 0:
                # Outlook does not document GET on an upload URL: after a lost answer, send
                # the same range again; a session that already has it says where it stands.
                resumed = start
            if resumed is None or setbacks > self.policy.max_attempts:
                raise failure
            logger.warning("upload of %s: %s; resuming at byte %d", self.source.name,
                           failure.code, resumed)
            start = resumed

    def _report(self, done: int) -> None:
        if self.progress:
            self.progress(min(done, self.total), self.total)
