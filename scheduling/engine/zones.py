"""Time zones as integer timelines, and the one rule that maps wall-clock time to instants.

Inside the engine every instant is an ``int`` of seconds since the Unix epoch (UTC), and a
wall-clock reading in some zone is a "local epoch": the same count as if that wall clock were
UTC. ``local_day * 86400`` is the local midnight that starts a day, and ``local % 86400`` is the
time of day. Working on integers keeps the hot loops free of ``datetime`` objects.

A :class:`Timeline` holds a zone's UTC offsets over a span of instants as a few constant
pieces. With it, converting a *set of wall-clock times* (a bookable-hours window, an all-day
event, a grid of slot starts) to instants is exact and rule-free: the result is the *preimage*,
every instant whose wall clock reads a time in the set. Wall times that do not exist (the
spring-forward gap) have no preimage; wall times that occur twice (the fall-back hour) have
two. So a window 09:00-17:00 always means "while the clock shows 09:00 to 17:00", whatever the
day's length, and a slot grid never gains a duplicate or loses a slot at a DST change.

A *single* wall-clock time that must become one instant (a recurring occurrence) uses the
RFC 5545 rule instead, see :func:`wall_to_instant`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UnknownTimeZone

DAY = 86_400
# date.toordinal() of 1970-01-01: local day numbers count days since the epoch.
EPOCH_ORDINAL = 719_163
# Samples are taken this far apart when looking for offset changes. The tz database never
# changes a zone's offset twice within four days (the closest pair since 1900 is 3.99 days
# apart, Africa/Freetown in 1939; since 1970, 6.9 days), so no change can hide between two
# samples; tests/scheduling/test_engine_time_zones.py checks this against the database.
SAMPLE_SECONDS = 2 * DAY
# Offset changes fall on whole quarter hours in practice, so the search for one tries those
# first and only then narrows to the second.
_QUARTER = 900


def zone(name: str | ZoneInfo) -> ZoneInfo:
    """Return the IANA zone called ``name``; raise :class:`UnknownTimeZone` if there is none."""
    if isinstance(name, ZoneInfo):
        return name
    if not isinstance(name, str) or not name:
        raise UnknownTimeZone(f"time zone must be an IANA name such as 'Europe/London': {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise UnknownTimeZone(f"unknown time zone {name!r}") from error


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the engine's local day number)."""
    return day.toordinal() - EPOCH_ORDINAL


def day_of(number: int) -> date:
    """The date of a local day number."""
    return date.fromordinal(number + EPOCH_ORDINAL)


def offset_at(tz: ZoneInfo, instant: int) -> int:
    """The zone's UTC offset in seconds at ``instant`` (epoch seconds)."""
    return int(datetime.fromtimestamp(instant, tz).utcoffset().total_seconds())


@dataclass(frozen=True, slots=True)
class Timeline:
    """A zone's UTC offsets over ``[starts[0], ends[-1])`` as constant pieces.

    Piece ``k`` covers instants ``[starts[k], ends[k])`` with wall clock = instant + ``offsets[k]``.
    Pieces are in time order and touch each other.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    offsets: tuple[int, ...]

    def wall(self, instant: int) -> int:
        """The local epoch of ``instant``, which must lie inside the timeline."""
        return instant + self.offsets[bisect_right(self.starts, instant) - 1]

    def preimage(self, wall_start: int, wall_end: int) -> list[tuple[int, int]]:
        """Every instant (within the timeline) whose wall clock reads ``[wall_start, wall_end)``.

        Returned as sorted, disjoint ``(start, end)`` intervals; usually one, two when the
        wall range covers part of a fall-back hour, none when it lies inside a gap.
        """
        out: list[tuple[int, int]] = []
        for lo, hi, offset in zip(self.starts, self.ends, self.offsets, strict=True):
            a = wall_start - offset
            b = wall_end - offset
            if a < lo:
                a = lo
            if b > hi:
                b = hi
            if a < b:
                if out and out[-1][1] == a:
                    out[-1] = (out[-1][0], b)
                else:
                    out.append((a, b))
        return out


def timeline(tz: ZoneInfo, lo: int, hi: int) -> Timeline:
    """Build the :class:`Timeline` of ``tz`` over instants ``[lo, hi)`` (``lo < hi``).

    Offsets are sampled every :data:`SAMPLE_SECONDS` and each change is located to the
    second by bisection, so the cost is a few dozen zone lookups for a month.
    """

    def offset(instant: int) -> timedelta:
        return datetime.fromtimestamp(instant, tz).utcoffset()

    starts = [lo]
    first = offset(lo)
    offsets = [first]
    previous, previous_offset = lo, first
    last = hi - 1
    while previous < last:
        sample = min(previous + SAMPLE_SECONDS, last)
        now = offset(sample)
        if now != previous_offset:
            starts.append(_change(offset, previous, sample, previous_offset))
            offsets.append(now)
        previous, previous_offset = sample, now
    ends = [*starts[1:], hi]
    return Timeline(
        starts=tuple(starts),
        ends=tuple(ends),
        offsets=tuple(int(o.total_seconds()) for o in offsets),
    )


def _change(offset, a: int, b: int, before: timedelta) -> int:
    """The first instant in ``(a, b]`` whose offset is not ``before``, given that ``a`` has it,
    ``b`` does not, and there is one change in between."""
    # Quarter-hour marks first, while they still bracket the change.
    mark = -(-(a + 1) // _QUARTER) * _QUARTER  # the first mark after a
    last_mark = b // _QUARTER * _QUARTER
    if mark <= last_mark:
        if offset(mark) != before:
            b = mark
        elif offset(last_mark) == before:
            a = last_mark
        else:
            a, b = mark, last_mark
            while b - a > _QUARTER:
                middle = (a + b) // 2 // _QUARTER * _QUARTER
                if offset(middle) == before:
                    a = middle
                else:
                    b = middle
            if offset(b - 1) == before:
                return b  # on the mark, as nearly always
    # Then to the second.
    while b - a > 1:
        middle = (a + b) // 2
        if offset(middle) == before:
            a = middle
        else:
            b = middle
    return b


def wall_to_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """One instant for a naive wall-clock time in ``tz``, by RFC 5545's rule (section 3.3.5).

    A time that occurs twice (fall-back) means its first occurrence; a time that does not
    exist (spring-forward gap) is read with the offset in force before the gap, so 02:30 on
    a New York spring-forward day becomes 03:30 EDT. This is what calendar clients do with
    the same recurring event, and it is exactly ``zoneinfo``'s ``fold=0``. Returns UTC.
    """
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
