"""A program with known outcomes, viewed from Toronto, and the people who may or may not see it.

March 2026 in Toronto runs from 2026-03-01 05:00 UTC to 2026-04-01 04:00 UTC (EST, then EDT
from 8 March), so the last day's late evening is already April in UTC.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from calendars.models import CalendarConnection, OrganizationIntegration
from programs import services
from programs.models import Match, Membership, Session, SessionParticipant
from programs.roles import OrganizationRole
from tests import factories

UTC = dt.UTC
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def matched(program, mentee, mentor, when: dt.datetime) -> Match:
    match = services.match_create(program=program, mentee=mentee, mentor=mentor)
    Match.objects.filter(pk=match.pk).update(matched_at=when)
    match.refresh_from_db()
    return match


def session(*, match=None, group=None, start, status="scheduled", origin="platform", people=()):
    program = match.program if match else group.program
    created = Session.objects.create(
        program=program,
        match=match,
        group=group,
        start=start,
        end=start + dt.timedelta(minutes=60),
        duration_minutes=60,
        status=status,
        origin=origin,
    )
    SessionParticipant.objects.bulk_create(
        [SessionParticipant(session=created, user=person) for person in people]
    )
    return created


def report_url(program) -> str:
    return reverse("admin:reporting_programreport_change", args=[program.pk])


@pytest.fixture(autouse=True)
def _after_the_period(time_machine):
    # "Waiting since matched" counts up to now or the period's end; fix now well after March.
    time_machine.move_to(at(2026, 6, 1, 12, 0), tick=False)


@pytest.fixture
def priya_staff(client, priya_admin, mentoring):
    services.membership_add(program=mentoring, user=priya_admin, role=Membership.Role.ADMIN)
    client.force_login(priya_admin)
    return client


@pytest.fixture
def carol_staff(client, carol_outsider):
    # Contoso's organization admin: every Contoso program and report, nothing of Northwind's.
    services.organization_roles_set(
        user=carol_outsider, roles_held={OrganizationRole.ADMIN}, granted_by=None
    )
    client.force_login(carol_outsider)
    return client


@pytest.fixture
def root_client(client, db):
    from programs.models import User

    root = User.objects.create_superuser("root@together.example", "pw", time_zone="America/Toronto")
    client.force_login(root)
    return client


@pytest.fixture
def contoso_program(contoso, carol_outsider):
    program = factories.one_to_one_program(contoso, name="Contoso Mentoring")
    dave = factories.person(contoso, "dave")
    match = matched(program, carol_outsider, dave, at(2026, 3, 2, 9, 0))
    session(match=match, start=at(2026, 3, 3, 15, 0), status="completed")
    return program


@pytest.fixture
def march(northwind, mentoring, alice_mentee, bob_mentor):
    """Mentoring (target 3) with three matches whose March outcomes are known.

    - alice & bob (matched 1 Mar): completed on day 4, a cancellation and the rebooked session
      → 2 live sessions, short of the target.
    - cara & dan (matched 20 Feb): first session at 23:30 on 28 Feb Toronto time (before the
      period, day 8), one held outside and marked done, one booked for 23:30 on 31 March
      Toronto time (inside) → 3 live sessions, at target; and one at 00:30 on 1 April Toronto
      time (after the period).
    - erin & frank (matched 10 Mar): only a cancelled session, so no session yet.
    Integration: Northwind's domain-wide integration covers northwind.example; dan and frank
    use partner addresses with their own connections; erin's connection needs reconnect.
    """
    mentoring.target_sessions = 3
    mentoring.save(update_fields=["target_sessions"])
    cara = factories.person(northwind, "cara")
    partner = "northwind-partners.example"
    dan, erin, frank = (
        services.user_create(email=f"{n}@{partner}", organization=northwind, time_zone="UTC")
        for n in ("dan", "erin", "frank")
    )
    OrganizationIntegration.objects.create(
        organization=northwind, provider="google", status=OrganizationIntegration.Status.ACTIVE
    )
    for person, status in [
        (bob_mentor, "active"),  # covered by the organization anyway: organization wins
        (dan, "active"),
        (frank, "active"),
        (erin, "needs_reconnect"),
    ]:
        CalendarConnection.objects.create(
            user=person, provider="google", account_email=person.email, status=status
        )

    alice_bob = matched(mentoring, alice_mentee, bob_mentor, at(2026, 3, 1, 10, 0))
    session(match=alice_bob, start=at(2026, 3, 5, 15, 0), status="completed")
    session(match=alice_bob, start=at(2026, 3, 10, 15, 0), status="cancelled")
    session(match=alice_bob, start=at(2026, 3, 12, 15, 0))  # the rebooked one

    cara_dan = matched(mentoring, cara, dan, at(2026, 2, 20, 10, 0))
    session(match=cara_dan, start=at(2026, 3, 25, 15, 0), status="completed", origin="outside")
    session(match=cara_dan, start=at(2026, 4, 1, 3, 30))  # 31 Mar 23:30 in Toronto
    session(match=cara_dan, start=at(2026, 4, 1, 4, 30))  # 1 Apr 00:30 in Toronto
    session(match=cara_dan, start=at(2026, 3, 1, 4, 30))  # 28 Feb 23:30 in Toronto

    erin_frank = matched(mentoring, erin, frank, at(2026, 3, 10, 10, 0))
    session(match=erin_frank, start=at(2026, 3, 15, 15, 0), status="cancelled")
    return mentoring
