"""What the engine returns.

Results are computed in full when an engine function returns: every slot's start, its past
and bookable flags and every participant's state are held in compact form (epoch seconds and
one byte per slot per participant), because building ``datetime`` objects for thousands of
slots would cost more than computing them. The ``slots``, ``cells`` and ``busy_blocks`` views
turn that into friendly objects when asked, and cache them; they compute nothing new.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from itertools import compress
from types import MappingProxyType

from .zones import day_number, day_of


class State(StrEnum):
    """A participant's state for one slot, as the viewer may see it."""

    #: Calendar connected and shown to the viewer, nothing in the way, inside bookable hours.
    FREE = "free"
    #: Inside their bookable hours, but (calendar shown) a busy block, buffers included,
    #: overlaps the slot.
    BUSY = "busy"
    #: Inside their bookable hours, but their calendar is not connected or not shown to the
    #: viewer: nobody can say. Never "free".
    UNKNOWN = "unknown"
    #: Not wholly inside their bookable hours, whatever their calendar says: their own state,
    #: so a page says "outside Ben's hours", never "Ben busy", for Ben's night.
    OUTSIDE_HOURS = "outside_hours"


# One byte per slot and participant. FREE must be 0, and the codes that block a booking
# (BUSY, OUTSIDE) the only odd ones, because bookability is computed with bitwise arithmetic
# over whole byte strings (see slots.py): OR-ing a busy mask (0/1) into OUTSIDE (3) keeps 3.
FREE_CODE, BUSY_CODE, UNKNOWN_CODE, OUTSIDE_CODE = 0, 1, 2, 3
STATE_OF_CODE = (State.FREE, State.BUSY, State.UNKNOWN, State.OUTSIDE_HOURS)


class Insight(StrEnum):
    """How much the viewer may learn about the others' calendars (the seeds' three levels)."""

    #: Viewer and everyone else integrated: exact mutual availability and each other's busy
    #: blocks.
    MUTUAL = "mutual"
    #: Only the viewer's calendar (and whoever else is integrated is still hidden unless the
    #: viewer is too): the viewer's own availability only.
    VIEWER_ONLY = "viewer_only"
    #: The viewer is not integrated: plain slots, no availability insight.
    NONE = "none"


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True, slots=True)
class Slot:
    """One candidate slot. ``states`` maps each participant id to their :class:`State`."""

    start: datetime
    end: datetime
    past: bool
    bookable: bool
    states: Mapping[Hashable, State]


@dataclass(frozen=True, slots=True)
class DateEntry:
    """One date of the date view, in the viewer's time zone."""

    date: date
    #: Before today in the viewer's time zone: greyed out.
    past: bool
    #: At least one bookable slot: highlighted.
    bookable: bool
    slot_count: int
    bookable_count: int


