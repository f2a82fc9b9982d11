"""A person's own hours, overrides and time off decide when partners can book them, the same
in the wizard and in the booking service, seen from any zone and across DST changes.

Ben mentors from Berlin, Monday to Thursday 10:00-16:00; on Wednesday 25 March 2026 only
12:00-14:00; away the week of 16-22 March. March 2026 moves Los Angeles to summer time on
the 8th and Berlin on the 29th, so the same Berlin hours are at three different Los Angeles
times within the range.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from programs import availability as hours
from programs import services as program_services
from programs.models import Session
from scheduling import availability, services
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
FIRST, LAST = dt.date(2026, 3, 2), dt.date(2026, 4, 5)
NOW = dt.datetime(2026, 2, 25, 12, 0, tzinfo=dt.UTC)
OVERRIDE_DAY = dt.date(2026, 3, 25)
AWAY = (dt.date(2026, 3, 16), dt.date(2026, 3, 22))
ALL_DAY = [(dt.time(0, 0), dt.time(23, 45))]


@pytest.fixture
def ben(northwind):
    ben = factories.person(northwind, "ben", time_zone="Europe/Berlin")
    ten_to_four = [(dt.time(10, 0), dt.time(16, 0))]
    hours.weekly_hours_set(user=ben, week=dict.fromkeys(range(4), ten_to_four))
    hours.date_override_set(user=ben, date=OVERRIDE_DAY, windows=[(dt.time(12, 0), dt.time(14, 0))])
    hours.time_off_add(user=ben, first_day=AWAY[0], last_day=AWAY[1], note="Skiing")
    return ben


def mentee_in(northwind, zone: str):
    mentee = factories.person(northwind, f"mentee-{zone.split('/')[-1].lower()}", time_zone=zone)
    # The mentee can be booked almost any time, so only Ben's hours decide.
    hours.weekly_hours_set(user=mentee, week=dict.fromkeys(range(7), ALL_DAY))
    return mentee


def bens_starts(duration: int = 30, *, first: dt.date = FIRST, last: dt.date = LAST) -> set:
    """Every start Ben's hours allow, worked out on his wall clock, as UTC instants."""
    out = set()
    day = first
    while day <= last:
        if day.weekday() < 4 and not AWAY[0] <= day <= AWAY[1]:
            opens, closes = (12, 14) if day == OVERRIDE_DAY else (10, 16)
            minute = opens * 60
            while minute + duration <= closes * 60:
                local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=BERLIN)
                out.add(local.astimezone(dt.UTC))
                minute += 15
        day += dt.timedelta(days=1)
    return out


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Los_Angeles"])
def test_ben_is_bookable_exactly_in_his_hours_from_any_zone(northwind, mentoring, ben, zone):
    mentee = mentee_in(northwind, zone)
    match = program_services.match_create(program=mentoring, mentee=mentee, mentor=ben)
    wizard = availability.match_wizard(
        match=match,
        viewer=mentee,
        time_zone=zone,
        duration=30,
        first_day=FIRST,
        last_day=LAST,
        now=NOW,
        every_day=True,
    )
    offered = {row.start for row in wizard.slots if row.bookable}
    assert offered == bens_starts()
    # Spot checks on the viewer's wall clock: 10:00 Berlin is 14:30 in Kolkata in winter and
    # 13:30 in summer; 01:00, then (LA summer time first) 02:00, then 01:00 in Los Angeles.
    seen = offered_local(offered, zone)
    if zone == "Asia/Kolkata":
        assert {"03-02 14:30", "03-30 13:30"} <= seen
        assert "03-02 14:15" not in seen and "03-30 13:15" not in seen
    else:
        assert {"03-02 01:00", "03-09 02:00", "03-30 01:00"} <= seen
        assert "03-09 01:45" not in seen and "03-30 00:45" not in seen


