"""Mutual availability, the date view and the group heat map.

The way through, like Cal.com's date-ranges/slots: build the viewer's slot grid, build each
participant's bookable hours and busy blocks as sorted intervals of epoch seconds, then mark
slots by bisecting those intervals into the grid (one bisection per interval, not one check
per slot and block), and combine the participants' marks with arithmetic over whole byte
strings. The work grows with the number of intervals, not slots times blocks.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import InvalidRequest
from .hours import all_day_intervals, hours_intervals
from .inputs import MAX_MEMBERS, BookableHours, Participant, SlotRequest
from .intervals import Interval, clip, merge, widen
from .results import (
    BUSY_CODE,
    FREE_CODE,
    UNKNOWN_CODE,
    Availability,
    DateEntry,
    HeatMap,
    Insight,
    dates_of,
)
from .zones import DAY, Timeline, day_number, timeline, zone


@dataclass(frozen=True, slots=True)
class Grid:
    """The viewer's candidate slot starts.

    ``starts`` are every instant whose wall clock in the viewer's zone reads a multiple of
    ``step`` after midnight on a requested date: aligned to local :00/:15/... even for
    +05:30 or +12:45 viewers, none in a spring-forward gap, both copies in a fall-back hour,
    ascending. ``runs`` are ``(local day number, first index, end index)``. ``lo``/``hi`` bound
    the instants of the requested dates.
    """

    starts: list[int]
    runs: list[tuple[int, int, int]]
    lo: int
    hi: int


def slot_grid(*, viewer_tz: ZoneInfo, first_day: date, last_day: date, step: int) -> Grid:
    """The :class:`Grid` of the viewer's dates ``first_day`` to ``last_day``, every ``step``
    seconds of wall clock (``step`` divides a day).

    Generated per piece of constant offset, in wall-clock terms, then shifted to UTC: this is
    "step in UTC from each aligned local start" made exact, with no per-slot zone lookups.
    """
    wall_lo = day_number(first_day) * DAY
    wall_hi = (day_number(last_day) + 1) * DAY
    # UTC offsets stay within a day, so this span holds every instant of those dates.
    span = timeline(viewer_tz, wall_lo - DAY, wall_hi + DAY)
    starts: list[int] = []
    runs: list[tuple[int, int, int]] = []
    for lo, hi, offset in zip(span.starts, span.ends, span.offsets, strict=True):
        x = max(lo + offset, wall_lo)
        y = min(hi + offset, wall_hi)
        wall = -(-x // step) * step
        while wall < y:
            day = wall // DAY
            count = (min((day + 1) * DAY, y) - wall - 1) // step + 1
            first = len(starts)
            starts.extend(range(wall - offset, wall - offset + count * step, step))
            runs.append((day, first, first + count))
            wall += count * step
    bounds = span.preimage(wall_lo, wall_hi)
    if bounds:
        lo, hi = bounds[0][0], bounds[-1][1]
    else:  # the zone skipped every requested date (Pacific/Apia, 30 December 2011)
        lo = hi = wall_lo - span.offsets[0]
    return Grid(starts=starts, runs=runs, lo=lo, hi=hi)


class _Zones:
    """Per-call caches: one timeline per zone and one hours list per (zone, hours), so a group
    sharing a zone and the default hours pays for them once. Nothing outlives the call."""

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self._timelines: dict[str, Timeline] = {}
        self._hours: dict[tuple[str, BookableHours], list[Interval]] = {}

    def timeline(self, tz: ZoneInfo) -> Timeline:
        found = self._timelines.get(tz.key)
        if found is None:
            found = self._timelines[tz.key] = timeline(tz, self.lo, self.hi)
        return found

    def hours(self, tz: ZoneInfo, hours: BookableHours) -> list[Interval]:
        key = (tz.key, hours)
        found = self._hours.get(key)
        if found is None:
            found = self._hours[key] = hours_intervals(hours, self.timeline(tz))
        return found


def participant_busy(person: Participant, zones: _Zones) -> list[Interval]:
    """The person's busy blocks inside the call's span, all-day events included, merged."""
    starts, ends = person._busy_starts, person._busy_ends
    first = bisect_right(ends, zones.lo)
    last = bisect_left(starts, zones.hi, first)
    blocks = list(zip(starts[first:last], ends[first:last], strict=True))
    if blocks:
        a, b = blocks[0]
        if a < zones.lo:
            blocks[0] = (zones.lo, b)
        a, b = blocks[-1]
        if b > zones.hi:
            blocks[-1] = (a, zones.hi)
    if person._all_day:
        blocks = merge(blocks + all_day_intervals(person._all_day, zones.timeline(person._zone)))
    return blocks


def _mark(
    codes: bytearray, starts: list[int], intervals: list[Interval], duration: int, fill: memoryview
) -> None:
    """Set ``codes[i]`` from ``fill`` for every slot lying wholly inside one of ``intervals``."""
    i = 0
    for a, b in intervals:
        i = bisect_left(starts, a, i)
        j = bisect_right(starts, b - duration, i)
        if j > i:
            codes[i:j] = fill[: j - i]


def _mark_overlapping(
    codes: bytearray, starts: list[int], intervals: list[Interval], duration: int, fill: memoryview
) -> None:
    """Set ``codes[i]`` from ``fill`` for every slot overlapping one of ``intervals``."""
    i = 0
    for a, b in intervals:
        # Slot [s, s + duration) overlaps [a, b) exactly when a - duration < s < b.
        i = bisect_right(starts, a - duration, i)
        j = bisect_left(starts, b, i)
        if j > i:
            codes[i:j] = fill[: j - i]


class _Fills:
    """Runs of each state code as long as the grid, for slice assignment without copies."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.free = memoryview(bytes([FREE_CODE]) * n)
        self.busy_bytes = bytes([BUSY_CODE]) * n
        self.busy = memoryview(self.busy_bytes)
        self.unknown = memoryview(bytes([UNKNOWN_CODE]) * n)


