"""Table tests for the slot engine across time zones: DST in New York, London and Lord Howe
(30 minutes), the fixed odd offsets of Kolkata (+05:30) and Chatham (+12:45), a pair on
opposite sides of the date line, a zone that changes at midnight and one that skipped a day.

Every expectation here was worked out by hand from the zone's rules, not from the engine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling import engine
from scheduling.engine.zones import SAMPLE_SECONDS, timeline

UTC = dt.UTC
NOW = dt.datetime(2020, 1, 1, tzinfo=UTC)  # long before every date below: nothing is past
ALWAYS = engine.BookableHours.around_the_clock()


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def one_day(day: dt.date, viewer_tz: str, *, step: int = 15, duration: int = 30):
    person = engine.Participant(id="me", time_zone=viewer_tz, integrated=True, hours=ALWAYS)
    request = engine.SlotRequest(
        first_day=day,
        last_day=day,
        viewer_tz=viewer_tz,
        now=NOW,
        duration=dt.timedelta(minutes=duration),
        step=dt.timedelta(minutes=step),
        allowed_durations=(dt.timedelta(minutes=duration),),
    )
    return engine.availability(participants=[person], viewer_id="me", request=request)


def walls(result: engine.Availability, tz: str) -> list[str]:
    zone = ZoneInfo(tz)
    return [s.start.astimezone(zone).strftime("%H:%M%z") for s in result.slots]


# -- The grid on DST-change days: no missing slot, no duplicate, each on the local grid. ----

DST_DAYS = [
    # zone, date, step (minutes), slots that day, why
    ("America/New_York", dt.date(2024, 3, 10), 15, 92, "02:00-02:59 does not exist"),
    ("America/New_York", dt.date(2024, 11, 3), 15, 100, "01:00-01:59 happens twice"),
    ("America/New_York", dt.date(2024, 3, 10), 60, 23, "no 02:00"),
    ("Europe/London", dt.date(2024, 3, 31), 15, 92, "01:00-01:59 does not exist"),
    ("Europe/London", dt.date(2024, 10, 27), 15, 100, "01:00-01:59 happens twice"),
    ("Australia/Lord_Howe", dt.date(2024, 10, 6), 15, 94, "02:00-02:29 does not exist"),
    ("Australia/Lord_Howe", dt.date(2024, 4, 7), 15, 98, "01:30-01:59 happens twice"),
    ("Australia/Lord_Howe", dt.date(2024, 10, 6), 60, 23, "no 02:00; 02:30 is off the grid"),
    ("Australia/Lord_Howe", dt.date(2024, 4, 7), 60, 24, "the repeat holds no whole hour"),
    ("Pacific/Chatham", dt.date(2024, 9, 29), 15, 92, "02:45-03:44 does not exist"),
    ("Pacific/Chatham", dt.date(2024, 4, 7), 15, 100, "02:45-03:44 happens twice"),
    ("Asia/Kolkata", dt.date(2024, 3, 10), 15, 96, "no DST at all"),
    ("America/Santiago", dt.date(2024, 9, 8), 30, 46, "the day starts at 01:00"),
    ("America/Santiago", dt.date(2024, 4, 6), 30, 50, "23:00-23:59 happens twice"),
]


@pytest.mark.parametrize(("tz", "day", "step", "count", "why"), DST_DAYS)
def test_it_steps_the_local_grid_through_dst_changes(tz, day, step, count, why):
    result = one_day(day, tz, step=step)
    starts = [s.start for s in result.slots]
    assert len(starts) == count, why
    assert starts == sorted(set(starts)), "ascending, no duplicate instants"
    zone = ZoneInfo(tz)
    for start in starts:
        local = start.astimezone(zone)
        assert local.date() == day
        assert (local.hour * 60 + local.minute) % step == 0 and local.second == 0


def test_it_lists_the_new_york_spring_forward_gap_as_one_step():
    result = one_day(dt.date(2024, 3, 10), "America/New_York")
    shown = walls(result, "America/New_York")
    k = shown.index("01:45-0500")
    assert shown[k + 1] == "03:00-0400"
    assert result.slots[k + 1].start - result.slots[k].start == dt.timedelta(minutes=15)


def test_it_lists_the_new_york_fall_back_hour_twice():
    shown = walls(one_day(dt.date(2024, 11, 3), "America/New_York"), "America/New_York")
    assert shown.count("01:30-0400") == 1 and shown.count("01:30-0500") == 1
    assert shown.index("01:45-0400") + 1 == shown.index("01:00-0500")


def test_it_repeats_only_lord_howes_half_hour():
    shown = walls(one_day(dt.date(2024, 4, 7), "Australia/Lord_Howe"), "Australia/Lord_Howe")
    assert shown.count("01:30+1100") == 1 and shown.count("01:30+1030") == 1
    assert shown.count("01:15+1100") == 1 and "01:15+1030" not in shown
    assert shown.index("01:45+1100") + 1 == shown.index("01:30+1030")


# -- Odd offsets: slots on the viewer's :00/:15, whatever that is in UTC. ------------------


def test_a_kolkata_viewer_gets_local_quarter_hours():
    result = one_day(dt.date(2024, 6, 3), "Asia/Kolkata")
    assert result.slots[0].start == utc(2024, 6, 2, 18, 30)  # 00:00 IST
    assert walls(result, "Asia/Kolkata")[:3] == ["00:00+0530", "00:15+0530", "00:30+0530"]
    assert {s.start.minute for s in result.slots} == {0, 15, 30, 45}


def test_a_chatham_viewer_gets_local_quarter_hours():
    result = one_day(dt.date(2024, 6, 3), "Pacific/Chatham")
    assert result.slots[0].start == utc(2024, 6, 2, 11, 15)  # 00:00 +12:45
    assert walls(result, "Pacific/Chatham")[:2] == ["00:00+1245", "00:15+1245"]


def test_kolkata_and_london_overlap_only_in_the_indian_afternoon():
    kolkata = engine.Participant(id="asha", time_zone="Asia/Kolkata", integrated=True)
    london = engine.Participant(id="ben", time_zone="Europe/London", integrated=True)
    request = engine.SlotRequest(
        first_day=dt.date(2024, 6, 3),
        last_day=dt.date(2024, 6, 3),
        viewer_tz="Asia/Kolkata",
        now=NOW,
        duration=dt.timedelta(minutes=30),
    )
    result = engine.availability(participants=[kolkata, london], viewer_id="asha", request=request)
    bookable = [s for s in result.slots if s.bookable]
    # London (BST) 09:00 = 13:30 IST; Kolkata's day ends 17:00 IST; last start 16:30.
    assert walls_of(bookable, "Asia/Kolkata") == [
        f"{m // 60:02d}:{m % 60:02d}" for m in range(13 * 60 + 30, 16 * 60 + 31, 15)
    ]


def walls_of(slots, tz: str) -> list[str]:
    zone = ZoneInfo(tz)
    return [s.start.astimezone(zone).strftime("%H:%M") for s in slots]


# -- Bookable hours follow each owner's wall clock through DST. -----------------------------


def test_nine_to_five_in_new_york_moves_in_utc_across_the_change():
    ny = engine.Participant(id="ny", time_zone="America/New_York", integrated=True)
    request = engine.SlotRequest(
        first_day=dt.date(2024, 3, 8),
        last_day=dt.date(2024, 3, 11),
        viewer_tz="UTC",
        now=NOW,
        duration=dt.timedelta(minutes=60),
        step=dt.timedelta(minutes=60),
    )
    result = engine.availability(participants=[ny], viewer_id="ny", request=request)
    free = [s.start for s in result.slots if s.bookable]
    # Friday 8 March (EST): 14:00-21:00 UTC starts; Monday 11 March (EDT): 13:00-20:00.
    assert free == [utc(2024, 3, 8, h) for h in range(14, 22)] + [
        utc(2024, 3, 11, h) for h in range(13, 21)
    ]


def test_a_window_across_the_gap_is_as_long_as_the_clock_says():
    hours = engine.BookableHours(weekly={6: [(dt.time(1), dt.time(4))]})  # Sundays 01-04
    ny = engine.Participant(id="ny", time_zone="America/New_York", integrated=True, hours=hours)
    request = engine.SlotRequest(
        first_day=dt.date(2024, 3, 10),
        last_day=dt.date(2024, 3, 10),
        viewer_tz="America/New_York",
        now=NOW,
        duration=dt.timedelta(minutes=60),
        step=dt.timedelta(minutes=60),
        allowed_durations=(dt.timedelta(minutes=60),),
    )
    result = engine.availability(participants=[ny], viewer_id="ny", request=request)
    # 01:00 EST to 04:00 EDT is two real hours: 01:00 and 03:00 fit, nothing else does.
    assert walls_of([s for s in result.slots if s.bookable], "America/New_York") == [
        "01:00",
        "03:00",
    ]


# -- All-day events block their owner's whole local day. -----------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "start", "end"),
    [
        ("America/New_York", dt.date(2024, 3, 10), utc(2024, 3, 10, 5), utc(2024, 3, 11, 4)),
        ("America/New_York", dt.date(2024, 11, 3), utc(2024, 11, 3, 4), utc(2024, 11, 4, 5)),
        ("Asia/Kolkata", dt.date(2024, 6, 3), utc(2024, 6, 2, 18, 30), utc(2024, 6, 3, 18, 30)),
        ("Pacific/Kiritimati", dt.date(2024, 6, 3), utc(2024, 6, 2, 10), utc(2024, 6, 3, 10)),
        # Santiago springs forward at midnight: the day starts at 01:00 -03.
        ("America/Santiago", dt.date(2024, 9, 8), utc(2024, 9, 8, 4), utc(2024, 9, 9, 3)),
    ],
)
def test_an_all_day_event_blocks_the_owners_local_day(tz, day, start, end):
    assert engine.all_day_utc(day, day + dt.timedelta(days=1), time_zone=tz) == ((start, end),)


# -- Opposite sides of the date line. -------------------------------------------------------


def date_line_pair(**partner):
    kiri = engine.Participant(id="kiri", time_zone="Pacific/Kiritimati", integrated=True)
    pago = engine.Participant(id="pago", time_zone="Pacific/Pago_Pago", integrated=True, **partner)
    request = engine.SlotRequest(
        first_day=dt.date(2024, 6, 3),  # Monday in Kiritimati
        last_day=dt.date(2024, 6, 9),
        viewer_tz="Pacific/Kiritimati",
        now=NOW,
        duration=dt.timedelta(minutes=60),
        step=dt.timedelta(minutes=60),
    )
    return engine.availability(participants=[kiri, pago], viewer_id="kiri", request=request)


def test_across_the_date_line_only_tuesday_to_friday_overlap():
    result = date_line_pair()
    dates = {d.date.strftime("%a"): d.bookable_count for d in engine.bookable_dates(result)}
    # Pago Pago is 25 hours behind: its Monday 09-17 is Kiritimati's Tuesday 10-18, and
    # Kiritimati's Monday is Pago Pago's Sunday.
    assert dates == {"Mon": 0, "Tue": 7, "Wed": 7, "Thu": 7, "Fri": 7, "Sat": 0, "Sun": 0}
    tuesday = [s for s in result.slots if s.bookable][:7]
    assert walls_of(tuesday, "Pacific/Kiritimati") == [f"{h:02d}:00" for h in range(10, 17)]


def test_a_partners_all_day_event_across_the_date_line_blocks_their_day_not_ours():
    # Monday 3 June in Pago Pago = 4 June 01:00 to 5 June 01:00 in Kiritimati.
    result = date_line_pair(all_day=[(dt.date(2024, 6, 3), dt.date(2024, 6, 4))])
    dates = {d.date.strftime("%a"): d.bookable_count for d in engine.bookable_dates(result)}
    assert dates["Tue"] == 0 and dates["Wed"] == 7
    assert result.busy_blocks["pago"] == ((utc(2024, 6, 3, 11), utc(2024, 6, 4, 11)),)


# -- A day that never happened. ------------------------------------------------------------


def test_samoas_skipped_day_has_no_slots_and_its_neighbours_are_whole():
    person = engine.Participant(id="s", time_zone="Pacific/Apia", integrated=True, hours=ALWAYS)
    request = engine.SlotRequest(
        first_day=dt.date(2011, 12, 29),
        last_day=dt.date(2011, 12, 31),
        viewer_tz="Pacific/Apia",
        now=NOW.replace(year=2010),
        duration=dt.timedelta(minutes=60),
        step=dt.timedelta(minutes=60),
    )
    result = engine.availability(participants=[person], viewer_id="s", request=request)
    counts = [(d.date.day, d.slot_count) for d in engine.bookable_dates(result)]
    assert counts == [(29, 24), (30, 0), (31, 24)]
    only = dataclasses.replace(
        request, first_day=dt.date(2011, 12, 30), last_day=dt.date(2011, 12, 30)
    )
    assert len(engine.availability(participants=[person], viewer_id="s", request=only)) == 0


# -- Recurring series keep their wall-clock time. -------------------------------------------


def series(first_start, frequency="weekly", count=4, tz="America/New_York"):
    return engine.SeriesRequest(
        first_start=first_start,
        duration=dt.timedelta(minutes=30),
        frequency=frequency,
        count=count,
        booker_tz=tz,
        now=NOW,
    )


def test_a_weekly_series_stays_at_nine_across_the_us_change():
    times = engine.occurrence_times(series(utc(2024, 3, 1, 14)))  # Friday 09:00 EST
    assert [s for s, _ in times] == [
        utc(2024, 3, 1, 14),
        utc(2024, 3, 8, 14),
        utc(2024, 3, 15, 13),  # 09:00 EDT
        utc(2024, 3, 22, 13),
    ]


def test_a_london_biweekly_series_stays_at_ten_across_the_eu_change():
    times = engine.occurrence_times(
        series(utc(2024, 3, 20, 10), frequency="biweekly", count=3, tz="Europe/London")
    )
    assert [s for s, _ in times] == [utc(2024, 3, 20, 10), utc(2024, 4, 3, 9), utc(2024, 4, 17, 9)]


def test_an_occurrence_in_the_spring_gap_moves_forward_by_the_gap():
    # Sundays at 02:30: on 10 March 2024 that time does not exist; RFC 5545 reads it with
    # the offset before the gap, which is 03:30 EDT.
    times = engine.occurrence_times(series(utc(2024, 3, 3, 7, 30), count=2))
    assert times[1][0] == utc(2024, 3, 10, 7, 30)
    assert times[1][0].astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "03:30"


def test_an_ambiguous_occurrence_is_the_first_one():
    # Sundays at 01:30: on 3 November 2024 it happens twice; the series takes the EDT one.
    times = engine.occurrence_times(series(utc(2024, 10, 27, 5, 30), count=2))
    assert times[1][0] == utc(2024, 11, 3, 5, 30)


def test_a_lord_howe_series_keeps_its_wall_time_through_the_half_hour_change():
    times = engine.occurrence_times(
        series(utc(2024, 3, 31, 23), count=2, tz="Australia/Lord_Howe")  # Mon 10:00 +11
    )
    assert times[1][0] == utc(2024, 4, 7, 23, 30)  # Mon 10:00 +10:30


def test_a_monthly_series_from_the_31st_falls_on_each_months_last_day():
    times = engine.occurrence_times(
        series(utc(2024, 1, 31, 17), frequency="monthly", count=6, tz="UTC")
    )
    assert [s.date() for s, _ in times] == [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 31),
        dt.date(2024, 4, 30),
        dt.date(2024, 5, 31),
        dt.date(2024, 6, 30),
    ]


def test_a_monthly_series_from_the_30th_comes_back_to_the_30th_after_february():
    times = engine.occurrence_times(
        series(utc(2023, 1, 30, 17), frequency="monthly", count=3, tz="UTC")
    )
    assert [s.day for s, _ in times] == [30, 28, 30]


def test_a_monthly_series_in_kolkata_counts_months_in_kolkata():
    # 31 January 01:00 IST is still 30 January in UTC: the month-end rule applies to the
    # booker's calendar, so February's session is the 29th at 01:00 IST.
    times = engine.occurrence_times(
        series(utc(2024, 1, 30, 19, 30), frequency="monthly", count=2, tz="Asia/Kolkata")
    )
    assert times[1][0] == utc(2024, 2, 28, 19, 30)


# -- The zone timelines underneath. ---------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "year"),
    [
        ("Africa/Monrovia", 1972),  # -00:44:30 to UTC, off the quarter hour
        ("Europe/Amsterdam", 1937),  # +00:19:32 to +00:20
        ("Asia/Kolkata", 1945),
        ("Australia/Lord_Howe", 2024),
        ("America/New_York", 2024),
        ("Pacific/Apia", 2011),
    ],
)
def test_a_timeline_finds_every_offset_change_to_the_second(tz, year):
    zone = ZoneInfo(tz)
    lo = int(dt.datetime(year, 1, 1, tzinfo=UTC).timestamp())
    hi = int(dt.datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    line = timeline(zone, lo, hi)

    def offset(t):
        return dt.datetime.fromtimestamp(t, zone).utcoffset()

    changes = list(line.starts[1:])
    assert changes, "each of these years has a change"
    for t in changes:
        assert offset(t - 1) != offset(t)
    # And no change was missed: the offset is constant inside each piece, checked hourly.
    for start, end, seconds in zip(line.starts, line.ends, line.offsets, strict=True):
        for t in range(start, end, 3600):
            assert offset(t).total_seconds() == seconds


def test_the_tz_database_never_changes_an_offset_twice_within_the_sampling_interval():
    # The timeline samples offsets every SAMPLE_SECONDS; two changes closer than that could
    # hide between samples. This checks the installed tz database (explicit transitions
    # since 1900), using the pure-Python zoneinfo because it exposes them.
    from zoneinfo import available_timezones
    from zoneinfo._zoneinfo import ZoneInfo as PythonZoneInfo

    closest = min(
        (b - a, name)
        for name in available_timezones()
        for transitions in [
            [t for t in PythonZoneInfo.no_cache(name)._trans_utc if -2_208_988_800 < t < 2**31 - 1]
        ]
        for a, b in zip(transitions, transitions[1:], strict=False)
    )
    assert closest[0] > SAMPLE_SECONDS, closest
