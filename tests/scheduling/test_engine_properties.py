"""Property tests: the slot engine against the minute-by-minute oracle.

Hypothesis draws participants in zones chosen to be awkward (30- and 45-minute offsets, a
30-minute DST, both sides of the date line, changes at midnight, a skipped day) and, half
the time, a date range on or next to one of their DST changes. Busy blocks, all-day events,
bookable hours, overrides, steps, durations, buffers, notice and "now" are all drawn too.

Example counts come from the ``engine`` Hypothesis profile below: 2,000 for the main
property and a few hundred for the others, a few thousand in all, in about a minute and a
half on CI's two cores. ``ENGINE_EXAMPLES`` scales them (e.g. ``ENGINE_EXAMPLES=0.1`` while
editing). Failures print the reproduction blob.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import os
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling import engine
from scheduling.engine.zones import offset_at, timeline, zone
from tests.scheduling.test_engine_oracle import expected, expected_series

UTC = dt.UTC
_SCALE = float(os.environ.get("ENGINE_EXAMPLES", "1"))

settings.register_profile(
    "engine",
    deadline=None,
    database=None,  # nothing written into the work tree; failures print a blob instead
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def examples(n: int) -> settings:
    return settings(settings.get_profile("engine"), max_examples=max(1, int(n * _SCALE)))


AWKWARD = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # DST of 30 minutes
    "Asia/Kolkata",  # +05:30
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 with DST
    "Pacific/Kiritimati",  # +14, far side of the date line
    "Pacific/Pago_Pago",  # -11, near side
    "Pacific/Apia",  # skipped 30 December 2011 entirely
    "America/Santiago",  # changes at midnight
    "America/Havana",  # changes at midnight
    "Africa/Casablanca",  # DST suspended for Ramadan: two changes a month apart
    "Antarctica/Troll",  # DST of two hours
    "Europe/Dublin",  # "negative" DST in the tz database
    "Asia/Tehran",
    "Australia/Adelaide",
    "UTC",
]
EVERY_ZONE = sorted(available_timezones() - {"Factory", "localtime"})
zones = st.one_of(st.sampled_from(AWKWARD), st.sampled_from(EVERY_ZONE))


@functools.lru_cache(maxsize=4096)
def changes_in(name: str, year: int) -> tuple[dt.date, ...]:
    """Dates (in the zone) on which ``name`` changed its UTC offset during ``year``."""
    tz = ZoneInfo(name)
    out = []
    noon = dt.datetime(year, 1, 1, 12, tzinfo=UTC)
    before = noon.astimezone(tz).utcoffset()
    for k in range(1, 367):
        instant = noon + dt.timedelta(days=k)
        offset = instant.astimezone(tz).utcoffset()
        if offset != before:
            out.append((instant - dt.timedelta(days=1)).astimezone(tz).date())
            before = offset
    return tuple(out)


@st.composite
def first_days(draw, names: list[str]) -> dt.date:
    """A date, half the time within two days of a DST change of one of ``names``."""
    if draw(st.booleans()):
        name = draw(st.sampled_from(names))
        year = draw(st.integers(1996, 2036))
        found = changes_in(name, year)
        if found:
            day = draw(st.sampled_from(found))
            return day + dt.timedelta(days=draw(st.integers(-2, 1)))
    if draw(st.integers(0, 20)) == 0:
        return dt.date(2011, 12, 29)  # around Samoa's skipped day
    return draw(st.dates(dt.date(1996, 1, 1), dt.date(2036, 12, 31)))


minutes_of_day = st.integers(0, 95).map(lambda q: q * 15) | st.integers(0, 1439)


@st.composite
def windows(draw) -> list[tuple[dt.time, dt.time]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        a = draw(minutes_of_day)
        b = draw(st.integers(a + 1, 1440))
        end = dt.time(0) if b == 1440 else dt.time(b // 60, b % 60)
        out.append((dt.time(a // 60, a % 60), end))
    return out


@st.composite
def bookable_hours(draw, near: dt.date) -> engine.BookableHours:
    kind = draw(st.sampled_from(["default", "always", "drawn"]))
    if kind == "default":
        return engine.BookableHours()
    if kind == "always":
        weekly = {d: [(dt.time(0), dt.time(0))] for d in range(7)}
    else:
        weekly = {d: draw(windows()) for d in range(7) if draw(st.booleans()) or d < 5}
    overrides = {
        near + dt.timedelta(days=draw(st.integers(-2, 4))): draw(windows())
        for _ in range(draw(st.integers(0, 2)))
    }
    return engine.BookableHours(weekly=weekly, overrides=overrides)


@st.composite
def busy_blocks(draw, anchor: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    out = []
    for _ in range(draw(st.integers(0, 8))):
        start = anchor + dt.timedelta(minutes=draw(st.integers(-2 * 1440, 5 * 1440)))
        length = draw(
            st.one_of(
                st.integers(0, 180),
                st.integers(0, 180).map(lambda m: m - m % 15),
                st.integers(0, 4 * 1440),  # multi-day
            )
        )
        block = (start, start + dt.timedelta(minutes=length))
        if draw(st.integers(0, 4)) == 0:  # same instants, written in another zone
            tz = ZoneInfo(draw(st.sampled_from(AWKWARD)))
            block = (block[0].astimezone(tz), block[1].astimezone(tz))
        out.append(block)
    return out


@st.composite
def all_day_events(draw, near: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        first = near + dt.timedelta(days=draw(st.integers(-3, 3)))
        out.append((first, first + dt.timedelta(days=draw(st.integers(1, 4)))))
    return out


@st.composite
def people(draw, count: st.SearchStrategy[int], near: dt.date, names: list[str]):
    anchor = dt.datetime.combine(near, dt.time(), tzinfo=UTC)
    return [
        engine.Participant(
            id=f"p{k}",
            time_zone=name,
            integrated=draw(st.booleans()),
            busy=draw(busy_blocks(anchor)),
            all_day=draw(all_day_events(near)),
            hours=draw(bookable_hours(near)),
        )
        for k, name in enumerate(names[: draw(count)])
    ]


@st.composite
def scenarios(draw, *, max_people: int = 3, max_days: int = 3):
    names = [draw(zones) for _ in range(max_people + 1)]
    viewer_tz = draw(st.sampled_from(names) | zones)
    first_day = draw(first_days([viewer_tz, *names]))
    group = draw(people(st.integers(1, max_people), first_day, names))
    duration = dt.timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90])))
    minute = dt.timedelta(minutes=1)
    request = engine.SlotRequest(
        first_day=first_day,
        last_day=first_day + dt.timedelta(days=draw(st.integers(0, max_days - 1))),
        viewer_tz=viewer_tz,
        now=dt.datetime.combine(first_day, dt.time(), tzinfo=UTC)
        + draw(st.integers(-2 * 1440, 4 * 1440)) * minute,
        duration=duration,
        step=dt.timedelta(minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60]))),
        min_notice=draw(st.integers(0, 240)) * minute,
        buffer_before=draw(st.sampled_from([0, 5, 10, 15, 30, 60])) * minute,
        buffer_after=draw(st.sampled_from([0, 5, 10, 15, 30, 60])) * minute,
        allowed_durations=(duration, dt.timedelta(minutes=45)),
    )
    return group, request


def _as_utc(epochs) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(e, UTC) for e in epochs]


@examples(2000)
@given(scenarios(), st.data())
def test_availability_matches_the_minute_by_minute_oracle(scenario, data):
    group, request = scenario
    viewer = data.draw(st.sampled_from(group)).id
    result = engine.availability(participants=group, viewer_id=viewer, request=request)
    want = expected(group, request, viewer_id=viewer)

    assert _as_utc(result.starts) == want.starts
    assert [i < result.past_count for i in range(len(result))] == want.past
    assert [bool(b) for b in result.bookable_flags] == want.bookable
    for person in group:
        assert [str(s) for s in result.states_of(person.id)] == want.states[person.id]
    assert str(result.insight) == want.insight
    assert dict(result.busy_blocks) == {k: tuple(v) for k, v in want.busy.items()}
    assert [
        (d.date, d.past, d.slot_count, d.bookable_count) for d in engine.bookable_dates(result)
    ] == want.dates
    # The friendly view says the same as the compact one.
    for slot, i in zip(result.slots[:50], range(50), strict=False):
        assert slot.start == want.starts[i]
        assert slot.end == want.starts[i] + request.duration
        assert slot.bookable == want.bookable[i]
        assert {k: str(v) for k, v in slot.states.items()} == {
            k: v[i] for k, v in want.states.items()
        }


@examples(500)
@given(scenarios(max_people=5, max_days=2))
def test_heat_map_matches_the_oracle(scenario):
    group, request = scenario
    heat = engine.heat_map(members=group, request=request)
    want = expected(group, request, heat=True)

    assert _as_utc(heat.starts) == want.starts
    assert list(heat.free_counts) == want.free_counts
    for i, cell in enumerate(heat.cells):
        assert cell.past == want.past[i]
        assert cell.free == want.free_counts[i]
        assert cell.total == len(group)
        assert cell.busy == tuple(p.id for p in group if want.states[p.id][i] == "busy")
        assert cell.unknown == tuple(p.id for p in group if want.states[p.id][i] == "unknown")
        assert cell.outside == tuple(p.id for p in group if want.states[p.id][i] == "outside_hours")


@examples(400)
@given(st.data())
def test_recurrence_matches_the_oracle(data):
    names = [data.draw(zones) for _ in range(3)]
    booker_tz = data.draw(st.sampled_from(names))
    near = data.draw(first_days(names))
    group = data.draw(people(st.integers(1, 3), near, names))
    viewer = data.draw(st.sampled_from(group)).id
    frequency = data.draw(st.sampled_from(list(engine.Frequency)))
    tz = ZoneInfo(booker_tz)
    # Monthly series often start late in the month, to exercise the 29th-31st.
    day = near
    if frequency is engine.Frequency.MONTHLY and data.draw(st.booleans()):
        last = calendar.monthrange(near.year, near.month)[1]
        day = near.replace(day=data.draw(st.integers(28, last)))
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(
        minutes=15 * data.draw(st.integers(0, 95))
    )
    duration = dt.timedelta(minutes=data.draw(st.sampled_from([30, 45, 60])))
    minute = dt.timedelta(minutes=1)
    series = engine.SeriesRequest(
        first_start=wall.replace(tzinfo=tz, fold=data.draw(st.integers(0, 1))).astimezone(UTC),
        duration=duration,
        frequency=frequency,
        count=data.draw(st.integers(1, 6)),
        booker_tz=booker_tz,
        now=dt.datetime.combine(near, dt.time(), tzinfo=UTC)
        + data.draw(st.integers(-1440, 60 * 1440)) * minute,
        min_notice=data.draw(st.integers(0, 120)) * minute,
        buffer_before=data.draw(st.sampled_from([0, 10, 30])) * minute,
        buffer_after=data.draw(st.sampled_from([0, 10, 30])) * minute,
    )
    got = engine.recurrence(participants=group, viewer_id=viewer, series=series)
    want = expected_series(group, viewer, series)
    assert [(o.start, o.past, o.conflict) for o in got] == [w[:3] for w in want]
    assert [{k: str(v) for k, v in o.states.items()} for o in got] == [w[3] for w in want]
    assert all(o.end - o.start == duration for o in got)
    assert all(o.bookable == (not o.past and not o.conflict) for o in got)


@examples(1000)
@given(
    zones,
    st.integers(dt.datetime(1996, 1, 1, tzinfo=UTC).timestamp(), 2_100_000_000),
    st.integers(1, 70),
    st.integers(0, 10_000),
)
def test_a_timeline_agrees_with_zoneinfo_at_every_instant_checked(name, lo, days, probe):
    tz = zone(name)
    hi = lo + days * 86_400
    line = timeline(tz, lo, hi)
    assert line.starts[0] == lo and line.ends[-1] == hi
    for start, end, offset in zip(line.starts, line.ends, line.offsets, strict=True):
        # Each piece really has one offset, and it really changes at each boundary.
        assert offset_at(tz, start) == offset == offset_at(tz, end - 1)
    for k in range(1, len(line.starts)):
        assert line.offsets[k] != line.offsets[k - 1]
    instant = lo + probe * (hi - lo) // 10_000
    instant = min(instant, hi - 1)
    assert line.wall(instant) - instant == offset_at(tz, instant)
