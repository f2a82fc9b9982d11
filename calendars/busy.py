"""What blocks a person's time, decided the same way for every provider.

Busy, out-of-office and tentative block; free (transparent), cancelled and declined events do
not. All-day and multi-day events block whole days in the owner's time zone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

from calendars.providers.base import BusyInterval

BLOCKING_KINDS = ("busy", "tentative", "oof")


def day_span(
    first: dt.date, end_exclusive: dt.date, time_zone: str
) -> tuple[dt.datetime, dt.datetime]:
    """An all-day span as UTC instants: midnight to midnight in the owner's zone."""
    tz = ZoneInfo(time_zone or "UTC")
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(end_exclusive, dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


SERIES_KEY_LENGTH = 20


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def known_zone(name: str | None) -> str:
    """``name`` when it is an IANA zone this machine knows, else "" (a provider may send a
    Windows zone name such as "Pacific Standard Time": the caller then falls back)."""
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ValueError, KeyError):
        return ""
    return name


def wall_clock(naive: dt.datetime, time_zone: str) -> dt.datetime:
    """A floating time (no zone: RFC 5545 §3.3.5 "floating") read on the owner's wall clock,
    as a UTC instant. The wall clock, not elapsed time since midnight: on a DST day 10:00 is
    still 10:00."""
    return naive.replace(tzinfo=ZoneInfo(time_zone or "UTC")).astimezone(dt.UTC)


def event_key(provider_event_id: str, series_id: str = "") -> str:
    """A stable hash of the provider's event id: enough to update a block, nothing to read.

    The first :data:`SERIES_KEY_LENGTH` characters hash the series the event belongs to (its
    own id when it is not an occurrence), so a whole series can be dropped at once when the
    provider reports only the series as deleted (see :func:`series_prefix`).
    """
    series = _digest(series_id or provider_event_id)[:SERIES_KEY_LENGTH]
    return series + _digest(provider_event_id)[: 40 - SERIES_KEY_LENGTH]


def series_prefix(key: str) -> str:
    """The part of an :func:`event_key` shared by every occurrence of its series."""
    return key[:SERIES_KEY_LENGTH]


def interval(start: dt.datetime, end: dt.datetime, kind: str) -> list[BusyInterval] | None:
    if kind not in BLOCKING_KINDS or end <= start:
        return None
    return [BusyInterval(start=start.astimezone(dt.UTC), end=end.astimezone(dt.UTC), kind=kind)]


def clip(intervals: list[BusyInterval], start: dt.datetime, end: dt.datetime) -> list[BusyInterval]:
    out = []
    for i in intervals:
        s, e = max(i.start, start), min(i.end, end)
        if e > s:
            out.append(BusyInterval(start=s, end=e, kind=i.kind))
    return out