@dataclass(frozen=True, eq=False)
class Availability:
    """Candidate slots for a group of participants as one viewer may see them.

    Compact fields (all computed): ``starts`` are slot starts in epoch seconds, ascending;
    the first ``past_count`` slots are past; ``bookable_flags[i]`` is 1 when slot ``i`` is
    bookable; ``state_codes[k][i]`` is participant ``k``'s state code for slot ``i``
    (0 free, 1 busy, 2 unknown); ``day_runs`` lists ``(local day number, first, end)`` slot
    index runs per viewer date. ``busy`` holds, for each participant whose calendar the
    viewer may see, their merged busy blocks (all-day events included, buffers not) clipped
    to the range, as epoch seconds; hidden participants are absent.
    """

    insight: Insight
    viewer_id: Hashable
    viewer_tz: str
    participant_ids: tuple[Hashable, ...]
    duration: timedelta
    first_day: date
    last_day: date
    range_start: datetime
    range_end: datetime
    today: date
    starts: tuple[int, ...]
    past_count: int
    bookable_flags: bytes
    state_codes: tuple[bytes, ...]
    day_runs: tuple[tuple[int, int, int], ...]
    busy: Mapping[Hashable, tuple[tuple[int, int], ...]]

    def __len__(self) -> int:
        return len(self.starts)

    @cached_property
    def slots(self) -> tuple[Slot, ...]:
        """Every slot as a :class:`Slot`, in time order."""
        return self._slots(0, len(self.starts))

    def slots_on(self, day: date) -> tuple[Slot, ...]:
        """The slots of one viewer date (what the time list of the wizard shows), built
        without materialising the rest of the range."""
        out: list[Slot] = []
        for run in self.indices_on(day):
            out.extend(self._slots(run.start, run.stop))
        return tuple(out)

    def indices_on(self, day: date) -> tuple[range, ...]:
        """The positions in the compact fields of one viewer date's slots, in order."""
        number = day_number(day)
        return tuple(
            range(first, end) for run_day, first, end in self.day_runs if run_day == number
        )

    def _slots(self, first: int, end: int) -> tuple[Slot, ...]:
        duration = self.duration
        past_count = self.past_count
        ids = self.participant_ids
        # Slots share one read-only states mapping per combination of states: a handful.
        shared: dict[tuple[int, ...], Mapping[Hashable, State]] = {}
        rows = zip(*(codes[first:end] for codes in self.state_codes), strict=True)
        out = []
        for i, start, codes, bookable in zip(
            range(first, end),
            self.starts[first:end],
            rows,
            self.bookable_flags[first:end],
            strict=True,
        ):
            states = shared.get(codes)
            if states is None:
                states = shared[codes] = MappingProxyType(
                    dict(zip(ids, map(STATE_OF_CODE.__getitem__, codes), strict=True))
                )
            begin = _utc(start)
            out.append(Slot(begin, begin + duration, i < past_count, bookable == 1, states))
        return tuple(out)

    @cached_property
    def busy_blocks(self) -> Mapping[Hashable, tuple[tuple[datetime, datetime], ...]]:
        """The visible participants' busy blocks as UTC datetimes (anonymous: no details)."""
        return {
            who: tuple((_utc(a), _utc(b)) for a, b in blocks) for who, blocks in self.busy.items()
        }

    def states_of(self, participant_id: Hashable) -> tuple[State, ...]:
        """One participant's state for every slot, in slot order."""
        codes = self.state_codes[self.participant_ids.index(participant_id)]
        return tuple(map(STATE_OF_CODE.__getitem__, codes))


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One slot of a group heat map: how many are free, and who is busy, unknown or outside
    their bookable hours."""

    start: datetime
    end: datetime
    past: bool
    free: int
    total: int
    busy: tuple[Hashable, ...]
    unknown: tuple[Hashable, ...]
    outside: tuple[Hashable, ...]


@dataclass(frozen=True, eq=False)
class HeatMap:
    """A group's availability per slot. Identities only, never anything about events.

    Compact fields as in :class:`Availability`; ``free_counts[i]`` is how many members are
    free for slot ``i``, and ``state_codes[k][i]`` is member ``k``'s state code.
    """

    member_ids: tuple[Hashable, ...]
    viewer_tz: str
    duration: timedelta
    first_day: date
    last_day: date
    today: date
    starts: tuple[int, ...]
    past_count: int
    free_counts: bytes
    state_codes: tuple[bytes, ...]
    day_runs: tuple[tuple[int, int, int], ...]

    def __len__(self) -> int:
        return len(self.starts)

    @cached_property
    def cells(self) -> tuple[HeatCell, ...]:
        """Every slot as a :class:`HeatCell`, in time order."""
        ids = self.member_ids
        total = len(ids)
        busy = [codes.translate(_IS_BUSY) for codes in self.state_codes]
        unknown = [codes.translate(_IS_UNKNOWN) for codes in self.state_codes]
        outside = [codes.translate(_IS_OUTSIDE) for codes in self.state_codes]
        busy_rows = zip(*busy, strict=True) if ids else iter(())
        unknown_rows = zip(*unknown, strict=True) if ids else iter(())
        outside_rows = zip(*outside, strict=True) if ids else iter(())
        out = []
        for i, (start, free, busy_row, unknown_row, outside_row) in enumerate(
            zip(self.starts, self.free_counts, busy_rows, unknown_rows, outside_rows, strict=True)
        ):
            begin = _utc(start)
            out.append(
                HeatCell(
                    start=begin,
                    end=begin + self.duration,
                    past=i < self.past_count,
                    free=free,
                    total=total,
                    busy=tuple(compress(ids, busy_row)),
                    unknown=tuple(compress(ids, unknown_row)),
                    outside=tuple(compress(ids, outside_row)),
                )
            )
        return tuple(out)


_IS_BUSY = bytes(1 if code == BUSY_CODE else 0 for code in range(256))
_IS_UNKNOWN = bytes(1 if code == UNKNOWN_CODE else 0 for code in range(256))
_IS_OUTSIDE = bytes(1 if code == OUTSIDE_CODE else 0 for code in range(256))


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of a recurring series, checked on its own.

    ``conflict`` is true when a participant is busy (a visible busy block) or outside their
    bookable hours; ``bookable`` is neither past nor in conflict.
    """

    index: int
    start: datetime
    end: datetime
    past: bool
    conflict: bool
    bookable: bool
    states: Mapping[Hashable, State]


def dates_of(
    first_day: date,
    last_day: date,
    runs: tuple[tuple[int, int, int], ...],
    flags: bytes,
    today: date,
) -> tuple[DateEntry, ...]:
    """One :class:`DateEntry` per date from ``first_day`` to ``last_day``, counting the slots
    of each date's index ``runs`` and those among them whose ``flags`` byte is 1."""
    first = day_number(first_day)
    counts = [[0, 0] for _ in range(day_number(last_day) - first + 1)]
    for day, begin, end in runs:
        # A fall-back change at midnight can split a date's slots into two runs.
        entry = counts[day - first]
        entry[0] += end - begin
        entry[1] += flags[begin:end].count(1)
    return tuple(
        DateEntry(
            date=(when := day_of(first + k)),
            past=when < today,
            bookable=bookable > 0,
            slot_count=slots,
            bookable_count=bookable,
        )
        for k, (slots, bookable) in enumerate(counts)
    )
