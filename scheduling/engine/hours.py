"""Bookable hours and all-day events as instants, each in its owner's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from .inputs import BookableHours, all_day_numbers
from .intervals import Interval, merge
from .zones import DAY, Timeline, timeline, zone


def hours_intervals(hours: BookableHours, span: Timeline) -> list[Interval]:
    """The instants within ``span`` when the wall clock of its zone is inside ``hours``.

    Sorted, disjoint and merged across midnight, so a window ending at 24:00 and the next
    day's window starting at 00:00 make one interval.
    """
    out: list[Interval] = []
    for lo, hi, offset in zip(span.starts, span.ends, span.offsets, strict=True):
        # Walk the local days this piece of constant offset touches, in its own wall clock.
        wall_lo, wall_hi = lo + offset, hi + offset
        for local_day in range(wall_lo // DAY, (wall_hi - 1) // DAY + 1):
            midnight = local_day * DAY - offset
            for start, end in hours.windows_on(local_day):
                a = midnight + start
                b = midnight + end
                if a < lo:
                    a = lo
                if b > hi:
                    b = hi
                if a < b:
                    if out and out[-1][1] >= a:
                        if b > out[-1][1]:
                            out[-1] = (out[-1][0], b)
                    else:
                        out.append((a, b))
    return out


def all_day_intervals(days: tuple[Interval, ...], span: Timeline) -> list[Interval]:
    """All-day events (local day numbers ``[first, end)``) as the instants of those whole days
    in the zone of ``span``, clipped to it."""
    out: list[Interval] = []
    for first, end in days:
        out.extend(span.preimage(first * DAY, end * DAY))
    return merge(out)


def all_day_utc(
    first_day: date, end_day: date, *, time_zone: str
) -> tuple[tuple[datetime, datetime], ...]:
    """The UTC instants an all-day event ``[first_day, end_day)`` blocks in ``time_zone``.

    Usually one interval from the local midnight that starts ``first_day`` to the one that
    starts ``end_day``; DST makes it 23 or 25 hours a day where the zone changes. A loader can
    use this to store all-day events as ordinary busy blocks; :class:`Participant` also takes
    them as dates directly.
    """
    ((first, end),) = all_day_numbers(((first_day, end_day),), "all_day_utc")
    tz = zone(time_zone)
    if first == end:
        return ()
    # Offsets stay within a day of UTC, so a day's margin holds every instant of those days.
    span = timeline(tz, first * DAY - DAY, end * DAY + DAY)
    return tuple(
        (datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC))
        for a, b in span.preimage(first * DAY, end * DAY)
    )