def participant_codes(
    person: Participant,
    *,
    revealed: bool,
    grid: Grid,
    duration: int,
    before: int,
    after: int,
    zones: _Zones,
    fills: _Fills,
) -> tuple[bytearray, list[Interval] | None]:
    """One state code per grid slot for ``person``, and their busy blocks if ``revealed``.

    Busy everywhere to start with; slots wholly inside their bookable hours become free
    (calendar revealed) or unknown (not); then, if revealed, slots that a busy block widened
    by the buffers overlaps become busy again.
    """
    codes = bytearray(fills.busy_bytes)
    hours = zones.hours(person._zone, person.hours)
    _mark(codes, grid.starts, hours, duration, fills.free if revealed else fills.unknown)
    if not revealed:
        return codes, None
    busy = participant_busy(person, zones)
    # A block keeps `after` clear before it and `before` clear after it.
    _mark_overlapping(codes, grid.starts, widen(busy, after, before), duration, fills.busy)
    return codes, busy


def _check_people(people: Sequence[Participant], what: str) -> tuple[Participant, ...]:
    people = tuple(people)
    if not people:
        raise InvalidRequest(f"at least one {what} is needed")
    for person in people:
        if not isinstance(person, Participant):
            raise InvalidRequest(f"{what}s must be Participant values, not {type(person).__name__}")
    ids = [person.id for person in people]
    if len(set(ids)) != len(ids):
        raise InvalidRequest(f"{what} ids must be unique: {ids!r}")
    return people


def _seconds(value: timedelta) -> int:
    return math.ceil(value.total_seconds())


def insight_for(viewer: Participant, others: Sequence[Participant]) -> Insight:
    """The seeds' insight level: both integrated, only the viewer, or the viewer not at all."""
    if not viewer.integrated:
        return Insight.NONE
    if others and all(person.integrated for person in others):
        return Insight.MUTUAL
    return Insight.VIEWER_ONLY


