"""One integration state per person, shown the same everywhere, and invites that never wait
for something nobody will fix (emulated Google Workspace, real HTTP).

Jamal is a Northwind member the organization's service account cannot see (Google knows no
such user): My Calendar, the wizard, his To-Dos, the report and his invites must all say so,
and his invites go out by email. Then the disconnect / reconnect case: an invite written through
an organization's grant that was disconnected (and connected again) still goes out, and what a
person reads is a sentence, never an exception's text.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import MemberSync
from programs import services as programs_services
from programs.models import Session
from reporting import selectors as report_selectors
from reporting.periods import ReportPeriod
from scheduling import services
from scheduling.models import SessionInvite
from tests import factories
from tests.calendars.conftest import (  # noqa: F401
    BASE_FIXTURE,
    emulator,
    emulator_server,
    priya_it,
)
from tests.calendars.test_domain_wide import connect_google_workspace
from tests.scheduling.test_invites import integrate_northwind, written_events

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")

# Isla has a Google Workspace account; Jamal, at the same domain, has none.
FIXTURE = copy.deepcopy(BASE_FIXTURE)
FIXTURE["accounts"].append({"email": "isla@northwind.example", "time_zone": "Pacific/Auckland"})

RAW = (
    "Expecting value",
    "Traceback",
    "Error:",
    "invalid_grant",
    "notFound",
    "Google 4",
    "Google 5",
)


@pytest.fixture
def world(emulator, northwind):  # noqa: F811
    emulator.reset(FIXTURE)
    jamal = factories.person(northwind, "jamal", time_zone="America/Los_Angeles")
    isla = factories.person(northwind, "isla", time_zone="Pacific/Auckland")
    today = timezone.now().date()
    program = factories.one_to_one_program(
        northwind, starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=90)
    )
    match = programs_services.match_create(program=program, mentee=jamal, mentor=isla)
    return jamal, isla, program, match


def slot() -> dt.datetime:
    """19:30 UTC two days ahead: late morning in Los Angeles, early morning in Auckland."""
    day = timezone.now() + dt.timedelta(days=2)
    return day.replace(hour=19, minute=30, second=0, microsecond=0)


def page(client, user, name: str, *args) -> str:
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def ics_emails(mailoutbox, email: str) -> list:
    return [
        m
        for m in mailoutbox
        if m.to == [email] and any(a[0].endswith(".ics") for a in m.attachments)
    ]


def assert_no_raw_error(html: str) -> None:
    for raw in RAW:
        assert raw not in html, raw


@pytest.mark.django_db(transaction=True)
def test_a_member_the_organization_cannot_reach_is_shown_the_same_everywhere_and_gets_ics(
    emulator,  # noqa: F811
    client,
    priya_it,  # noqa: F811
    world,
    mailoutbox,
):
    jamal, isla, program, match = world
    connect_google_workspace(client, emulator, priya_it)
    assert MemberSync.objects.get(user=jamal).ok is False  # the sync could not find him
    assert MemberSync.objects.get(user=isla).ok is True

    # My Calendar: Isla has nothing to set up; Jamal is told what is wrong and what to do.
    mine = page(client, jamal, "calendars:my_calendar")
    assert "nothing for you to set up" not in mine
    assert "Connected by your organization" not in mine
    assert "cannot find a calendar for jamal@northwind.example" in mine
    assert "Connect Google" in mine and "Connect Outlook" in mine
    hers = page(client, isla, "calendars:my_calendar")
    assert "Connected by your organization via Google" in hers
    assert "nothing for you to set up" in hers

    # The wizard: no insight and no automatic Meet link for Jamal; Isla sees her own.
    wizard = page(client, jamal, "match_book", match.pk)
    assert 'data-insight="none"' in wizard
    assert "added automatically" not in wizard
    assert re.search(r'value="video"[^>]*disabled', wizard)
    wizard = page(client, isla, "match_book", match.pk)
    assert 'data-insight="viewer_only"' in wizard
    assert "Google Meet, added automatically" in wizard

    # Home: a To-Do for Jamal with the same sentence; none for Isla.
    home = page(client, jamal, "home")
    assert "Your calendar is not connected" in home
    assert "cannot find a calendar for jamal@northwind.example" in home
    assert "Your calendar is not connected" not in page(client, isla, "home")

    # The report counts Jamal as not integrated, so the match as one-sided.
    today = timezone.now().date()
    period = ReportPeriod(today - dt.timedelta(days=1), today + dt.timedelta(days=1), dt.UTC)
    figures = report_selectors.program_figures(program, period)
    assert figures.users_by_adoption == {"organization": 1, "individual": 0, "none": 1}
    assert figures.matches_by_adoption == {"both": 0, "one": 1, "neither": 0}

    # Jamal books: nothing can be written to his calendar, so everyone gets the .ics email.
    session = services.session_book(
        match_or_group=match, start=slot(), duration=30, booked_by=jamal
    )
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT
    assert invite.channel == SessionInvite.Channel.ICS
    assert "Jamal Example's Google calendar" in invite.notice
    assert written_events(emulator) == []
    assert len(ics_emails(mailoutbox, jamal.email)) == 1
    assert len(ics_emails(mailoutbox, isla.email)) == 1
    shown = page(client, isla, "session_detail", session.pk)
    assert "Invite sent" in shown and "by email with a calendar file" in shown
    assert "Jamal Example&#x27;s Google calendar" in shown
    assert_no_raw_error(shown)


@pytest.mark.django_db(transaction=True)
def test_a_write_google_refuses_for_an_unknown_member_falls_back_to_ics_instead_of_waiting(
    emulator,  # noqa: F811
    client,
    northwind,
    world,
    mailoutbox,
):
    jamal, isla, program, match = world
    # The grant is new and has not synced yet, so nothing says Jamal is missing until
    # Google refuses to impersonate him when the invite is written.
    integrate_northwind(emulator, northwind)
    session = services.session_book(
        match_or_group=match, start=slot(), duration=30, booked_by=jamal
    )
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT, (invite.notice, invite.last_error)
    assert invite.channel == SessionInvite.Channel.ICS
    assert not invite.waiting_for
    assert "could not add this session to Jamal Example's Google calendar" in invite.notice
    assert "everyone was sent an email invite" in invite.notice
    assert invite.last_error  # what Google said, for operators
    assert len(ics_emails(mailoutbox, jamal.email)) == 1
    assert len(ics_emails(mailoutbox, isla.email)) == 1
    # The email says why it came by email.
    assert "could not add this session" in ics_emails(mailoutbox, isla.email)[0].body
    shown = page(client, jamal, "session_detail", session.pk)
    assert "Invite sent" in shown and "waiting for" not in shown
    assert_no_raw_error(shown)


def book_alice(alice_and_bob, alice_mentee) -> Session:
    return services.session_book(
        match_or_group=alice_and_bob,
        start=(timezone.now() + dt.timedelta(days=2)).replace(
            hour=15, minute=0, second=0, microsecond=0
        ),
        duration=30,
        booked_by=alice_mentee,
        time_zone="UTC",
    )


@pytest.mark.django_db(transaction=True)
def test_an_invite_still_goes_out_after_the_organization_disconnects_and_reconnects(
    emulator,  # noqa: F811
    client,
    northwind,
    alice_and_bob,
    alice_mentee,
    bob_mentor,
    mailoutbox,
):
    integration = integrate_northwind(emulator, northwind)
    session = book_alice(alice_and_bob, alice_mentee)
    assert SessionInvite.objects.get(session=session).state == SessionInvite.State.SENT
    calendar_services.organization_disconnect(integration=integration)
    integrate_northwind(emulator, northwind)  # IT connects again: a new integration

    moved = session.start + dt.timedelta(hours=1)
    services.session_reschedule(session=session, start=moved, by=alice_mentee, time_zone="UTC")
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT, (invite.notice, invite.last_error)
    assert invite.channel == SessionInvite.Channel.CALENDAR
    # Still the one event, moved, written through the new grant.
    [event] = [e for e in written_events(emulator) if not e["deleted"]]
    assert dt.datetime.fromisoformat(event["start"]) == moved
    assert mailoutbox == []
    assert_no_raw_error(page(client, bob_mentor, "session_detail", session.pk))


@pytest.mark.django_db(transaction=True)
def test_an_invite_whose_organization_was_disconnected_goes_by_email_and_says_so(
    emulator,  # noqa: F811
    client,
    northwind,
    alice_and_bob,
    alice_mentee,
    bob_mentor,
    mailoutbox,
):
    integration = integrate_northwind(emulator, northwind)
    session = book_alice(alice_and_bob, alice_mentee)
    calendar_services.organization_disconnect(integration=integration)

    services.session_reschedule(
        session=session, start=session.start + dt.timedelta(hours=1), by=alice_mentee
    )
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT, (invite.notice, invite.last_error)
    assert invite.channel == SessionInvite.Channel.ICS
    assert "everyone was sent an email invite" in invite.notice
    assert len(ics_emails(mailoutbox, alice_mentee.email)) == 1
    assert len(ics_emails(mailoutbox, bob_mentor.email)) == 1
    shown = page(client, bob_mentor, "session_detail", session.pk)
    assert "everyone was sent an email invite" in shown
    assert_no_raw_error(shown)


@pytest.mark.django_db(transaction=True)
def test_an_unexpected_error_reads_as_a_sentence_and_retry_sends_the_invite(
    emulator,  # noqa: F811
    client,
    northwind,
    alice_and_bob,
    alice_mentee,
    bob_mentor,
):
    integrate_northwind(emulator, northwind)
    with mock.patch(
        "calendars.providers.google.GoogleProvider.create_event",
        autospec=True,
        side_effect=ValueError("Expecting value: line 1 column 1 (char 0)"),
    ):
        session = book_alice(alice_and_bob, alice_mentee)
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.FAILED
    assert "Expecting value" in invite.last_error  # for operators
    shown = page(client, bob_mentor, "session_detail", session.pk)
    assert "Invite failed" in shown and "Press Retry to try again" in shown
    assert_no_raw_error(shown)

    client.force_login(bob_mentor)
    client.post(reverse("invite_retry", args=[session.pk]))
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT, (invite.notice, invite.last_error)
    assert len([e for e in written_events(emulator) if not e["deleted"]]) == 1
    assert "Invite sent" in page(client, bob_mentor, "session_detail", session.pk)


@pytest.mark.django_db(transaction=True)
def test_retry_sends_an_invite_stuck_pending(
    emulator,  # noqa: F811
    client,
    northwind,
    alice_and_bob,
    alice_mentee,
    bob_mentor,
):
    integrate_northwind(emulator, northwind)
    with mock.patch("scheduling.tasks.invite_deliver.delay", autospec=True):
        session = book_alice(alice_and_bob, alice_mentee)  # the worker never picks it up
    SessionInvite.objects.filter(session=session).update(
        updated_at=timezone.now() - dt.timedelta(minutes=10)
    )
    shown = page(client, bob_mentor, "session_detail", session.pk)
    assert "Invite pending" in shown and "still sending" in shown
    assert reverse("invite_retry", args=[session.pk]) in shown

    client.force_login(bob_mentor)
    client.post(reverse("invite_retry", args=[session.pk]))
    assert SessionInvite.objects.get(session=session).state == SessionInvite.State.SENT
    assert len([e for e in written_events(emulator) if not e["deleted"]]) == 1


def test_an_invite_waits_for_a_revoked_calendar_only_once_the_booker_is_asked_to_reconnect(
    emulator,  # noqa: F811
    client,
    alice_and_bob,
    alice_mentee,
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from calendars.models import CalendarConnection
    from tests.calendars.test_google_individual import ALICE, connect_google

    client.force_login(alice_mentee)
    connect_google(client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    # Google revokes the grant; the next write finds out when it refreshes the token.
    emulator.control("POST", "/faults", {"kind": "revoke_tokens", "account": ALICE})
    emulator.control("POST", "/faults", {"kind": "expire_access_tokens", "account": ALICE})
    CalendarConnection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session = book_alice(alice_and_bob, alice_mentee)
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.PENDING
    assert invite.waiting_for == SessionInvite.WaitingFor.BOOKER
    # She is asked: the connection is marked, with a To-Do and an "Action required" email.
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NEEDS_RECONNECT
    assert [m.subject for m in mail.outbox] == [
        "Action required: reconnect your calendar to Together"
    ]
    assert "Reconnect your calendar" in page(client, alice_mentee, "home")
    shown = page(client, alice_mentee, "session_detail", session.pk)
    assert "waiting for you to" in shown
    assert_no_raw_error(shown)

    # Reconnecting sends it, into her calendar.
    connect_google(client, emulator)
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT, (invite.notice, invite.last_error)
    assert invite.channel == SessionInvite.Channel.CALENDAR
    assert len([e for e in written_events(emulator) if not e["deleted"]]) == 1
