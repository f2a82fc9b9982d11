"""What the engine is given: bookable hours, participants and requests.

Each value checks itself when it is built and raises one :class:`~.errors.SchedulingError`
subclass if anything is wrong, so an engine function never starts on bad input. Participants
also convert their busy times to sorted, merged epoch seconds once, when built, so the same
participant can be reused for availability, the date view and a recurring series.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import compress, repeat
from operator import ge, le, lt
from zoneinfo import ZoneInfo

from .errors import (
    DurationNotAllowed,
    InvalidInterval,
    InvalidRequest,
    NaiveDatetime,
    RangeTooLong,
)
from .intervals import Interval, merge, union
from .zones import DAY, day_number, zone

#: The longest date range the engine computes in one call, in days (both ends included).
#: Two months: the wizard pages a month at a time and may straddle a month boundary; it also
#: bounds the work a single request can ask for.
MAX_RANGE_DAYS = 62
#: The most occurrences a recurring series may have (a year of weekly sessions).
MAX_OCCURRENCES = 52
#: The most members a heat map may have.
MAX_MEMBERS = 250
DEFAULT_STEP = timedelta(minutes=15)

Window = tuple[time, time]
_NINE_TO_FIVE: tuple[Window, ...] = ((time(9), time(17)),)
_WHOLE_DAY: tuple[Window, ...] = ((time(0), time(0)),)
# An aware datetime to compare with: comparing it with a naive one raises TypeError.
_AWARE_MIN = datetime.min.replace(tzinfo=UTC)
_consume = deque(maxlen=0).extend


def _seconds(value: timedelta, what: str) -> int:
    if not isinstance(value, timedelta):
        raise InvalidRequest(f"{what} must be a timedelta, not {type(value).__name__}")
    if value < timedelta(0):
        raise InvalidRequest(f"{what} must not be negative: {value}")
    # Rounded up: a buffer or notice of 90.5 s must keep at least that much clear.
    return math.ceil(value.total_seconds())


def _whole_minutes(value: timedelta, what: str) -> int:
    if not isinstance(value, timedelta):
        raise InvalidRequest(f"{what} must be a timedelta, not {type(value).__name__}")
    seconds = value.total_seconds()
    if seconds <= 0 or seconds % 60:
        raise InvalidRequest(f"{what} must be a positive whole number of minutes: {value}")
    return int(seconds)


def check_aware(value: datetime, what: str) -> None:
    """Raise :class:`NaiveDatetime` unless ``value`` is a time-zone-aware ``datetime``."""
    if not isinstance(value, datetime):
        raise InvalidRequest(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(f"{what} must be time-zone aware (UTC), got naive {value}")


def _window_seconds(window: object, what: str) -> tuple[int, int] | None:
    try:
        start, end = window  # type: ignore[misc]
    except (TypeError, ValueError):
        raise InvalidRequest(f"{what}: a window is a (start, end) pair of times") from None
    if not isinstance(start, time) or not isinstance(end, time):
        raise InvalidRequest(f"{what}: window bounds must be datetime.time values")
    if start.tzinfo is not None or end.tzinfo is not None:
        raise InvalidRequest(f"{what}: window bounds are wall-clock times, without tzinfo")
    a = start.hour * 3600 + start.minute * 60 + start.second
    # 00:00 as an end means the midnight that ends the day, so (00:00, 00:00) is all day.
    b = end.hour * 3600 + end.minute * 60 + end.second if end != time(0) else DAY
    if b < a:
        raise InvalidInterval(f"{what}: window ends before it starts ({start} - {end})")
    return (a, b) if a < b else None


def _day_windows(windows: object, what: str) -> tuple[tuple[Window, ...], tuple[Interval, ...]]:
    if isinstance(windows, tuple | list):
        items = list(windows)
    else:
        raise InvalidRequest(f"{what}: windows must be a list or tuple of (start, end) pairs")
    seconds = [s for s in (_window_seconds(w, what) for w in items) if s is not None]
    merged = tuple(merge(seconds))
    return tuple((w[0], w[1]) for w in items), merged


@dataclass(frozen=True)
class BookableHours:
    """When a participant can be booked, as wall-clock windows in *their own* time zone.

    ``weekly`` maps a weekday (0 = Monday ... 6 = Sunday, as ``date.weekday()``) to a list of
    ``(start, end)`` :class:`datetime.time` windows; a weekday left out is not bookable. The
    default is Monday to Friday, 09:00-17:00. An ``end`` of ``time(0)`` means the midnight that
    ends the day. ``overrides`` maps a date to the windows of that date instead of its
    weekday's (an empty list makes the date unbookable). Overlapping windows are merged.

    A window means "while the participant's wall clock reads these times": it is as long as
    the clock says, shorter or longer on a DST-change day, and a window on a day that the
    clock skips a part of loses that part.
    """

    weekly: Mapping[int, Sequence[Window]] = field(
        default_factory=lambda: dict.fromkeys(range(5), _NINE_TO_FIVE)
    )
    overrides: Mapping[date, Sequence[Window]] = field(default_factory=dict)
    _week: tuple[tuple[Interval, ...], ...] = field(init=False, repr=False, compare=False)
    _dates: dict[int, tuple[Interval, ...]] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.weekly, Mapping):
            raise InvalidRequest("weekly hours must map weekday numbers (0 = Monday) to windows")
        week: list[tuple[Interval, ...]] = [()] * 7
        weekly: dict[int, tuple[Window, ...]] = {}
        for weekday, windows in self.weekly.items():
            if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday < 7:
                raise InvalidRequest(f"weekday must be 0 (Monday) to 6 (Sunday): {weekday!r}")
            weekly[weekday], week[weekday] = _day_windows(windows, f"weekday {weekday}")
        if not isinstance(self.overrides, Mapping):
            raise InvalidRequest("overrides must map dates to windows")
        overrides: dict[date, tuple[Window, ...]] = {}
        dates: dict[int, tuple[Interval, ...]] = {}
        for day, windows in self.overrides.items():
            if not isinstance(day, date) or isinstance(day, datetime):
                raise InvalidRequest(f"override keys must be dates: {day!r}")
            overrides[day], dates[day_number(day)] = _day_windows(windows, f"override {day}")
        object.__setattr__(self, "weekly", _Frozen(sorted(weekly.items())))
        object.__setattr__(self, "overrides", _Frozen(sorted(overrides.items())))
        object.__setattr__(self, "_week", tuple(week))
        object.__setattr__(self, "_dates", dates)
        # Hours are a cache key in every engine call (per zone and hours): hash them once.
        object.__setattr__(self, "_hash", hash((self.weekly, self.overrides)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def around_the_clock(cls) -> BookableHours:
        """Every day, all day: bookable hours that never exclude anything."""
        return cls(weekly=dict.fromkeys(range(7), _WHOLE_DAY))

    def windows_on(self, local_day: int) -> tuple[Interval, ...]:
        """Bookable seconds-of-day ``(start, end)`` windows of a local day number."""
        found = self._dates.get(local_day)
        if found is not None:
            return found
        # Day 0 (1970-01-01) was a Thursday, weekday 3.
        return self._week[(local_day + 3) % 7]


class _Frozen(dict):
    """A read-only, hashable dict, so equal hours compare and hash equal."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("bookable hours are immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


