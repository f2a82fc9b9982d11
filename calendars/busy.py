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


def event_key(provider_event_id: str) -> str:
    """A stable hash of the provider's event id: enough to update a block, nothing to read."""
    return hashlib.sha256(provider_event_id.encode()).hexdigest()[:40]


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
