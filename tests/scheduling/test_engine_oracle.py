"""A brute-force oracle for the slot engine, and the tests that keep the oracle honest.

The oracle shares no code with the engine. It walks time one UTC minute at a time and asks
``zoneinfo`` what each minute's wall clock reads in each zone, then decides every slot from
those per-minute facts: is this minute a slot start on the viewer's grid, is it inside this
person's bookable hours, is it inside one of their busy blocks or all-day events. It is exact
for inputs on whole minutes, which is what the property tests generate (every zone's offsets
and transitions since 1990 are on whole minutes).

It is slow on purpose (thousands of zone lookups per example); the property tests in
``test_engine_properties.py`` keep their ranges to a few days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from scheduling import engine

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
# Wider than any UTC offset, so the scan holds every instant of the requested dates.
MARGIN = dt.timedelta(hours=16)


_TICK = dt.timedelta(microseconds=1)


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _ceil_minutes(delta: dt.timedelta) -> int:
    return -(-delta // MINUTE)


def _windows_on(hours: engine.BookableHours, day: dt.date) -> list[tuple[int, int]]:
    """Bookable minute-of-day windows of ``day``, straight from the public fields."""
    windows = hours.overrides.get(day)
    if windows is None:
        windows = hours.weekly.get(day.weekday(), ())
    out = []
    for start, end in windows:
        a = start.hour * 60 + start.minute
        b = 1440 if end == dt.time(0) else end.hour * 60 + end.minute
        out.append((a, b))
    return out


class _Walls:
    """Wall-clock readings of UTC minutes (epoch minute numbers) in one zone, memoised."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._seen: dict[int, tuple[dt.date, int]] = {}

    def __call__(self, minute: int) -> tuple[dt.date, int]:
        """(wall date, wall minute of the day) at epoch minute ``minute``."""
        found = self._seen.get(minute)
        if found is None:
            wall = dt.datetime.fromtimestamp(minute * 60, self.tz)
            found = self._seen[minute] = (wall.date(), wall.hour * 60 + wall.minute)
        return found


def _epoch_minute(instant: dt.datetime) -> int:
    return int(instant.timestamp()) // 60


class Raster:
    """Per-minute facts about one person over ``[origin, origin + n minutes)``."""

    def __init__(
        self,
        person: engine.Participant,
        origin: dt.datetime,
        n: int,
        walls: _Walls,
        *,
        hours: bool = True,
    ):
        self.origin = origin
        self.in_hours = [False] * n
        self.busy = [False] * n
        # A block covers minute k when it overlaps [t, t + 1 minute): mark those minutes.
        for a, b in person.busy:
            first = max(0, _ceil_minutes(a.astimezone(UTC) - origin - MINUTE + _TICK))
            end = min(n, _ceil_minutes(b.astimezone(UTC) - origin))
            for k in range(first, end):
                self.busy[k] = True
        days_off = {
            first + dt.timedelta(days=d)
            for first, end in person.all_day
            for d in range((end - first).days)
        }
        windows: dict[dt.date, list[tuple[int, int]]] = {}
        base = _epoch_minute(origin)
        for k in range(n):
            day, minute = walls(base + k)
            if day in days_off:
                self.busy[k] = True
            if hours:
                if day not in windows:
                    windows[day] = _windows_on(person.hours, day)
                self.in_hours[k] = any(a <= minute < b for a, b in windows[day])

    def index(self, instant: dt.datetime) -> int:
        return _minutes(instant - self.origin)

    def state(
        self,
        start: dt.datetime,
        *,
        duration: int,
        before: int,
        after: int,
        revealed: bool,
    ) -> str:
        k = self.index(start)
        if not all(self.in_hours[k : k + duration]):
            return "outside_hours"
        if not revealed:
            return "unknown"
        if any(self.busy[k - before : k + duration + after]):
            return "busy"
        return "free"


@dataclass
class Expected:
    starts: list[dt.datetime]
    past: list[bool]
    bookable: list[bool]
    states: dict[object, list[str]]
    busy: dict[object, list[tuple[dt.datetime, dt.datetime]]]
    insight: str
    dates: list[tuple[dt.date, bool, int, int]]  # date, past, slots, bookable slots
    free_counts: list[int]