DEFAULT_HOURS = BookableHours()


@dataclass(frozen=True)
class Participant:
    """One person's calendar facts, as the engine needs them.

    - ``id``: any hashable identity (a user id); reported back in states, never anything else.
    - ``time_zone``: the IANA zone their bookable hours and all-day events are in.
    - ``integrated``: whether their calendar is connected. If not, their busy times are
      unknown and they are never reported "free".
    - ``busy``: ``(start, end)`` pairs of aware datetimes (any zone; UTC is usual), in any
      order, overlapping or not. Timed events block exactly their span, multi-day ones too.
    - ``all_day``: ``(first_day, end_day)`` date pairs of all-day events, with ``end_day``
      exclusive as providers send them (a one-day event on 4 March is ``(4 Mar, 5 Mar)``).
      They block whole days in the participant's zone. A pair with equal dates blocks nothing.
    - ``busy_seconds``: more busy blocks, as a ``(starts, ends)`` pair of equally long
      sequences of whole epoch seconds (block ``k`` is ``[starts[k], ends[k])``), in any
      order, overlapping or not: what a loader reading the busy cache's epoch columns hands
      over without making a datetime per block. They count exactly as ``busy`` does.
    - ``hours``: their :class:`BookableHours`; outside them they are ``outside_hours``.
    - ``sessions``: ``(start, end)`` pairs of the sessions they already have on the platform.
      Unlike calendar busy times these are known to everyone who books with them, so they
      block (buffers included) and show ``busy`` whether or not a calendar is connected or
      revealed. A loader passes them here and nowhere else.

    Raises on construction: :class:`UnknownTimeZone`, :class:`NaiveDatetime` and
    :class:`InvalidInterval` (a block that ends before it starts).
    """

    id: Hashable
    time_zone: str
    integrated: bool
    busy: Sequence[tuple[datetime, datetime]] = ()
    all_day: Sequence[tuple[date, date]] = ()
    hours: BookableHours = DEFAULT_HOURS
    sessions: Sequence[tuple[datetime, datetime]] = ()
    busy_seconds: tuple[Sequence[int], Sequence[int]] = ((), ())
    # Merged busy blocks as epoch seconds, split in two sorted lists for bisection.
    _busy_starts: list[int] = field(init=False, repr=False, compare=False)
    _busy_ends: list[int] = field(init=False, repr=False, compare=False)
    _all_day: tuple[Interval, ...] = field(init=False, repr=False, compare=False)
    _session_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _session_ends: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            hash(self.id)
        except TypeError:
            raise InvalidRequest(f"participant id must be hashable: {self.id!r}") from None
        object.__setattr__(self, "_zone", zone(self.time_zone))
        if not isinstance(self.integrated, bool):
            raise InvalidRequest(f"integrated must be True or False: {self.integrated!r}")
        if not isinstance(self.hours, BookableHours):
            raise InvalidRequest("hours must be a BookableHours")
        busy = tuple(self.busy)
        object.__setattr__(self, "busy", busy)
        starts, ends = _epochs(busy, self.id)
        if self.busy_seconds != ((), ()):
            lows, highs = _checked_seconds(self.busy_seconds, self.id)
            object.__setattr__(self, "busy_seconds", (lows, highs))
            starts, ends = sorted([*starts, *lows]), sorted([*ends, *highs])
        starts, ends = union(starts, ends)  # merged once, here: every call reads them
        object.__setattr__(self, "_busy_starts", starts)
        object.__setattr__(self, "_busy_ends", ends)
        sessions = tuple(self.sessions)
        object.__setattr__(self, "sessions", sessions)
        starts, ends = _epochs(sessions, self.id)
        object.__setattr__(self, "_session_starts", tuple(starts))
        object.__setattr__(self, "_session_ends", tuple(ends))
        all_day = tuple(self.all_day)
        object.__setattr__(self, "all_day", all_day)
        object.__setattr__(self, "_all_day", tuple(merge(all_day_numbers(all_day, self.id))))


