"""A program's rules (notice, booking window, buffers, daily and weekly limits) hold in the
wizard and in the booking service alike, and under racing bookings on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from programs import availability as hours
from programs import services as program_services
from programs.models import Session
from scheduling import availability, services
from tests import factories

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
TUESDAY = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def book(match, booker, start, *, duration=30, now=NOW):
    return services.session_book(
        match_or_group=match,
        start=start,
        duration=duration,
        booked_by=booker,
        time_zone="UTC",
        now=now,
    )


@pytest.fixture
def ben(northwind):
    return factories.person(northwind, "ben", time_zone="UTC")


def mentees_of(ben, program, count: int):
    northwind = ben.organization
    out = []
    for i in range(count):
        mentee = factories.person(northwind, f"mentee{i}", time_zone="UTC")
        out.append(program_services.match_create(program=program, mentee=mentee, mentor=ben))
    return out


def test_a_daily_limit_counts_sessions_in_every_program(northwind, ben):
    first = factories.one_to_one_program(northwind, name="First")
    second = factories.one_to_one_program(northwind, name="Second")
    hours.booking_rules_set(program=second, max_sessions_per_day=2)
    (a,) = mentees_of(ben, first, 1)
    b = program_services.match_create(
        program=second, mentee=factories.person(northwind, "zoe", time_zone="UTC"), mentor=ben
    )
    book(a, a.mentee, TUESDAY)
    book(b, b.mentee, TUESDAY + dt.timedelta(hours=1))
    with pytest.raises(services.NotBookable, match="Ben Example's limit for that day") as error:
        book(b, b.mentee, TUESDAY + dt.timedelta(hours=2))
    assert error.value.reason == "day_limit"
    # The next day is another day.
    book(b, b.mentee, TUESDAY + dt.timedelta(days=1))
    assert Session.objects.count() == 3


def test_a_weekly_limit_counts_monday_to_sunday(northwind, mentoring, ben):
    hours.booking_rules_set(program=mentoring, max_sessions_per_week=2)
    (match,) = mentees_of(ben, mentoring, 1)
    monday = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
    book(match, match.mentee, monday)
    book(match, match.mentee, monday + dt.timedelta(days=6))  # Sunday
    with pytest.raises(services.NotBookable, match="limit for that week"):
        book(match, match.mentee, monday + dt.timedelta(days=3))
    book(match, match.mentee, monday + dt.timedelta(days=7))  # next Monday


def test_buffers_keep_sessions_apart(northwind, mentoring, ben):
    hours.booking_rules_set(program=mentoring, buffer_before_minutes=15, buffer_after_minutes=15)
    a, b = mentees_of(ben, mentoring, 2)
    book(a, a.mentee, TUESDAY)
    with pytest.raises(services.NotBookable, match="too close to another session"):
        book(b, b.mentee, TUESDAY + dt.timedelta(minutes=30))
    book(b, b.mentee, TUESDAY + dt.timedelta(minutes=45))
    # The wizard agrees: a slot needs 15 minutes clear of Ben's sessions (09:00-09:30 and
    # 09:45-10:15) either side.
    wizard = availability.match_wizard(
        match=b,
        viewer=b.mentee,
        time_zone="UTC",
        duration=30,
        first_day=TUESDAY.date(),
        last_day=TUESDAY.date(),
        day=TUESDAY.date(),
        now=NOW,
    )
    bookable = {row.local.strftime("%H:%M") for row in wizard.slots if row.bookable}
    assert "08:15" in bookable and "08:30" not in bookable
    assert "10:15" not in bookable and "10:30" in bookable


def test_minimum_notice_and_the_booking_window(northwind, mentoring, ben):
    hours.booking_rules_set(program=mentoring, min_notice_minutes=24 * 60, booking_window_days=14)
    (match,) = mentees_of(ben, mentoring, 1)
    with pytest.raises(services.NotBookable, match=r"too soon \(minimum notice\)"):
        book(match, match.mentee, NOW + dt.timedelta(hours=23))
    with pytest.raises(services.NotBookable, match="beyond the booking window"):
        book(match, match.mentee, NOW + dt.timedelta(days=15))
    book(match, match.mentee, NOW + dt.timedelta(days=1))
    wizard = availability.match_wizard(
        match=match,
        viewer=match.mentee,
        time_zone="UTC",
        duration=30,
        first_day=NOW.date(),
        last_day=NOW.date() + dt.timedelta(days=20),
        now=NOW,
        every_day=True,
    )
    offered = [row.start for row in wizard.slots if row.bookable]
    assert min(offered) >= NOW + dt.timedelta(days=1)
    assert max(offered) <= NOW + dt.timedelta(days=14)


def test_an_organizations_defaults_apply_until_a_program_sets_its_own(northwind, mentoring, ben):
    hours.booking_rules_set(organization=northwind, max_sessions_per_day=1)
    (match,) = mentees_of(ben, mentoring, 1)
    book(match, match.mentee, TUESDAY)
    with pytest.raises(services.NotBookable, match="limit for that day"):
        book(match, match.mentee, TUESDAY + dt.timedelta(hours=1))
    hours.booking_rules_set(program=mentoring, max_sessions_per_day=3)
    book(match, match.mentee, TUESDAY + dt.timedelta(hours=1))


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"max_sessions_per_day": 0}, "at least 1"),
        ({"booking_window_days": 0}, "at least one day"),
        ({"buffer_before_minutes": -5}, "0 or more"),
        ({"min_notice_minutes": 20 * 24 * 60, "booking_window_days": 7}, "longer than"),
    ],
)
def test_nonsense_rules_are_refused_and_change_nothing(mentoring, rules, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        hours.booking_rules_set(program=mentoring, **rules)
    assert not hasattr(mentoring, "booking_rules") or mentoring.booking_rules.pk is None


ATTEMPTS = 50
CONNECTIONS = 25


def race(attempts: int, book_one) -> list[str]:
    barrier = threading.Barrier(attempts)
    gate = threading.BoundedSemaphore(CONNECTIONS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        barrier.wait()
        with gate:
            try:
                book_one(index)
                result = "booked"
            except services.BookingRefused as error:
                result = str(error)
            except Exception as error:
                result = f"error: {type(error).__name__}: {error}"
            finally:
                connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == attempts
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cap_of_two_a_day_holds_under_50_racing_bookings(northwind, ben):
    program = factories.one_to_one_program(northwind, allowed_durations=[15])
    hours.booking_rules_set(program=program, max_sessions_per_day=2)
    matches = mentees_of(ben, program, ATTEMPTS)
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)
    # Fifty different quarter hours of one day between 07:00 and 21:00: nothing overlaps, so
    # only the cap can refuse.
    starts = [
        dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC) + dt.timedelta(minutes=15 * i)
        for i in range(ATTEMPTS)
    ]

    def book_one(i: int) -> None:
        services.session_book(
            match_or_group=matches[i],
            start=starts[i],
            duration=15,
            booked_by=matches[i].mentee,
            time_zone="UTC",
        )

    outcomes = race(ATTEMPTS, book_one)
    assert outcomes.count("booked") == 2, [o for o in outcomes if o != "booked"][:3]
    refused = {o for o in outcomes if o != "booked"}
    assert refused == {"That time is Ben Example's limit for that day; choose another slot."}
    assert Session.objects.filter(session_participants__user=ben).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_racing_series_of_three_never_pass_a_target_of_six(northwind, ben):
    program = factories.one_to_one_program(northwind, target_sessions=6)
    (match,) = mentees_of(ben, program, 1)
    first = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )

    def book_one(i: int) -> None:
        # Each series at its own hour, so only the target can refuse.
        start = first + dt.timedelta(hours=i)
        services.session_series_book(
            match_or_group=match,
            starts=[start + dt.timedelta(weeks=w) for w in range(3)],
            frequency="weekly",
            duration=30,
            booked_by=match.mentee,
            time_zone="UTC",
        )

    outcomes = race(10, book_one)
    assert outcomes.count("booked") == 2, outcomes
    assert Session.objects.filter(match=match).count() == 6
    assert {o for o in outcomes if o != "booked"} <= {
        "Only 0 session(s) are left in this program.",
        "Only 3 session(s) are left in this program.",
    }