def _grid(request: engine.SlotRequest, walls: _Walls) -> tuple[list[dt.datetime], list, list]:
    """Every UTC minute whose viewer wall clock is on the step grid of a requested date."""
    step = _minutes(request.step)
    scan = dt.datetime.combine(request.first_day, dt.time(), tzinfo=UTC) - MARGIN
    end = dt.datetime.combine(request.last_day, dt.time(), tzinfo=UTC) + dt.timedelta(days=1)
    end += MARGIN
    starts, inside, days = [], [], []
    for m in range(_epoch_minute(scan), _epoch_minute(end)):
        day, minute = walls(m)
        if request.first_day <= day <= request.last_day:
            t = dt.datetime.fromtimestamp(m * 60, UTC)
            inside.append(t)
            if minute % step == 0:
                starts.append(t)
                days.append(day)
    return starts, inside, days


def expected(
    participants: list[engine.Participant],
    request: engine.SlotRequest,
    *,
    viewer_id: object = None,
    heat: bool = False,
) -> Expected:
    """What :func:`engine.availability` (or, with ``heat``, :func:`engine.heat_map`) must say."""
    viewer_walls = _Walls(ZoneInfo(request.viewer_tz))
    starts, inside, days = _grid(request, viewer_walls)
    duration = _minutes(request.duration)
    before, after = _minutes(request.buffer_before), _minutes(request.buffer_after)
    lo = (starts[0] if starts else request.now) - dt.timedelta(minutes=before + 2)
    n = _minutes((starts[-1] if starts else lo) - lo) + duration + before + after + 4
    walls = {request.viewer_tz: viewer_walls}
    viewer = next((p for p in participants if p.id == viewer_id), None)
    states: dict[object, list[str]] = {}
    busy: dict[object, list] = {}
    for person in participants:
        zone_walls = walls.setdefault(person.time_zone, _Walls(ZoneInfo(person.time_zone)))
        raster = Raster(person, lo, n, zone_walls)
        revealed = person.integrated if heat else (viewer.integrated and person.integrated)
        states[person.id] = [
            raster.state(s, duration=duration, before=before, after=after, revealed=revealed)
            for s in starts
        ]
        if revealed and not heat:
            busy[person.id] = _busy_runs(person, inside, zone_walls)
    cutoff = request.now + request.min_notice
    past = [s < cutoff for s in starts]
    bookable = [
        not past[i] and all(states[p.id][i] in ("free", "unknown") for p in participants)
        for i in range(len(starts))
    ]
    today = request.now.astimezone(ZoneInfo(request.viewer_tz)).date()
    dates = []
    day = request.first_day
    while day <= request.last_day:
        picked = [i for i, d in enumerate(days) if d == day]
        dates.append((day, day < today, len(picked), sum(bookable[i] for i in picked)))
        day += dt.timedelta(days=1)
    if heat or viewer is None:
        insight = ""
    elif not viewer.integrated:
        insight = "none"
    else:
        others = [p for p in participants if p is not viewer]
        insight = "mutual" if others and all(p.integrated for p in others) else "viewer_only"
    return Expected(
        starts=starts,
        past=past,
        bookable=bookable,
        states=states,
        busy=busy,
        insight=insight,
        dates=dates,
        free_counts=[
            sum(states[p.id][i] == "free" for p in participants) for i in range(len(starts))
        ],
    )


def _busy_runs(person, inside: list[dt.datetime], walls: _Walls):
    """The person's busy minutes among the requested dates' minutes, as merged runs."""
    if not inside:
        return []
    raster = Raster(person, inside[0], _minutes(inside[-1] - inside[0]) + 1, walls, hours=False)
    runs: list[list[dt.datetime]] = []
    for t in inside:
        if raster.busy[raster.index(t)]:
            if runs and runs[-1][1] == t:
                runs[-1][1] = t + MINUTE
            else:
                runs.append([t, t + MINUTE])
    return [(a, b) for a, b in runs]


def series_walls(series: engine.SeriesRequest) -> list[dt.datetime]:
    """Occurrence wall-clock times by plain calendar arithmetic, no rrule: weekly adds weeks,
    monthly adds months and clamps to the month's last day (relativedelta does that)."""
    tz = ZoneInfo(series.booker_tz)
    first = series.first_start.astimezone(tz).replace(tzinfo=None)
    out = []
    for k in range(series.count):
        if series.frequency == "weekly":
            out.append(first + dt.timedelta(weeks=k))
        elif series.frequency == "biweekly":
            out.append(first + dt.timedelta(weeks=2 * k))
        else:
            out.append(first + relativedelta(months=k))
    return out