def _epochs(
    busy: tuple[tuple[datetime, datetime], ...], who: Hashable
) -> tuple[list[int], list[int]]:
    """Busy pairs as ``(starts, ends)`` lists of epoch seconds, each sorted on its own (their
    union is the blocks'), widened outwards to whole seconds, empty blocks dropped.

    Written with ``map``/``zip``/``sorted`` rather than a loop because it runs for every
    block of every participant of every request: it is most of the engine's cost.
    """
    if not busy:
        return [], []
    try:
        starts, ends = zip(*busy, strict=True)
        # Python refuses to compare a naive datetime with an aware one, exactly when
        # ``utcoffset()`` is None: so comparing every start with an aware sentinel, and every
        # end with its start, finds any naive value (or non-datetime) in two cheap passes.
        _consume(map(ge, starts, repeat(_AWARE_MIN)))  # every one, no short cut
        inverted = any(map(le, ends, starts))
    except (TypeError, ValueError, OverflowError):
        _explain_bad_busy(busy, who)
        raise  # _explain_bad_busy always raises; this keeps type checkers content
    if inverted:
        # Rare: find the culprit, or drop zero-length blocks (they block nothing).
        if any(map(lt, ends, starts)):
            k = next(k for k, (a, b) in enumerate(busy) if b < a)
            raise InvalidInterval(
                f"busy time of {who!r} ends before it starts: {starts[k]} - {ends[k]}"
            )
        keep = list(map(lt, starts, ends))
        starts, ends = tuple(compress(starts, keep)), tuple(compress(ends, keep))
        if not starts:
            return [], []
    lows = sorted(map(math.floor, map(datetime.timestamp, starts)))
    highs = sorted(map(math.ceil, map(datetime.timestamp, ends)))
    return lows, highs


