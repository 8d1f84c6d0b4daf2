"""Sizes: how people read them, and the one answer to "may this file join this message?".

The draft store (while a file streams in), the compose views (before an upload starts, from
its Content-Length) and the send plan (before anything goes to Graph) all ask ``file_refusal``
and ``message_refusal``; each refusal names the file and the limit.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MB = 1024 * 1024


def human(size: int) -> str:
    """Sizes as people read them: 3.5 MB, 820 KB, 12 bytes. The one formatter of every page
    (templates get it as ``human``; static/sizes.js is its twin, halves rounded up alike)."""
    if size >= MB:
        shown = (Decimal(size) / MB).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return f"{shown} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{(Decimal(size) / 1024).quantize(Decimal('1'), ROUND_HALF_UP)} KB"
    return f"{size} bytes"


def human_pair(size: int, limit: int) -> tuple[str, str]:
    """``size`` and ``limit`` in words for "X is Y; at most Z": exact byte counts when rounding
    would make them read the same (a file one byte over 150 MB is not "150 MB, at most 150 MB")."""
    if human(size) == human(limit):
        return f"{size:,} bytes", f"{limit:,} bytes"
    return human(size), human(limit)


def file_refusal(name: str, size: int, used: int, max_file: int, max_total: int,
                 streaming: bool = False) -> str | None:
    """Why a file of ``size`` bytes may not join attachments of ``used`` bytes, or None.

    ``streaming``: ``size`` is what has arrived so far (the file may be larger), so the words
    say only that it is over, not by how much.
    """
    if size > max_file:
        if streaming:
            return f"{name!r} is larger than the {human(max_file)} allowed per file."
        size_words, limit_words = human_pair(size, max_file)
        return f"{name!r} is {size_words}; a single attachment can be at most {limit_words}."
    if used + size > max_total:
        if streaming:
            return (f"{name!r} does not fit: the attachments of one message may total "
                    f"{human(max_total)}.")
        return (f"{name!r} ({human(size)}) does not fit: the attachments of one message may "
                f"total {human(max_total)}, and {human(used)} are attached already.")
    return None


def message_refusal(size: int, max_message: int, largest: tuple[str, int] | None) -> str | None:
    """Why a message of ``size`` bytes (attachments and body) is too big, or None; ``largest``
    is its largest file as (name, size), named as the one to shrink."""
    if size <= max_message:
        return None
    hint = f" The largest file is {largest[0]!r} ({human(largest[1])})." if largest else ""
    size_words, limit_words = human_pair(size, max_message)
    return (f"The message is {size_words} with its attachments; the mailbox accepts at most "
            f"{limit_words} per message.{hint}")
