"""Every figure of the report, checked against programs whose outcomes are known."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from programs.models import Session
from reporting import selectors
from reporting.periods import ReportPeriod
from tests import factories
from tests.reporting.conftest import MARCH, at, report_url, session

TORONTO = ZoneInfo("America/Toronto")


def march_in_toronto() -> ReportPeriod:
    return ReportPeriod(dt.date(2026, 3, 1), dt.date(2026, 3, 31), TORONTO)


def test_the_period_is_whole_local_days():
    period = march_in_toronto()
    assert period.start_at == at(2026, 3, 1, 5, 0)
    assert period.end_at == at(2026, 4, 1, 4, 0)  # EDT by then


def test_it_counts_participants_by_role(march):
    figures = selectors.program_figures(march, march_in_toronto())
    assert figures.participants_by_role == {"mentee": 3, "mentor": 3, "admin": 0}
    assert figures.participant_count == 6


def test_it_counts_sessions_by_kind_in_local_days(march):
    totals = selectors.program_figures(march, march_in_toronto()).sessions
    # Booked: 5 Mar, the rebooked 12 Mar and 23:30 on 31 Mar Toronto (already 1 Apr in UTC);
    # not 23:30 on 28 Feb nor 00:30 on 1 Apr Toronto time.
    assert totals.booked == 3
    assert totals.outside == 1
    assert totals.cancelled == 2  # the one rebooked, and erin & frank's
    assert totals.completed == 2
    assert totals.scheduled == 2
    assert totals.platform_share == pytest.approx(0.75)


def test_a_cancelled_then_rebooked_session_counts_once_each_way(alice_and_bob):
    first = session(match=alice_and_bob, start=at(2026, 3, 5, 15, 0), status="cancelled")
    session(match=alice_and_bob, start=first.start + dt.timedelta(days=1))
    period = ReportPeriod(dt.date(2026, 3, 1), dt.date(2026, 3, 31), ZoneInfo("UTC"))
    totals = selectors.session_totals(alice_and_bob.program, period)
    assert (totals.booked, totals.cancelled, totals.platform_share) == (1, 1, 1.0)


def test_it_reports_matches_and_the_ones_still_waiting(march):
    figures = selectors.program_figures(march, march_in_toronto())
    assert figures.match_count == 3
    assert [m.match_id for m in figures.matches_without_session] == [
        m.pk for m in march.matches.filter(mentee__email__startswith="erin")
    ]
    # Matched 10 Mar 10:00 UTC, counted until the period's end (1 Apr 04:00 UTC).
    assert figures.longest_wait_days == 21


def test_it_reports_time_to_first_session(march):
    figures = selectors.program_figures(march, march_in_toronto())
    assert figures.median_days_to_first_session == 6  # days 4 and 8
    assert {b.slug: b.count for b in figures.first_session_buckets} == {
        "0-7": 1,
        "8-14": 1,
        "15-30": 0,
        "31-60": 0,
        "over-60": 0,
        "none": 1,
    }


def test_it_reports_sessions_per_match_against_the_target(march):
    figures = selectors.program_figures(march, march_in_toronto())
    assert [(b.label, b.count) for b in figures.sessions_per_match_buckets] == [
        ("0 sessions", 1),
        ("1–2 sessions", 1),
        ("3 or more (target)", 1),
    ]
    assert figures.average_sessions_per_match == pytest.approx(5 / 3)


def test_it_reports_integration_adoption_with_the_organization_winning(march):
    figures = selectors.program_figures(march, march_in_toronto())
    assert figures.users_by_adoption == {"organization": 3, "individual": 2, "none": 1}
    assert figures.matches_by_adoption == {"both": 2, "one": 1, "neither": 0}
    assert figures.connections_needing_reconnect == 1


def test_it_puts_sessions_in_local_weeks(march):
    figures = selectors.program_figures(march, march_in_toronto())
    assert figures.timeline_unit == "week"
    assert [(p.starts_on.isoformat(), p.booked, p.outside) for p in figures.timeline] == [
        ("2026-02-23", 0, 0),
        ("2026-03-02", 1, 0),
        ("2026-03-09", 1, 0),
        ("2026-03-16", 0, 0),
        ("2026-03-23", 0, 1),
        ("2026-03-30", 1, 0),  # 31 Mar 23:30 Toronto, 1 Apr in UTC
    ]


def test_a_long_period_is_shown_by_month(march):
    year = ReportPeriod(dt.date(2026, 1, 1), dt.date(2026, 12, 31), TORONTO)
    figures = selectors.program_figures(march, year)
    assert figures.timeline_unit == "month"
    by_month = {p.starts_on.month: (p.booked, p.outside) for p in figures.timeline}
    assert len(by_month) == 12
    assert by_month[2] == (1, 0)  # 28 Feb 23:30 Toronto
    assert by_month[3] == (3, 1)
    assert by_month[4] == (1, 0)


def test_an_empty_program_reports_zeros_not_errors(northwind, priya_staff, priya_admin):
    from programs import services

    empty = factories.one_to_one_program(northwind, name="Empty")
    services.membership_add(program=empty, user=priya_admin, role="admin")
    figures = selectors.program_figures(empty, march_in_toronto())
    assert figures.match_count == 0
    assert figures.sessions.platform_share is None
    assert figures.median_days_to_first_session is None
    assert figures.longest_wait_days is None
    assert figures.average_sessions_per_match is None
    assert figures.users_by_adoption == {"organization": 0, "individual": 0, "none": 0}
    page = priya_staff.get(report_url(empty), MARCH)
    assert page.status_code == 200


def test_it_reports_group_attendance(northwind):
    circles = factories.group_program(northwind)
    gina, hal, ivy = (factories.person(northwind, n) for n in ("gina", "hal", "ivy"))
    from programs import services

    tuesday = services.group_create(
        program=circles, name="Tuesday circle", facilitator=gina, members=[hal, ivy]
    )
    services.group_create(program=circles, name="Quiet circle", facilitator=hal, members=[ivy])
    session(group=tuesday, start=at(2026, 3, 3, 17), status="completed", people=[gina, hal, ivy])
    session(group=tuesday, start=at(2026, 3, 10, 17), status="completed", people=[gina, hal])
    session(group=tuesday, start=at(2026, 3, 17, 17), status="cancelled", people=[gina, hal])
    session(group=tuesday, start=at(2026, 4, 7, 17), status="completed", people=[gina])
    figures = selectors.program_figures(circles, march_in_toronto())
    rows = {g.name: (g.members, g.held, g.seats, g.average_attendance) for g in figures.groups}
    assert rows == {"Quiet circle": (2, 0, 0, None), "Tuesday circle": (3, 2, 5, 2.5)}
    assert figures.sessions.completed == 2
    assert figures.sessions.cancelled == 1


def test_the_page_shows_the_figures_and_explains_them(march, priya_staff):
    page = priya_staff.get(report_url(march), MARCH)
    text = page.content.decode()
    assert page.status_code == 200
    assert "75%" in text
    assert "America/Toronto" in text
    assert "counts once as cancelled and once as booked" in text
    assert "<svg" in text


def test_it_defaults_to_the_programs_whole_run(march, priya_staff):
    page = priya_staff.get(report_url(march))
    assert page.context["period"].first_day == march.starts_on
    assert page.context["period"].last_day == march.ends_on


def test_it_refuses_an_end_before_the_start(march, priya_staff):
    page = priya_staff.get(report_url(march), {"start": "2026-03-31", "end": "2026-03-01"})
    assert page.status_code == 200
    assert "must not be before" in page.content.decode()


def test_session_kinds_cover_every_status():
    assert set(selectors.LIVE_STATUSES) | {Session.Status.CANCELLED} == set(Session.Status.values)


def test_the_one_pass_totals_agree_with_the_plain_definition(march):
    period = march_in_toronto()
    totals, _timeline = selectors.sessions_counted(march, period)
    assert totals == selectors.session_totals(march, period)


def test_weeks_turn_at_local_midnight_in_a_half_hour_zone(alice_and_bob):
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+5:30: local midnight is 18:30 UTC
    session(match=alice_and_bob, start=at(2026, 3, 8, 18, 20))  # Sun 8 Mar 23:50 local
    session(match=alice_and_bob, start=at(2026, 3, 8, 18, 40))  # Mon 9 Mar 00:10 local
    period = ReportPeriod(dt.date(2026, 3, 2), dt.date(2026, 3, 15), kolkata)
    _totals, timeline = selectors.sessions_counted(alice_and_bob.program, period)
    assert [(p.starts_on.isoformat(), p.booked) for p in timeline] == [
        ("2026-03-02", 1),
        ("2026-03-09", 1),
    ]