def offered_local(offered, zone) -> set[str]:
    return {s.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M") for s in offered}


def test_the_partner_sees_why_in_bens_words(northwind, mentoring, ben):
    mentee = mentee_in(northwind, "Asia/Kolkata")
    match = program_services.match_create(program=mentoring, mentee=mentee, mentor=ben)
    wizard = availability.match_wizard(
        match=match,
        viewer=mentee,
        time_zone="Asia/Kolkata",
        duration=30,
        first_day=FIRST,
        last_day=LAST,
        now=NOW,
        every_day=True,
    )
    by_start = {row.start: row for row in wizard.slots}
    friday = dt.datetime(2026, 3, 6, 11, 0, tzinfo=BERLIN).astimezone(dt.UTC)
    skiing = dt.datetime(2026, 3, 17, 11, 0, tzinfo=BERLIN).astimezone(dt.UTC)
    assert by_start[friday].partner_outside and not by_start[friday].partner_away
    assert by_start[skiing].partner_away


@pytest.mark.parametrize(
    ("berlin", "reason"),
    [
        (dt.datetime(2026, 3, 6, 11, 0), "outside Ben Example's hours"),  # a Friday
        (dt.datetime(2026, 3, 17, 11, 0), "Ben Example is away"),  # time off
        (dt.datetime(2026, 3, 25, 10, 0), "outside Ben Example's hours"),  # the override
        (dt.datetime(2026, 3, 2, 15, 45), "outside Ben Example's hours"),  # ends after 16:00
    ],
)
def test_the_booking_service_refuses_what_the_wizard_does_not_offer(
    northwind, mentoring, ben, berlin, reason
):
    mentee = mentee_in(northwind, "America/Los_Angeles")
    match = program_services.match_create(program=mentoring, mentee=mentee, mentor=ben)
    with pytest.raises(services.NotBookable, match=reason):
        services.session_book(
            match_or_group=match,
            start=berlin.replace(tzinfo=BERLIN),
            duration=30,
            booked_by=mentee,
            time_zone="America/Los_Angeles",
            now=NOW,
        )
    assert Session.objects.count() == 0


def test_the_booking_service_accepts_every_time_the_wizard_offers_on_a_day(
    northwind, mentoring, ben
):
    mentee = mentee_in(northwind, "America/Los_Angeles")
    match = program_services.match_create(program=mentoring, mentee=mentee, mentor=ben)
    wednesday = sorted(s for s in bens_starts() if s.astimezone(BERLIN).date() == OVERRIDE_DAY)
    assert [s.astimezone(BERLIN).strftime("%H:%M") for s in wednesday][:1] == ["12:00"]
    # Back to back, so every one is free when booked: 12:00, 12:30, 13:00, 13:30.
    for start in wednesday[::2]:
        services.session_book(
            match_or_group=match,
            start=start,
            duration=30,
            booked_by=mentee,
            time_zone="America/Los_Angeles",
            now=NOW,
        )
    assert Session.objects.count() == 4


def test_changing_hours_moves_the_stored_answers_versions(
    northwind, mentoring, ben, django_capture_on_commit_callbacks
):
    before = availability.payload_versions([ben.pk])
    with django_capture_on_commit_callbacks(execute=True):
        hours.date_override_set(user=ben, date=dt.date(2026, 4, 2), windows=[])
    assert availability.payload_versions([ben.pk]) != before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-17", "not a time range"),
        ("17:00-09:00", "ends before it starts"),
        ("09:00-12:00, 11:00-13:00", "overlap"),
        ("25:00-26:00", "00:00 to 23:59"),
    ],
)
def test_bad_hours_are_refused_and_change_nothing(ben, text, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        hours.weekly_hours_set(user=ben, week={4: hours.parse_windows(text)})
    assert ben.weekly_hours.count() == 4


def test_the_api_names_the_same_reasons(northwind, mentoring, ben, client):
    import time_machine

    mentee = mentee_in(northwind, "Asia/Kolkata")
    match = program_services.match_create(program=mentoring, mentee=mentee, mentor=ben)
    client.force_login(mentee)
    with time_machine.travel(NOW, tick=False):
        body = client.get(
            reverse("api_match_availability", args=[match.pk]),
            {"first_day": "2026-03-16", "days": 7, "duration": 30, "time_zone": "Asia/Kolkata"},
        ).json()
    reasons = {s["why_not"] for s in body["slots"] if not s["bookable"]}
    assert "Ben is away" in reasons
    assert all(not s["bookable"] for s in body["slots"])


def test_the_heat_map_shows_who_is_away_not_busy(northwind, ben):
    from programs import services as ps
    from scheduling import availability as loader

    program = factories.group_program(northwind)
    mentee = mentee_in(northwind, "Asia/Kolkata")
    group = ps.group_create(program=program, name="Circle", facilitator=mentee, members=[ben])
    heat = loader.group_heat_map(
        group=group,
        viewer=mentee,
        time_zone="Europe/Berlin",
        duration=30,
        week_start=AWAY[0],
        now=NOW,
    )
    cells = [c for _, row in heat.rows for c in row if c is not None]
    assert cells and all("Ben Example" not in c.busy_names for c in cells)
    assert any(c.away_names == ["Ben Example"] for c in cells)
    assert all("Ben Example" not in c.outside_names for c in cells)


def test_as_weeks_pass_ben_keeps_his_week_and_past_time_off_drops_away(
    northwind, mentoring, ben, client
):
    """Five weeks on (after his time off, across Berlin's and Los Angeles' DST changes), his
    week still holds on the new dates, seen from São Paulo, and his page no longer lists the
    time off that has passed."""
    mentee = mentee_in(northwind, "America/Sao_Paulo")
    match = program_services.match_create(program=mentoring, mentee=mentee, mentor=ben)
    client.force_login(ben)
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        assert "Skiing" in client.get(reverse("my_availability")).content.decode()
    later = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        monday = dt.date(2026, 4, 6)
        wizard = availability.match_wizard(
            match=match,
            viewer=mentee,
            time_zone="America/Sao_Paulo",
            duration=30,
            first_day=monday,
            last_day=monday + dt.timedelta(days=13),
            every_day=True,
        )
        offered = {row.start for row in wizard.slots if row.bookable}
        assert offered == bens_starts(first=monday, last=monday + dt.timedelta(days=13))
        # 10:00 Berlin on Monday 6 April (summer time there, none in São Paulo) is 05:00.
        first = min(offered).astimezone(ZoneInfo("America/Sao_Paulo"))
        assert first.strftime("%a %d %b %H:%M") == "Mon 06 Apr 05:00"
        assert {r.local.strftime("%H:%M") for r in wizard.slots if r.bookable} >= {"05:00", "10:30"}
        assert "Skiing" not in client.get(reverse("my_availability")).content.decode()
