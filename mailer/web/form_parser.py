"""A form parser that keeps the fields that fit instead of refusing the whole form.

Werkzeug answers 413 as soon as one text part passes ``max_form_memory_size``, before the
view runs, so everything typed in the other fields is lost with it. This parser gives each
text field its own cap (``caps``, in bytes; ``default_cap`` for any other name) and the whole
form a budget (``max_form_memory_size``); a field over either is dropped, and its name, size
and the limit it passed go into ``overflow`` for the form to name. The rest is kept. Files are
streamed exactly as Werkzeug does; the multipart framing is Werkzeug's own decoder. URL-encoded
bodies are read a piece at a time under the same caps instead of whole.
"""
from __future__ import annotations

from urllib.parse import unquote_to_bytes

from werkzeug.datastructures import FileStorage
from werkzeug.formparser import FormDataParser
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

PIECE = 64 * 1024
NAME_MAX = 1024  # a URL-encoded name longer than this is not one of ours
FIELD, FORM = "field", "form"  # which limit an overflowing field passed


def _pieces(stream):
    while piece := stream.read(PIECE):
        yield piece
    yield None  # tells the decoder the body is complete


def _text(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


class LenientFormDataParser(FormDataParser):
    """FormDataParser with per-field caps and an ``overflow`` record instead of a 413."""

    def __init__(self, *args, caps: dict[str, int] | None = None, default_cap: int = 64 * 1024,
                 overflow: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.caps, self.default_cap = dict(caps or {}), default_cap
        self.overflow = overflow if overflow is not None else {}
        self.used = 0  # bytes of text kept so far, against max_form_memory_size

    def _room(self, name: str, scale: int = 1) -> tuple[int, str]:
        """How many bytes ``name`` may still have, and which limit that is."""
        cap = self.caps.get(name, self.default_cap) * scale
        budget = self.max_form_memory_size
        if budget is None or cap <= budget - self.used:
            return cap, FIELD
        return max(0, budget - self.used), FORM

    def _drop(self, name: str, size: int, why: str) -> None:
        self.overflow[name] = {"size": size, "limit": why,
                               "form_limit": self.max_form_memory_size}

    def _parse_multipart(self, stream, mimetype, content_length, options):
        boundary = options.get("boundary", "").encode("ascii", "replace")
        if not boundary:
            raise ValueError("Missing boundary")
        # The decoder's own memory bound stays: it holds only framing, never a whole field.
        decoder = MultipartDecoder(boundary, max_form_memory_size=self.max_form_memory_size,
                                   max_parts=self.max_form_parts)
        fields, files = [], []
        part = container = None
        kept: list[bytes] | None = None
        size = room = 0
        why = FIELD
        for piece in _pieces(stream):
            decoder.receive_data(piece)
            event = decoder.next_event()
            while not isinstance(event, (Epilogue, NeedData)):
                if isinstance(event, Field):
                    part, kept, size = event, [], 0
                    room, why = self._room(event.name)
                elif isinstance(event, File):
                    part, kept = event, None
                    container = self.stream_factory(
                        total_content_length=content_length, filename=event.filename,
                        content_type=event.headers.get("content-type"), content_length=0)
                elif isinstance(event, Data) and isinstance(part, Field):
                    size += len(event.data)
                    if kept is not None:
                        if size > room:
                            kept = None  # over its limit: dropped, only its size is counted
                        else:
                            kept.append(event.data)
                    if not event.more_data:
                        if kept is None:
                            self._drop(part.name, size, why)
                        else:
                            self.used += size
                            fields.append((part.name, b"".join(kept).decode("utf-8", "replace")))
                elif isinstance(event, Data):
                    container.write(event.data)
                    if not event.more_data:
                        container.seek(0)
                        files.append((part.name, FileStorage(container, part.filename, part.name,
                                                             headers=part.headers)))
                event = decoder.next_event()
        return stream, self.cls(fields), self.cls(files)

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        pairs: list[tuple[str, str]] = []
        state = {"raw": bytearray(), "size": 0, "name": None, "room": None, "why": FIELD,
                 "dropped": False}

        def add(data: bytes) -> None:
            state["size"] += len(data)
            if state["dropped"]:
                return
            state["raw"] += data
            if state["name"] is None:
                head, eq, _ = bytes(state["raw"][:NAME_MAX + 1]).partition(b"=")
                if eq:  # percent-encoding may triple a value's bytes
                    state["name"] = _text(head)
                    state["room"], state["why"] = self._room(state["name"], scale=3)
                elif len(state["raw"]) > NAME_MAX:
                    state["name"], state["room"], state["why"] = _text(head[:64]), 0, FIELD
            if state["room"] is not None and len(state["raw"]) > state["room"]:
                state["dropped"], state["raw"] = True, bytearray()

        def finish() -> None:
            raw, name = bytes(state["raw"]), state["name"]
            if state["dropped"]:
                self._drop(name, state["size"], state["why"])
            elif raw:
                head, _, value = raw.partition(b"=")
                self.used += len(raw)
                pairs.append((_text(head), _text(value)))
            state.update(raw=bytearray(), size=0, name=None, room=None, why=FIELD, dropped=False)

        while piece := stream.read(PIECE):
            start = 0
            while (amp := piece.find(b"&", start)) >= 0:
                add(piece[start:amp])
                finish()
                start = amp + 1
            add(piece[start:])
        finish()
        return stream, self.cls(pairs), self.cls()
