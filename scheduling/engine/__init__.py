"""The free/busy slot engine: pure functions from busy times and rules to slots.

No ORM, no I/O, no clock: a loader in ``scheduling/`` fetches busy times and settings, builds
the values below and calls one function. Everything here is deterministic given its input.

Inputs (frozen dataclasses, checked when built; see each for its promises)
    ``BookableHours(weekly={0: [(time(9), time(17))], ...}, overrides={date: [...]})``
        wall-clock windows in the owner's zone; default Monday-Friday 09:00-17:00.
    ``Participant(id=, time_zone=, integrated=, busy=[(start, end), ...],
    all_day=[(first_day, end_day), ...], hours=BookableHours())``
        busy pairs are aware datetimes; all-day pairs are dates, end exclusive.
    ``SlotRequest(first_day=, last_day=, viewer_tz=, now=, duration=, step=15 min,
    min_notice=0, buffer_before=0, buffer_after=0, allowed_durations=None)``
        ``allowed_durations``: the program's session lengths; None allows any whole minutes.
        dates are the viewer's, both included, at most ``MAX_RANGE_DAYS`` (62).
    ``SeriesRequest(first_start=, duration=, frequency=Frequency.WEEKLY, count=,
    booker_tz=, now=, min_notice=, buffer_before=, buffer_after=, allowed_durations=)``
        at most ``MAX_OCCURRENCES`` (52) occurrences.

Functions (keyword-only)
    ``availability(participants=, viewer_id=, request=) -> Availability``
        every slot of the viewer's grid with ``past``, ``bookable`` and each participant's
        ``State`` (free / busy / unknown), the ``Insight`` level, visible busy blocks.
        ``.slots`` builds every ``Slot``; ``.slots_on(date)`` only one date's, which is
        much cheaper for a time list (a 28-day range is ~2,700 slots).
    ``bookable_dates(availability) -> tuple[DateEntry, ...]``
        per viewer date: past?, has a bookable slot?
    ``heat_map(members=, request=) -> HeatMap``
        per slot: how many members are free, who is busy, who is unknown (``.cells``).
    ``occurrence_times(series) -> ((start, end), ...)`` and
    ``recurrence(participants=, viewer_id=, series=) -> tuple[Occurrence, ...]``
        a weekly / bi-weekly / monthly series, each occurrence checked for conflicts.
    ``all_day_utc(first_day, end_day, time_zone=) -> ((start, end), ...)``
        an all-day event as the UTC instants it blocks in its owner's zone.

Example::

    from datetime import UTC, date, datetime, timedelta
    from scheduling import engine

    alice = engine.Participant(id="alice", time_zone="Asia/Kolkata", integrated=True,
                               busy=[(datetime(2024, 3, 4, 4, 0, tzinfo=UTC),
                                      datetime(2024, 3, 4, 5, 0, tzinfo=UTC))])
    bob = engine.Participant(id="bob", time_zone="Europe/London", integrated=True)
    request = engine.SlotRequest(first_day=date(2024, 3, 4), last_day=date(2024, 3, 8),
                                 viewer_tz="Asia/Kolkata", duration=timedelta(minutes=30),
                                 now=datetime(2024, 3, 1, tzinfo=UTC))
    result = engine.availability(participants=[alice, bob], viewer_id="alice",
                                 request=request)
    dates = engine.bookable_dates(result)                 # highlight / grey out dates
    monday = result.slots_on(date(2024, 3, 4))            # the time list of one date
    green = [slot for slot in monday if slot.bookable]    # both free, not past

The decisions, in one place:

- **Instants** are aware datetimes, UTC inside (epoch seconds in the hot paths). Zones are
  used only to build bookable hours and all-day blocks (owner's zone) and the slot grid and
  dates (viewer's zone).
- **Grid**: a slot starts at every instant whose wall clock in ``viewer_tz`` reads a
  multiple of ``step`` after midnight on a requested date, so +05:30 and +12:45 viewers get
  :00 and :15 starts. In a spring-forward gap there are none, in a fall-back hour both
  copies; never a duplicate, never a missing slot (``step`` must divide 24 hours).
- **Wall-clock sets to instants** (hours, all-day events, the grid): every instant whose
  wall clock reads inside the set, so windows follow the clock on DST days. **A single wall
  time** (recurrence): RFC 5545's rule, first occurrence if ambiguous, pre-gap offset if
  nonexistent (02:30 becomes 03:30 on a US spring-forward day).
- **Busy**: busy blocks overlapping or touching merge; all-day and multi-day all-day events
  block whole days in their owner's zone; timed events (multi-day too) block their span;
  blocks are clipped to the range; microseconds widen to whole seconds.
- **Outside their bookable hours** a participant is ``outside_hours`` for that slot,
  integrated or not (hours are a profile setting, not calendar data): not bookable, like
  busy, but named for what it is.
- **Insight**: a viewer sees a participant's calendar only when both are integrated (the
  viewer's own when the viewer is). Hidden calendars give ``unknown``, which never blocks.
  A group's heat map is shared by its members, so there each member shows by their own
  integration: free or busy if integrated, unknown if not.
- **Past**: a slot starting before ``now + min_notice`` is past and not bookable but kept
  in the output, flagged, because the wizard greys it out. A date is past when it is before
  today in the viewer's zone.
- **Buffers**: a slot needs ``buffer_before`` clear before it and ``buffer_after`` after it;
  they do not apply to bookable hours.
- **Monthly on the 29th-31st** falls on the last day of shorter months (see recurrence.py).
- **Limits**: ``MAX_RANGE_DAYS`` = 62 days per call, ``MAX_OCCURRENCES`` = 52,
  ``MAX_MEMBERS`` = 250 in a heat map. Every bad input raises one ``SchedulingError``
  subclass before anything is computed.
"""

from .errors import (
    DurationNotAllowed,
    InvalidInterval,
    InvalidRequest,
    NaiveDatetime,
    RangeTooLong,
    SchedulingError,
    UnknownTimeZone,
)
from .hours import all_day_utc
from .inputs import (
    DEFAULT_HOURS,
    DEFAULT_STEP,
    MAX_MEMBERS,
    MAX_OCCURRENCES,
    MAX_RANGE_DAYS,
    BookableHours,
    Frequency,
    Participant,
    SeriesRequest,
    SlotRequest,
)
from .intervals import merge
from .recurrence import occurrence_times, recurrence
from .results import (
    STATE_OF_CODE,
    Availability,
    DateEntry,
    HeatCell,
    HeatMap,
    Insight,
    Occurrence,
    Slot,
    State,
)
from .slots import availability, bookable_dates, heat_map

__all__ = [
    "DEFAULT_HOURS",
    "DEFAULT_STEP",
    "MAX_MEMBERS",
    "MAX_OCCURRENCES",
    "MAX_RANGE_DAYS",
    "STATE_OF_CODE",
    "Availability",
    "BookableHours",
    "DateEntry",
    "DurationNotAllowed",
    "Frequency",
    "HeatCell",
    "HeatMap",
    "Insight",
    "InvalidInterval",
    "InvalidRequest",
    "NaiveDatetime",
    "Occurrence",
    "Participant",
    "RangeTooLong",
    "SchedulingError",
    "SeriesRequest",
    "Slot",
    "SlotRequest",
    "State",
    "UnknownTimeZone",
    "all_day_utc",
    "availability",
    "bookable_dates",
    "heat_map",
    "merge",
    "occurrence_times",
    "recurrence",
]