def availability(
    *, participants: Sequence[Participant], viewer_id: Hashable, request: SlotRequest
) -> Availability:
    """Every candidate slot of ``request`` for ``participants``, as ``viewer_id`` may see it.

    Promises:

    - Slots are the viewer's wall-clock grid (see :class:`Grid`), all of them, ascending,
      past ones included and flagged: a slot is past when it starts before
      ``now + min_notice``.
    - A participant's state is ``free`` only when the viewer may see their calendar (both are
      integrated: the viewer sees their own calendar when integrated), the slot lies wholly
      inside their bookable hours and no busy block comes within the buffers of it; ``busy``
      when outside their hours or (visible calendar) a block is in the way; otherwise
      ``unknown``. So an unintegrated participant is never free, and a viewer who is not
      integrated learns nothing from anyone's calendar (the seeds' insight levels).
    - A slot is bookable when it is not past and nobody is ``busy``: unknown does not block.
    - ``busy`` holds the visible participants' merged busy blocks clipped to the dates.

    Raises :class:`InvalidRequest` for an empty group, duplicate ids or a viewer who is not a
    participant; the inputs themselves were checked when built.
    """
    people = _check_people(participants, "participant")
    viewer = next((person for person in people if person.id == viewer_id), None)
    if viewer is None:
        raise InvalidRequest(f"the viewer {viewer_id!r} is not one of the participants")
    tz = zone(request.viewer_tz)
    step = _seconds(request.step)
    duration = _seconds(request.duration)
    before, after = _seconds(request.buffer_before), _seconds(request.buffer_after)

    grid = slot_grid(
        viewer_tz=tz, first_day=request.first_day, last_day=request.last_day, step=step
    )
    starts = grid.starts
    n = len(starts)
    zones = _Zones(grid.lo - before, grid.hi + duration + after)
    fills = _Fills(n)
    codes: list[bytearray] = []
    busy: dict[Hashable, tuple[Interval, ...]] = {}
    for person in people:
        revealed = viewer.integrated and person.integrated
        person_codes, blocks = participant_codes(
            person,
            revealed=revealed,
            grid=grid,
            duration=duration,
            before=before,
            after=after,
            zones=zones,
            fills=fills,
        )
        codes.append(person_codes)
        if blocks is not None:
            busy[person.id] = tuple(clip(blocks, grid.lo, grid.hi))

    past_count = bisect_left(
        starts, math.ceil(request.now.timestamp() + _seconds(request.min_notice))
    )
    # Bookable = no participant busy and not past. BUSY is the only odd code, so OR-ing the
    # participants' code strings as one big integer and keeping bit 0 of each byte finds
    # every slot where someone is busy, in a handful of C-level operations.
    ones = int.from_bytes(b"\x01" * n, "little")
    blocked = 0
    for person_codes in codes:
        blocked |= int.from_bytes(person_codes, "little")
    flags = bytearray((ones & ~blocked).to_bytes(n, "little"))
    flags[:past_count] = bytes(past_count)

    return Availability(
        insight=insight_for(viewer, [p for p in people if p is not viewer]),
        viewer_id=viewer_id,
        viewer_tz=tz.key,
        participant_ids=tuple(person.id for person in people),
        duration=request.duration,
        first_day=request.first_day,
        last_day=request.last_day,
        range_start=datetime.fromtimestamp(grid.lo, UTC),
        range_end=datetime.fromtimestamp(grid.hi, UTC),
        today=request.now.astimezone(tz).date(),
        starts=tuple(starts),
        past_count=past_count,
        bookable_flags=bytes(flags),
        state_codes=tuple(bytes(c) for c in codes),
        day_runs=tuple(grid.runs),
        busy=busy,
    )


def bookable_dates(result: Availability) -> tuple[DateEntry, ...]:
    """The date view of an :func:`availability` result: one entry per requested date in the
    viewer's zone, saying whether it is past (before today there) and how many of its slots
    are bookable (a date with none is not highlighted)."""
    return dates_of(
        result.first_day, result.last_day, result.day_runs, result.bookable_flags, result.today
    )


def heat_map(*, members: Sequence[Participant], request: SlotRequest) -> HeatMap:
    """For each slot of ``request``, how many ``members`` are free and who is busy or unknown.

    Each member's state follows their own integration (a group's heat map is shared by all
    its members): ``free`` and ``busy`` as in :func:`availability` for an integrated member,
    ``unknown`` inside their bookable hours for one who is not, ``busy`` outside them. The
    map says who, never what: no event details enter or leave the engine.

    Raises :class:`InvalidRequest` for an empty group, duplicate ids or more than
    :data:`MAX_MEMBERS` members.
    """
    people = _check_people(members, "member")
    if len(people) > MAX_MEMBERS:
        raise InvalidRequest(f"{len(people)} members; a heat map takes at most {MAX_MEMBERS}")
    tz = zone(request.viewer_tz)
    step = _seconds(request.step)
    duration = _seconds(request.duration)
    before, after = _seconds(request.buffer_before), _seconds(request.buffer_after)
    grid = slot_grid(
        viewer_tz=tz, first_day=request.first_day, last_day=request.last_day, step=step
    )
    n = len(grid.starts)
    zones = _Zones(grid.lo - before, grid.hi + duration + after)
    fills = _Fills(n)
    codes = []
    for person in people:
        person_codes, _ = participant_codes(
            person,
            revealed=person.integrated,
            grid=grid,
            duration=duration,
            before=before,
            after=after,
            zones=zones,
            fills=fills,
        )
        codes.append(bytes(person_codes))
    # Count free members per slot by adding one 0/1 byte string per member as big integers:
    # with at most MAX_MEMBERS (< 256) members no byte overflows into its neighbour.
    free = 0
    for person_codes in codes:
        free += int.from_bytes(person_codes.translate(_IS_FREE), "little")
    past_count = bisect_left(
        grid.starts, math.ceil(request.now.timestamp() + _seconds(request.min_notice))
    )
    return HeatMap(
        member_ids=tuple(person.id for person in people),
        viewer_tz=tz.key,
        duration=request.duration,
        first_day=request.first_day,
        last_day=request.last_day,
        today=request.now.astimezone(tz).date(),
        starts=tuple(grid.starts),
        past_count=past_count,
        free_counts=free.to_bytes(n, "little"),
        state_codes=tuple(codes),
        day_runs=tuple(grid.runs),
    )


_IS_FREE = bytes(1 if code == FREE_CODE else 0 for code in range(256))
