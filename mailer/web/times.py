"""Times on the pages: every moment goes out as ``<time datetime="…Z" data-local>`` with a UTC
text, and static/app.js rewrites it in the browser's own time zone ("5 min ago", "today 14:05",
"Tue 3 Mar, 09:12"), so that no page shows a bare UTC time to a person who does not live in
UTC. Without JavaScript the UTC text stays, saying it is UTC."""
from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape


def parse(value) -> dt.datetime | None:
    """An aware UTC datetime from an epoch (int, float) or an ISO 8601 text, else None."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, (int, float)):
            return dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def utc_text(value) -> str:
    """"2026-11-29 21:06 UTC" (or the value as it came, when it is no time)."""
    moment = parse(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else str(value or "")


def local_time(value, css: str = "") -> Markup:
    """The ``<time>`` element app.js shows in the browser's zone; "" for no value."""
    moment = parse(value)
    if moment is None:
        return Markup(escape(str(value or "")))
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    cls = f' class="{escape(css)}"' if css else ""
    return Markup(f'<time datetime="{stamp}" data-local{cls}>{escape(utc_text(moment))}</time>')