def expected_series(
    participants: list[engine.Participant], viewer_id: object, series: engine.SeriesRequest
) -> list[tuple[dt.datetime, bool, bool, dict[object, str]]]:
    """(start, past, conflict, states) per occurrence of ``series``."""
    tz = ZoneInfo(series.booker_tz)
    viewer = next(p for p in participants if p.id == viewer_id)
    duration = _minutes(series.duration)
    before, after = _minutes(series.buffer_before), _minutes(series.buffer_after)
    out = []
    for k, wall in enumerate(series_walls(series)):
        if k == 0:
            start = series.first_start.astimezone(UTC)
        else:
            # RFC 5545: an ambiguous wall time is its first occurrence, a missing one is read
            # with the offset before the gap; both are what fold=0 means to zoneinfo.
            start = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        lo = start - dt.timedelta(minutes=before + 2)
        n = duration + before + after + 4
        states = {}
        for person in participants:
            raster = Raster(person, lo, n, _Walls(ZoneInfo(person.time_zone)))
            states[person.id] = raster.state(
                start,
                duration=duration,
                before=before,
                after=after,
                revealed=viewer.integrated and person.integrated,
            )
        past = start < series.now + series.min_notice
        conflict = bool({"busy", "outside_hours"} & set(states.values()))
        out.append((start, past, conflict, states))
    return out


# -- The oracle's own tests: small cases worked out by hand. --------------------------------

NOW = dt.datetime(2024, 1, 1, tzinfo=UTC)


def _request(**changes) -> engine.SlotRequest:
    values = {
        "first_day": dt.date(2024, 3, 4),
        "last_day": dt.date(2024, 3, 4),
        "viewer_tz": "UTC",
        "now": NOW,
        "duration": dt.timedelta(minutes=30),
        "step": dt.timedelta(minutes=30),
    }
    values.update(changes)
    return engine.SlotRequest(**values)


def test_the_oracle_finds_a_plain_day_of_slots():
    alice = engine.Participant(id="alice", time_zone="UTC", integrated=True)
    want = expected([alice], _request(), viewer_id="alice")
    assert len(want.starts) == 48
    free = [
        s.hour + s.minute / 60 for s, st in zip(want.starts, want.states["alice"]) if st == "free"
    ]
    assert free == [9 + k / 2 for k in range(16)]


def test_the_oracle_blocks_a_meeting_and_its_buffers():
    meeting = (dt.datetime(2024, 3, 4, 12, tzinfo=UTC), dt.datetime(2024, 3, 4, 13, tzinfo=UTC))
    alice = engine.Participant(id="alice", time_zone="UTC", integrated=True, busy=[meeting])
    want = expected([alice], _request(buffer_after=dt.timedelta(minutes=15)), viewer_id="alice")
    busy = {
        s.hour * 60 + s.minute for s, st in zip(want.starts, want.states["alice"]) if st == "busy"
    }
    # 11:30 would end at 12:00 but needs 15 minutes clear after: busy. 13:00 is fine.
    assert {11 * 60 + 30, 12 * 60, 12 * 60 + 30} <= busy
    assert 13 * 60 not in busy and 11 * 60 not in busy
    assert want.busy["alice"] == [meeting]


def test_the_oracle_skips_the_spring_forward_hour():
    want = expected(
        [engine.Participant(id="a", time_zone="America/New_York", integrated=False)],
        _request(
            first_day=dt.date(2024, 3, 10),
            last_day=dt.date(2024, 3, 10),
            viewer_tz="America/New_York",
        ),
        viewer_id="a",
    )
    assert len(want.starts) == 46  # 23 hours of 30-minute slots
    assert want.insight == "none"


def test_the_oracle_counts_a_series_by_calendar_months():
    series = engine.SeriesRequest(
        first_start=dt.datetime(2024, 1, 31, 15, tzinfo=UTC),
        duration=dt.timedelta(minutes=30),
        frequency="monthly",
        count=3,
        booker_tz="UTC",
        now=NOW,
    )
    assert [w.date() for w in series_walls(series)] == [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 31),
    ]
