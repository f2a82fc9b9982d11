"""The report costs a fixed number of queries however large the program: no per-row queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import Match, Membership, Session, User
from tests import factories
from tests.reporting.conftest import at

REPORT_QUERY_BUDGET = 20  # ~10 for the figures; the rest is admin's session, user and perms


def grow(program, matches: int, sessions_each: int) -> None:
    """Add matches and sessions in bulk, like the benchmark does at full size."""
    org = program.organization
    base = User.objects.count()
    people = User.objects.bulk_create(
        User(email=f"p{base + i}@northwind.example", organization=org) for i in range(2 * matches)
    )
    Membership.objects.bulk_create(
        Membership(program=program, user=u, role="mentee" if i % 2 == 0 else "mentor")
        for i, u in enumerate(people)
    )
    made = Match.objects.bulk_create(
        Match(
            program=program,
            mentee=people[2 * i],
            mentor=people[2 * i + 1],
            matched_at=at(2026, 2, 1),
        )
        for i in range(matches)
    )
    statuses = ["completed", "scheduled", "cancelled"]
    Session.objects.bulk_create(
        Session(
            program=program,
            match=m,
            start=at(2026, 3, 1 + (j % 28), 15),
            end=at(2026, 3, 1 + (j % 28), 16),
            duration_minutes=60,
            status=statuses[j % 3],
            origin="outside" if j % 5 == 0 else "platform",
        )
        for i, m in enumerate(made)
        for j in range(sessions_each if i % 4 else 0)  # every 4th match still waiting
    )


def count_queries(client, url, params=None) -> int:
    # Measured warm, as any request after the first: with Redis the signed-in person's row
    # comes from the cache once the first request has put it there (programs.user_cache).
    client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def small_and_large(northwind, priya_admin):
    from programs import services

    small = factories.one_to_one_program(northwind, name="Small")
    large = factories.one_to_one_program(northwind, name="Large")
    for program in (small, large):  # Priya reads the reports of programs she administers
        services.membership_add(program=program, user=priya_admin, role="admin")
    grow(small, matches=3, sessions_each=2)
    grow(large, matches=60, sessions_each=10)
    return small, large


@pytest.mark.parametrize(
    "view, args",
    [
        ("admin:reporting_programreport_change", []),
        ("admin:reporting_programreport_drilldown", ["matches"]),
        ("admin:reporting_programreport_drilldown", ["sessions-booked"]),
        ("admin:reporting_programreport_drilldown", ["people-none"]),
        ("admin:reporting_programreport_csv", ["sessions"]),
        ("admin:reporting_programreport_csv", ["matches"]),
        ("admin:reporting_programreport_csv", ["sessions-completed"]),
    ],
)
def test_its_query_count_does_not_grow_with_the_program(priya_staff, small_and_large, view, args):
    small, large = small_and_large
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    small_count = count_queries(priya_staff, reverse(view, args=[small.pk, *args]), march)
    large_count = count_queries(priya_staff, reverse(view, args=[large.pk, *args]), march)
    assert large_count == small_count
    assert large_count <= REPORT_QUERY_BUDGET


def test_the_report_page_stays_within_its_query_budget(
    priya_staff, small_and_large, django_assert_max_num_queries
):
    _small, large = small_and_large
    with django_assert_max_num_queries(REPORT_QUERY_BUDGET):
        priya_staff.get(reverse("admin:reporting_programreport_change", args=[large.pk]))


def test_the_comparison_list_does_not_query_per_program(priya_staff, small_and_large, northwind):
    url = reverse("admin:reporting_programreport_changelist")
    before = count_queries(priya_staff, url)
    for n in range(5):
        factories.one_to_one_program(northwind, name=f"Extra {n}", starts_on=dt.date(2026, 1, 1))
    assert count_queries(priya_staff, url) == before
