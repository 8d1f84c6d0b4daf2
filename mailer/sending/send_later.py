"""Send later: a time picked in the person's time zone, kept in UTC, and handed to Exchange as
the message's deferred send time (PidTagDeferredSendTime, MAPI 0x3FEF, PT_SYSTIME), which Graph
sets as a single-value extended property with id ``SystemTime 0x3FEF`` and an ISO-8601 UTC
value. Exchange keeps the message in the Outbox until then and sends it itself; the app does
nothing at that time. Flask-free.

The page sends the browser's IANA zone (``Europe/Paris``) or, failing that, its UTC offset
(``+02:00``); a time with neither is taken as UTC and the page says so.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROPERTY = "SystemTime 0x3FEF"
MAX_AHEAD = dt.timedelta(days=30)  # further ahead is more likely a typo than a plan
LABEL = "Send later"
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d{1,2}):?(\d{2})$")
_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,40}(/[A-Za-z0-9_+-]{1,40}){0,2}$")


def zone_of(name: str) -> dt.tzinfo:
    """The zone the page named: an IANA name, ``UTC``, or an offset such as ``+02:00``."""
    name = (name or "").strip()
    if not name or name.upper() in ("UTC", "Z", "ETC/UTC"):
        return dt.timezone.utc
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
        if delta > dt.timedelta(hours=14):
            raise ValueError(f"{LABEL}: the time zone offset {name!r} is not one on Earth.")
        return dt.timezone(-delta if sign == "-" else delta)
    if not _ZONE.match(name):
        raise ValueError(f"{LABEL}: the time zone {name[:60]!r} is not one this server knows.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{LABEL}: the time zone {name!r} is not one this server knows.") \
            from None


def to_utc(local: str, zone: str) -> str:
    """``2026-05-01T09:30`` in ``zone`` as ``2026-05-01T07:30:00Z``; "" when empty."""
    local = (local or "").strip()
    if not local:
        return ""
    if not _LOCAL.match(local):
        raise ValueError(f"{LABEL}: {local[:40]!r} is not a date and time; pick one such as "
                         "2026-05-01 09:30, or leave it empty to send now.")
    try:
        moment = dt.datetime.fromisoformat(local.replace(" ", "T"))
    except ValueError:
        raise ValueError(f"{LABEL}: {local!r} is not a date that exists.") from None
    moment = moment.replace(tzinfo=zone_of(zone))
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def local_of(utc: str, zone: str) -> str:
    """The stored UTC time as the page's field shows it, in ``zone``."""
    if not utc:
        return ""
    try:
        return parse_utc(utc).astimezone(zone_of(zone)).strftime("%Y-%m-%dT%H:%M")
    except ValueError:
        return ""


def shown(utc: str, zone: str) -> str:
    """``2026-05-01 09:30 (Europe/Paris)``, for the status page."""
    try:
        moment = parse_utc(utc).astimezone(zone_of(zone))
    except ValueError:
        return utc
    return f"{moment:%Y-%m-%d %H:%M} ({zone or 'UTC'})"


def refusal(utc: str, zone: str, now: dt.datetime | None = None) -> str | None:
    """Why this time cannot be used at Send (past, or too far ahead), or None."""
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        when = parse_utc(utc)
    except ValueError:
        return f"{LABEL}: the time kept for this message is not readable; pick it again."
    if when <= now:
        return (f"{LABEL}: {shown(utc, zone)} has already passed. Pick a later time, or clear "
                "it to send now.")
    if when - now > MAX_AHEAD:
        return (f"{LABEL}: {shown(utc, zone)} is more than {MAX_AHEAD.days} days ahead; pick "
                f"a time within the next {MAX_AHEAD.days} days.")
    return None


def property_json(utc: str) -> dict:
    return {"id": PROPERTY, "value": utc}


def read_property(properties, now: dt.datetime | None = None) -> str | None:
    """The deferred send time among a message's extended properties, if still to come."""
    now = now or dt.datetime.now(dt.timezone.utc)
    for item in properties or []:
        if (item.get("id") or "").lower() == PROPERTY.lower():
            try:
                when = parse_utc(item.get("value") or "")
            except ValueError:
                return None
            return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when > now else None
    return None