_WHOLE_NUMBERS = frozenset({int})


def _checked_seconds(seconds: object, who: Hashable) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``busy_seconds`` checked (whole numbers, as many starts as ends, none ending before it
    starts) as a pair of tuples, empty blocks dropped."""
    try:
        lows, highs = seconds  # type: ignore[misc]
        lows, highs = tuple(lows), tuple(highs)
        whole = set(map(type, lows)) <= _WHOLE_NUMBERS >= set(map(type, highs))
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise InvalidRequest(
            f"busy_seconds of {who!r} must be a (starts, ends) pair of whole epoch seconds"
        )
    if len(lows) != len(highs):
        raise InvalidRequest(f"busy_seconds of {who!r}: {len(lows)} starts, {len(highs)} ends")
    if any(map(ge, lows, highs)):
        if any(map(lt, highs, lows)):
            k = next(k for k, (a, b) in enumerate(zip(lows, highs, strict=True)) if b < a)
            raise InvalidInterval(
                f"busy time of {who!r} ends before it starts: {lows[k]} - {highs[k]} (epoch s)"
            )
        keep = list(map(lt, lows, highs))  # empty blocks block nothing
        return tuple(compress(lows, keep)), tuple(compress(highs, keep))
    return lows, highs


def _explain_bad_busy(busy: tuple, who: Hashable) -> None:
    """Raise the precise error for busy input that failed the fast checks."""
    for pair in busy:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidRequest(f"busy times of {who!r} must be (start, end) pairs of datetimes")
        for value in pair:
            check_aware(value, f"busy time of {who!r}")
    raise InvalidRequest(f"busy times of {who!r} must be (start, end) pairs of datetimes")


def all_day_numbers(all_day: tuple[tuple[date, date], ...], who: Hashable) -> list[Interval]:
    """Checked all-day ``(first_day, end_day)`` pairs as local day numbers ``[first, end)``."""
    out = []
    for pair in all_day:
        try:
            first, end = pair
        except (TypeError, ValueError):
            raise InvalidRequest(f"all-day events of {who!r} must be (date, date) pairs") from None
        for value in (first, end):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise InvalidRequest(f"all-day events of {who!r} must be dates: {value!r}")
        if end < first:
            raise InvalidInterval(f"all-day event of {who!r} ends before it starts: {pair}")
        out.append((day_number(first), day_number(end)))
    return out


class Frequency(StrEnum):
    """How a recurring series repeats."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


