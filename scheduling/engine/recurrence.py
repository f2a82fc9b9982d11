"""Recurring series: weekly, bi-weekly and monthly, each occurrence checked on its own.

Occurrences keep the first one's wall-clock time in the booker's zone (a 09:00 weekly stays
09:00 after a DST change, so it moves by an hour in UTC), generated with dateutil's rrule.

A monthly series repeats on the first occurrence's day of the month. When a month is too
short for it, the occurrence falls on that month's last day: a series from 31 January meets
on 28 or 29 February, 31 March, 30 April. Mentorship series are counted in sessions ("the 6
sessions left"), so every month should keep its session rather than lose it as RFC 5545's
plain BYMONTHDAY=31 would (skipping February, April, ...); it is also what Outlook does.
It is expressed in rrule itself as BYMONTHDAY=28..day with BYSETPOS=-1: the last of those
days that the month has.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime

from dateutil.rrule import MONTHLY, WEEKLY, rrule

from .errors import InvalidRequest
from .inputs import Frequency, Participant, SeriesRequest
from .results import STATE_OF_CODE, Occurrence
from .slots import Grid, ZoneCache, check_people, participant_codes, whole_seconds
from .zones import wall_to_instant, zone


def _rule(frequency: Frequency, first: datetime, count: int) -> rrule:
    if frequency is Frequency.WEEKLY:
        return rrule(WEEKLY, dtstart=first, count=count)
    if frequency is Frequency.BIWEEKLY:
        return rrule(WEEKLY, interval=2, dtstart=first, count=count)
    if first.day <= 28:
        return rrule(MONTHLY, dtstart=first, count=count)
    return rrule(
        MONTHLY, dtstart=first, count=count, bymonthday=tuple(range(28, first.day + 1)), bysetpos=-1
    )


def occurrence_times(series: SeriesRequest) -> tuple[tuple[datetime, datetime], ...]:
    """The ``(start, end)`` UTC instants of every occurrence of ``series``, in order.

    The first is ``first_start`` itself. Each later one is the first one's wall-clock time on
    its date in ``booker_tz``, read by RFC 5545's rule where that time does not exist or
    occurs twice that day (see :func:`~.zones.wall_to_instant`). A loader can call this first
    to know which busy times to fetch.
    """
    tz = zone(series.booker_tz)
    first = series.first_start.astimezone(UTC)
    first_wall = series.first_start.astimezone(tz).replace(tzinfo=None)
    out = [(first, first + series.duration)]
    # rrule drops microseconds from dtstart; put them back so every occurrence keeps them.
    walls = _rule(series.frequency, first_wall, series.count)
    for wall in list(walls)[1:]:
        start = wall_to_instant(wall.replace(microsecond=first_wall.microsecond), tz)
        out.append((start, start + series.duration))
    return tuple(out)


def recurrence(
    *, participants: Sequence[Participant], viewer_id: Hashable, series: SeriesRequest
) -> tuple[Occurrence, ...]:
    """Every occurrence of ``series``, each checked for conflicts and reported one by one.

    ``viewer_id`` is the booker. States follow :func:`~.slots.availability`'s rules exactly
    (what the booker may see of each calendar, bookable hours in each participant's zone,
    buffers): an occurrence is in ``conflict`` when a participant is busy for it, ``past``
    when it starts before ``now + min_notice``, and ``bookable`` when neither.

    Raises :class:`InvalidRequest` for an empty group, duplicate ids or a viewer who is not a
    participant.
    """
    people = check_people(participants, "participant")
    viewer = next((person for person in people if person.id == viewer_id), None)
    if viewer is None:
        raise InvalidRequest(f"the viewer {viewer_id!r} is not one of the participants")
    times = occurrence_times(series)
    # Occurrences are whole seconds on the engine's grid; sub-second parts are dropped there
    # only, the reported times keep them.
    starts = [math.floor(start.timestamp()) for start, _ in times]
    duration = whole_seconds(series.duration)
    before, after = whole_seconds(series.buffer_before), whole_seconds(series.buffer_after)
    grid = Grid.of_starts(starts)
    zones = ZoneCache(starts[0] - before, starts[-1] + duration + after)
    codes = [
        participant_codes(
            person,
            revealed=viewer.integrated and person.integrated,
            grid=grid,
            duration=duration,
            before=before,
            after=after,
            zones=zones,
        )[0]
        for person in people
    ]
    cutoff = series.now.timestamp() + whole_seconds(series.min_notice)
    out = []
    for index, (start, end) in enumerate(times):
        past = start.timestamp() < cutoff
        # Busy and outside hours are the odd codes: either is a conflict.
        conflict = any(person_codes[index] & 1 for person_codes in codes)
        out.append(
            Occurrence(
                index=index,
                start=start,
                end=end,
                past=past,
                conflict=conflict,
                bookable=not past and not conflict,
                states={
                    person.id: STATE_OF_CODE[person_codes[index]]
                    for person, person_codes in zip(people, codes, strict=True)
                },
            )
        )
    return tuple(out)
