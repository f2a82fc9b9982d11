"""Mutual availability, the date view and the group heat map.

The way through, like Cal.com's date-ranges/slots: build the viewer's slot grid, build each
participant's bookable hours and busy blocks as sorted intervals of epoch seconds, then mark
the slots each interval covers (found from the grid's arithmetic, not by checking every slot
against every block), and combine the participants' marks with arithmetic over whole byte
strings. The work grows with the number of intervals, not slots times blocks: a month of 2,700
slots and 500 busy blocks takes well under a millisecond (BENCHMARKS.md, "Slot engine").
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import chain, cycle, repeat
from operator import add, floordiv, mul, sub
from zoneinfo import ZoneInfo

from .errors import InvalidRequest
from .hours import all_day_intervals, hours_intervals
from .inputs import MAX_MEMBERS, BookableHours, Participant, SlotRequest
from .intervals import Interval, merge, union
from .results import (
    FREE_CODE,
    OUTSIDE_CODE,
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
    """Candidate slot starts, ascending, as epoch seconds.

    For a request, ``starts`` are every instant whose wall clock in the viewer's zone reads a
    multiple of ``step`` after midnight on a requested date: aligned to local :00/:15/...
    even for +05:30 or +12:45 viewers, none in a spring-forward gap, both copies in a
    fall-back hour. ``days`` are ``(local day number, first index, end index)`` runs;
    ``lo``/``hi`` bound the instants of the requested dates.

    ``progressions`` describe ``starts`` as maximal arithmetic runs ``(first index, first
    start, count)`` with difference ``step``. Across a DST change that shifts the clock by a
    multiple of the step the UTC grid does not even break, so there is usually one run, and
    "how many slots start before x" is arithmetic instead of a bisection per query.
    """

    starts: list[int]
    step: int
    progressions: list[tuple[int, int, int]]
    days: list[tuple[int, int, int]]
    lo: int
    hi: int
    #: The instants of the requested dates exactly: usually ``[(lo, hi)]``, two pieces when a
    #: fall-back change across midnight re-enters the range.
    bounds: list[Interval] = field(default_factory=list)
    #: The viewer zone's timeline the grid was built on (covers the dates with a day to spare).
    span: Timeline | None = None
    #: What the grid was built from, ``(zone name, first day, last day, step)``: equal keys,
    #: equal starts. None for a grid of arbitrary starts.
    key: tuple | None = None

    @classmethod
    def of_starts(cls, starts: list[int]) -> Grid:
        """A grid of arbitrary ascending starts (a recurring series' occurrences)."""
        progressions = [(k, start, 1) for k, start in enumerate(starts)]
        return cls(starts=starts, step=1, progressions=progressions, days=[], lo=0, hi=0)

    def count_before(self, xs: list[int], shift: int) -> list[int]:
        """For each ``x`` of ascending ``xs``: how many starts are ``< x + shift``."""
        step, out, k = self.step, [], 0
        for first, start, count in self.progressions:
            last = start + (count - 1) * step
            a = bisect_right(xs, start - shift, k)
            b = bisect_right(xs, last - shift, a)
            out.extend(repeat(first, a - k))
            # ceil((x + shift - start) / step) + first, in one floor division.
            out.extend(
                map(
                    floordiv,
                    map(add, xs[a:b], repeat(shift - start + step - 1 + first * step)),
                    repeat(step),
                )
            )
            k = b
        out.extend(repeat(len(self.starts), len(xs) - k))
        return out

    def count_upto(self, xs: list[int], shift: int) -> list[int]:
        """For each ``x`` of ascending ``xs``: how many starts are ``<= x + shift``."""
        step, out, k = self.step, [], 0
        for first, start, count in self.progressions:
            last = start + (count - 1) * step
            a = bisect_left(xs, start - shift, k)
            b = bisect_left(xs, last - shift, a)
            out.extend(repeat(first, a - k))
            # floor((x + shift - start) / step) + 1 + first, in one floor division.
            out.extend(
                map(
                    floordiv,
                    map(add, xs[a:b], repeat(shift - start + step + first * step)),
                    repeat(step),
                )
            )
            k = b
        out.extend(repeat(len(self.starts), len(xs) - k))
        return out


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
    progressions: list[tuple[int, int, int]] = []
    days: list[tuple[int, int, int]] = []
    for lo, hi, offset in zip(span.starts, span.ends, span.offsets, strict=True):
        x = max(lo + offset, wall_lo)
        y = min(hi + offset, wall_hi)
        wall = -(-x // step) * step
        if wall >= y:
            continue
        count = (y - 1 - wall) // step + 1
        first, begin = len(starts), wall - offset
        starts.extend(range(begin, begin + count * step, step))
        if progressions and starts[first - 1] + step == begin:
            k, start, n = progressions[-1]
            progressions[-1] = (k, start, n + count)
        else:
            progressions.append((first, begin, count))
        while wall < y:
            day = wall // DAY
            in_day = (min((day + 1) * DAY, y) - 1 - wall) // step + 1
            days.append((day, first, first + in_day))
            first += in_day
            wall += in_day * step
    bounds = span.preimage(wall_lo, wall_hi)
    if bounds:
        lo, hi = bounds[0][0], bounds[-1][1]
    else:  # the zone skipped every requested date (Pacific/Apia, 30 December 2011)
        lo = hi = wall_lo - span.offsets[0]
    return Grid(
        starts=starts,
        step=step,
        progressions=progressions,
        days=days,
        lo=lo,
        hi=hi,
        bounds=bounds,
        span=span,
        key=(viewer_tz.key, first_day, last_day, step) if viewer_tz.key else None,
    )


# Hours code strings outlive a call: they depend only on (zone, hours, grid, duration), all
# immutable values, and a group's heat map asks for the same fifty again on every load while
# the members' hours rarely change. Bounded: the oldest half goes when it is full.
_SHARED_CODES: dict[tuple, bytes] = {}
_SHARED_CODES_MAX = 4096


class ZoneCache:
    """Per-call caches: one timeline per zone, and one hours list per (zone, hours), so a group
    sharing a zone and the default hours pays for them once; hours code strings are also kept
    across calls (``_SHARED_CODES``)."""

    def __init__(
        self, lo: int, hi: int, *, known: tuple[ZoneInfo, Timeline | None] | None = None
    ) -> None:
        self.lo, self.hi = lo, hi
        # Keyed by the zone object: a zone read from a file has no key.
        self._timelines: dict[ZoneInfo, Timeline] = {}
        if known is not None:
            tz, span = known
            # The viewer's timeline from the grid is reused when it covers this call's span.
            if span is not None and span.starts[0] <= lo and span.ends[-1] >= hi:
                self._timelines[tz] = span
        self._hours: dict[tuple[ZoneInfo, BookableHours], list[Interval]] = {}
        self._codes: dict[tuple, bytes] = {}

    def timeline(self, tz: ZoneInfo) -> Timeline:
        found = self._timelines.get(tz)
        if found is None:
            found = self._timelines[tz] = timeline(tz, self.lo, self.hi)
        return found

    def hours(self, tz: ZoneInfo, hours: BookableHours) -> list[Interval]:
        key = (tz, hours)
        found = self._hours.get(key)
        if found is None:
            found = self._hours[key] = hours_intervals(hours, self.timeline(tz))
        return found

    def hours_codes(
        self, tz: ZoneInfo, hours: BookableHours, inside: int, grid: Grid, duration: int
    ) -> bytes:
        """Code ``inside`` for the slots wholly inside the hours, outside for the others."""
        # A zone read from a file (no key) or a grid of arbitrary starts is kept per call only.
        shared = grid.key is not None and tz.key
        codes_of = _SHARED_CODES if shared else self._codes
        key = (tz.key if shared else tz, hours, inside, grid.key, duration)
        found = codes_of.get(key)
        if found is None:
            starts = grid.starts
            codes = bytearray([OUTSIDE_CODE]) * len(starts)
            run = memoryview(bytes([inside]) * len(starts))
            i = 0
            for a, b in self.hours(tz, hours):
                i = bisect_left(starts, a, i)
                j = bisect_right(starts, b - duration, i)
                if j > i:
                    codes[i:j] = run[: j - i]
            if shared and len(_SHARED_CODES) >= _SHARED_CODES_MAX:
                for old in list(_SHARED_CODES)[: _SHARED_CODES_MAX // 2]:
                    _SHARED_CODES.pop(old, None)
            found = codes_of[key] = bytes(codes)
        return found


def participant_busy(person: Participant, zones: ZoneCache) -> tuple[list[int], list[int]]:
    """The person's busy blocks reaching into the call's span as ``(starts, ends)``, each sorted
    on its own (their union is the blocks'; :func:`~.intervals.union` merges them), all-day
    events and platform sessions included. Blocks may reach beyond the span."""
    starts, ends = person._busy_starts, person._busy_ends
    # Ranked pairs wholly before the span end by then (ends <= lo), those wholly after it
    # start there (starts >= hi): dropping both keeps the union inside the span.
    first = bisect_right(ends, zones.lo)
    last = bisect_left(starts, zones.hi, first)
    lows, highs = starts[first:last], ends[first:last]
    extra: list[Interval] = []
    if person._all_day:
        extra.extend(all_day_intervals(person._all_day, zones.timeline(person._zone)))
    if person._session_starts:
        # A revealed calendar shows the platform's sessions among its busy blocks too.
        extra.extend(
            (max(a, zones.lo), min(b, zones.hi))
            for a, b in zip(person._session_starts, person._session_ends, strict=True)
            if a < zones.hi and b > zones.lo
        )
    if extra:
        blocks = merge([*zip(lows, highs, strict=True), *extra])
        lows, highs = [a for a, _ in blocks], [b for _, b in blocks]
    return lows, highs


_ZERO_ONE = (b"\x00", b"\x01")


def overlap_mask(
    grid: Grid, lows: list[int], highs: list[int], *, duration: int, before: int, after: int
) -> bytes:
    """One byte per slot: 1 where a block of ``lows``/``highs`` (sorted, disjoint) comes
    within ``before`` of the slot's start or ``after`` of its end, else 0.

    Slot ``[s, s + duration)`` needs ``[s - before, s + duration + after)`` clear, so block
    ``[a, b)`` hits the slots with ``a - after - duration < s < b + before``: one index range
    per block, located on the grid arithmetically (:meth:`Grid.count_upto`). The ranges rise
    with the blocks, so :func:`~.intervals.union` merges them, and they are written out as
    alternating runs of 0 and 1 with ``map`` and ``join``: no Python-level loop runs per
    block.
    """
    n = len(grid.starts)
    if not lows:
        return bytes(n)
    firsts = grid.count_upto(lows, -after - duration)
    ends = grid.count_before(highs, before)
    run_starts, run_ends = union(firsts, ends)
    edges = [0, *chain.from_iterable(zip(run_starts, run_ends, strict=True)), n]
    lengths = map(sub, edges[1:], edges[:-1])
    return b"".join(map(mul, cycle(_ZERO_ONE), lengths))


def participant_codes(
    person: Participant,
    *,
    revealed: bool,
    grid: Grid,
    duration: int,
    before: int,
    after: int,
    zones: ZoneCache,
) -> tuple[bytes, tuple[list[int], list[int]] | None]:
    """One state code per grid slot for ``person``, and their busy blocks if ``revealed``.

    Slots wholly inside their bookable hours are free (calendar revealed) or unknown (not),
    the others outside hours; then, if revealed, free slots that a busy block reaches,
    buffers included, are busy. FREE is 0, BUSY 1 and OUTSIDE 3, so that is a bitwise OR of
    the two strings (outside hours stays outside hours).
    """
    inside = FREE_CODE if revealed else UNKNOWN_CODE
    codes = zones.hours_codes(person._zone, person.hours, inside, grid, duration)
    if person._session_starts:
        codes = _with_sessions(person, codes, grid, duration, before, after, zones)
    if not revealed:
        return codes, None
    lows, highs = participant_busy(person, zones)
    if not lows:
        return codes, (lows, highs)
    mask = overlap_mask(grid, lows, highs, duration=duration, before=before, after=after)
    merged = int.from_bytes(codes, "little") | int.from_bytes(mask, "little")
    return merged.to_bytes(len(codes), "little"), (lows, highs)


_IS_UNKNOWN = bytes(1 if code == UNKNOWN_CODE else 0 for code in range(256))


def _with_sessions(
    person: Participant, codes: bytes, grid: Grid, duration: int, before: int, after: int, zones
) -> bytes:
    """``codes`` with the slots that the person's platform sessions reach (buffers included)
    made busy, whatever the calendar: free (0) and unknown (2) become busy (1), outside
    hours (3) stays. Bytewise: OR the 0/1 mask in, then take 2 off where it was unknown
    (3 - 2 = 1; no byte borrows from its neighbour)."""
    starts, ends = person._session_starts, person._session_ends
    first = bisect_right(ends, zones.lo)
    last = bisect_left(starts, zones.hi, first)
    if first == last:
        return codes
    mask = overlap_mask(
        grid,
        list(starts[first:last]),
        list(ends[first:last]),
        duration=duration,
        before=before,
        after=after,
    )
    as_int = int.from_bytes(mask, "little")
    unknown = int.from_bytes(codes.translate(_IS_UNKNOWN), "little") & as_int
    merged = (int.from_bytes(codes, "little") | as_int) - 2 * unknown
    return merged.to_bytes(len(codes), "little")


def check_people(people: Sequence[Participant], what: str) -> tuple[Participant, ...]:
    """The group as a tuple, refused if empty, if not Participants or if ids repeat."""
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


def _clipped(lows: list[int], highs: list[int], bounds: list[Interval]) -> tuple[Interval, ...]:
    """The union of blocks ``lows``/``highs`` (each sorted on its own) within ``bounds``, as
    disjoint pairs."""
    lows, highs = union(lows, highs)
    out: list[Interval] = []
    for lo, hi in bounds:
        first = bisect_right(highs, lo)
        last = bisect_left(lows, hi, first)
        blocks = list(zip(lows[first:last], highs[first:last], strict=True))
        if blocks:
            blocks[0] = (max(blocks[0][0], lo), blocks[0][1])
            blocks[-1] = (blocks[-1][0], min(blocks[-1][1], hi))
        out.extend(blocks)
    return tuple(out)


def whole_seconds(value: timedelta) -> int:
    """A (checked, non-negative) duration in whole seconds, rounded up."""
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
      inside their bookable hours and no busy block comes within the buffers of it;
      ``outside_hours`` when not wholly inside their hours; ``busy`` when (visible calendar)
      a block is in the way; otherwise ``unknown``. So an unintegrated participant is never free, and a viewer who is not
      integrated learns nothing from anyone's calendar (the seeds' insight levels).
    - A slot is bookable when it is not past and nobody is ``busy`` or ``outside_hours``:
      unknown does not block.
    - ``busy`` holds the visible participants' merged busy blocks clipped to the dates.

    Raises :class:`InvalidRequest` for an empty group, duplicate ids or a viewer who is not a
    participant; the inputs themselves were checked when built.
    """
    people = check_people(participants, "participant")
    viewer = next((person for person in people if person.id == viewer_id), None)
    if viewer is None:
        raise InvalidRequest(f"the viewer {viewer_id!r} is not one of the participants")
    tz = zone(request.viewer_tz)
    step = whole_seconds(request.step)
    duration = whole_seconds(request.duration)
    before, after = whole_seconds(request.buffer_before), whole_seconds(request.buffer_after)

    grid = slot_grid(
        viewer_tz=tz, first_day=request.first_day, last_day=request.last_day, step=step
    )
    starts = grid.starts
    n = len(starts)
    zones = ZoneCache(grid.lo - before, grid.hi + duration + after, known=(tz, grid.span))
    codes: list[bytes] = []
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
        )
        codes.append(person_codes)
        if blocks is not None:
            busy[person.id] = _clipped(*blocks, grid.bounds)

    past_count = bisect_left(
        starts, math.ceil(request.now.timestamp() + whole_seconds(request.min_notice))
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
        state_codes=tuple(codes),
        day_runs=tuple(grid.days),
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
    ``unknown`` inside their bookable hours for one who is not, ``outside_hours`` outside
    them. The
    map says who, never what: no event details enter or leave the engine.

    Raises :class:`InvalidRequest` for an empty group, duplicate ids or more than
    :data:`MAX_MEMBERS` members.
    """
    people = check_people(members, "member")
    if len(people) > MAX_MEMBERS:
        raise InvalidRequest(f"{len(people)} members; a heat map takes at most {MAX_MEMBERS}")
    tz = zone(request.viewer_tz)
    step = whole_seconds(request.step)
    duration = whole_seconds(request.duration)
    before, after = whole_seconds(request.buffer_before), whole_seconds(request.buffer_after)
    grid = slot_grid(
        viewer_tz=tz, first_day=request.first_day, last_day=request.last_day, step=step
    )
    n = len(grid.starts)
    zones = ZoneCache(grid.lo - before, grid.hi + duration + after, known=(tz, grid.span))
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
        )
        codes.append(person_codes)
    # Count free members per slot by adding one 0/1 byte string per member as big integers:
    # with at most MAX_MEMBERS (< 256) members no byte overflows into its neighbour.
    free = 0
    for person_codes in codes:
        free += int.from_bytes(person_codes.translate(_IS_FREE), "little")
    past_count = bisect_left(
        grid.starts, math.ceil(request.now.timestamp() + whole_seconds(request.min_notice))
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
        day_runs=tuple(grid.days),
    )


_IS_FREE = bytes(1 if code == FREE_CODE else 0 for code in range(256))