def _durations(duration: timedelta, allowed: tuple[timedelta, ...] | None) -> int:
    if allowed is None:  # the caller has no list of lengths: any whole number of minutes
        return _whole_minutes(duration, "duration")
    if not isinstance(allowed, tuple) or not allowed:
        raise InvalidRequest("allowed_durations must be a non-empty list of timedeltas")
    for each in allowed:
        _whole_minutes(each, "an allowed duration")
    seconds = _whole_minutes(duration, "duration")
    if duration not in allowed:
        minutes = ", ".join(str(int(d.total_seconds() // 60)) for d in allowed)
        raise DurationNotAllowed(
            f"a {seconds // 60}-minute session is not allowed here; allowed: {minutes} minutes"
        )
    return seconds


@dataclass(frozen=True, kw_only=True)
class SlotRequest:
    """Which slots to compute: for the dates ``first_day`` to ``last_day`` (both included) as
    seen in ``viewer_tz``, slots of ``duration`` starting every ``step`` of the viewer's wall
    clock (``step`` must divide 24 hours), with ``now`` (aware) deciding which are past.

    A slot is past, and not bookable, when it starts before ``now + min_notice``. A participant
    is busy for a slot when one of their busy blocks comes within ``buffer_before`` before its
    start or ``buffer_after`` after its end. ``duration`` must be one of ``allowed_durations``
    when given (the program's lengths: the engine keeps no list of its own), else any
    positive whole number of minutes.

    Raises on construction: :class:`InvalidInterval` (``last_day`` before ``first_day``),
    :class:`RangeTooLong` (more than :data:`MAX_RANGE_DAYS` days), :class:`UnknownTimeZone`,
    :class:`NaiveDatetime`, :class:`DurationNotAllowed` and :class:`InvalidRequest`.
    """

    first_day: date
    last_day: date
    viewer_tz: str
    now: datetime
    duration: timedelta
    step: timedelta = DEFAULT_STEP
    min_notice: timedelta = timedelta(0)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    allowed_durations: tuple[timedelta, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.allowed_durations, list):
            object.__setattr__(self, "allowed_durations", tuple(self.allowed_durations))
        for name in ("first_day", "last_day"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise InvalidRequest(f"{name} must be a date, not {value!r}")
        if self.last_day < self.first_day:
            raise InvalidInterval(
                f"the date range ends before it starts: {self.first_day} - {self.last_day}"
            )
        days = (self.last_day - self.first_day).days + 1
        if days > MAX_RANGE_DAYS:
            raise RangeTooLong(f"{days} days asked for; at most {MAX_RANGE_DAYS} at a time")
        zone(self.viewer_tz)
        check_aware(self.now, "now")
        _durations(self.duration, self.allowed_durations)
        step = _whole_minutes(self.step, "step")
        if DAY % step:
            raise InvalidRequest(f"step must divide 24 hours evenly: {self.step}")
        _seconds(self.min_notice, "min_notice")
        _seconds(self.buffer_before, "buffer_before")
        _seconds(self.buffer_after, "buffer_after")


@dataclass(frozen=True, kw_only=True)
class SeriesRequest:
    """A recurring series: ``count`` occurrences of ``duration`` from ``first_start`` (aware),
    repeating ``frequency`` at the same wall-clock time in ``booker_tz``. ``now``,
    ``min_notice``, the buffers and ``allowed_durations`` mean what they do in
    :class:`SlotRequest`.

    Raises on construction: :class:`RangeTooLong` (``count`` above :data:`MAX_OCCURRENCES`),
    :class:`UnknownTimeZone`, :class:`NaiveDatetime`, :class:`DurationNotAllowed` and
    :class:`InvalidRequest`.
    """

    first_start: datetime
    duration: timedelta
    frequency: Frequency
    count: int
    booker_tz: str
    now: datetime
    min_notice: timedelta = timedelta(0)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    allowed_durations: tuple[timedelta, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.allowed_durations, list):
            object.__setattr__(self, "allowed_durations", tuple(self.allowed_durations))
        check_aware(self.first_start, "first_start")
        check_aware(self.now, "now")
        zone(self.booker_tz)
        _durations(self.duration, self.allowed_durations)
        try:
            object.__setattr__(self, "frequency", Frequency(self.frequency))
        except ValueError:
            raise InvalidRequest(f"unknown frequency {self.frequency!r}") from None
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 1:
            raise InvalidRequest(f"count must be a whole number of at least 1: {self.count!r}")
        if self.count > MAX_OCCURRENCES:
            raise RangeTooLong(
                f"{self.count} occurrences asked for; at most {MAX_OCCURRENCES} in a series"
            )
        _seconds(self.min_notice, "min_notice")
        _seconds(self.buffer_before, "buffer_before")
        _seconds(self.buffer_after, "buffer_after")
