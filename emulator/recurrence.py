"""Expanding recurring series into occurrences, DST-correct.

A series recurs on wall-clock time in its own zone ("every Monday at 10:00 Berlin"),
so the rule is expanded on naive local times and each occurrence is localized
afterwards; expanding in UTC would shift occurrences by an hour across a DST change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from dateutil.rrule import rruleset, rrulestr

from emulator.timefmt import zone

if TYPE_CHECKING:
    from emulator.store import Event


@lru_cache(maxsize=4096)
def _rules(lines: tuple[str, ...], dtstart: datetime) -> rruleset:
    # ignoretz: UNTIL and EXDATE values are compared as local wall-clock times, which is
    # what a series in one zone means; the cache keys on the lines and the naive start.
    return rrulestr("\n".join(lines), dtstart=dtstart, forceset=True, ignoretz=True)


def occurrence_starts(event: Event, start: datetime, end: datetime) -> Iterator[datetime]:
    """UTC start instants of the series' occurrences beginning in [start, end)."""
    tz = zone(event.time_zone)
    local_start = event.start.astimezone(tz).replace(tzinfo=None)
    rules = _rules(tuple(event.recurrence), local_start)
    # A day of slack on both sides absorbs offset changes; the UTC check below is exact.
    lo = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    hi = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    for naive in rules.between(lo, hi, inc=True):
        occurrence = naive.replace(tzinfo=tz).astimezone(UTC)
        if start <= occurrence < end:
            yield occurrence
