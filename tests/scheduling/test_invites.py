"""Invites written into the booker's calendar (emulated Google and Microsoft): once, with the
conference link and every participant, updated on reschedule, deleted on cancel."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from calendars.models import OrganizationIntegration
from programs.models import Session
from scheduling import invites, services
from scheduling.models import SessionInvite
from tests.calendars.conftest import SERVICE_ACCOUNT, emulator, emulator_server  # noqa: F401

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")


def integrate_northwind(emulator, northwind) -> OrganizationIntegration:  # noqa: F811
    """Domain-wide Google integration for Northwind, as if IT had consented."""
    from calendars.providers.google import SCOPES

    emulator.control(
        "POST",
        "/delegations",
        {
            "domain": "northwind.example",
            "client_id": SERVICE_ACCOUNT["client_id"],
            "scopes": SCOPES,
        },
    )
    return OrganizationIntegration.objects.create(
        organization=northwind,
        provider="google",
        status=OrganizationIntegration.Status.ACTIVE,
        service_account_key=emulator.key_file(SERVICE_ACCOUNT["client_email"]),
        consented_at=timezone.now(),
    )


def next_weekday_slot() -> dt.datetime:
    """15:00 UTC (afternoon in London, morning in New York) two days ahead."""
    day = timezone.now() + dt.timedelta(days=2)
    return day.replace(hour=15, minute=0, second=0, microsecond=0)


def guest_copies(emulator, email: str, original_id: str):  # noqa: F811
    store = emulator.server.emulator.store
    calendar = store.primary_calendar(email)
    return [
        e
        for e in calendar.events.values()
        if not e.deleted and (e.id == original_id or (e.invited_from or ("", ""))[1] == original_id)
    ]


def written_events(emulator) -> list[dict]:  # noqa: F811
    answer = emulator.written()
    return answer["events"] if isinstance(answer, dict) else answer


def book(match, user, **kwargs):
    return services.session_book(
        match_or_group=match,
        start=next_weekday_slot(),
        duration=30,
        booked_by=user,
        time_zone="UTC",
        **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_it_writes_one_event_with_a_meet_link_into_both_calendars(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
    bob_mentor,
    mailoutbox,
):
    integrate_northwind(emulator, northwind)
    session = book(alice_and_bob, alice_mentee, conferencing=services.Conferencing(kind="video"))
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT, invite.last_error
    assert invite.channel == SessionInvite.Channel.CALENDAR
    session.refresh_from_db()
    assert "meet" in session.conference_url
    written = [e for e in written_events(emulator) if not e["deleted"]]
    assert len(written) == 1
    event = written[0]
    assert sorted(a["email"] for a in event["attendees"]) == [
        alice_mentee.email,
        bob_mentor.email,
    ]
    assert event["conference_link"] == session.conference_url
    assert guest_copies(emulator, bob_mentor.email, invite.event_id)
    assert guest_copies(emulator, alice_mentee.email, invite.event_id)
    assert mailoutbox == []  # the provider sends the invitation, not us


@pytest.mark.django_db(transaction=True)
def test_a_killed_and_retried_invite_task_makes_one_event(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
):
    integrate_northwind(emulator, northwind)
    real_save = SessionInvite.save
    crashed = {"done": False}

    def die_after_the_provider_answered(self, *args, **kwargs):
        # The worker dies after Google created the event but before we stored its id.
        if "event_id" in (kwargs.get("update_fields") or []) and not crashed["done"]:
            crashed["done"] = True
            raise SystemExit("worker killed")
        return real_save(self, *args, **kwargs)

    with (
        mock.patch.object(SessionInvite, "save", die_after_the_provider_answered),
        pytest.raises(SystemExit),
    ):
        book(alice_and_bob, alice_mentee)
    invite = SessionInvite.objects.get()
    assert invite.state == SessionInvite.State.PENDING
    assert invite.event_id == ""
    # The broker redelivers the unacknowledged task (acks_late): it runs again.
    invites.invite_deliver(invite_id=invite.pk)
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT
    written = written_events(emulator)
    assert len(written) == 1
    assert written[0]["id"] == invite.event_id


@pytest.mark.django_db(transaction=True)
def test_reschedule_updates_and_cancel_deletes_the_event(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
    bob_mentor,
):
    integrate_northwind(emulator, northwind)
    session = book(alice_and_bob, alice_mentee)
    new_start = session.start + dt.timedelta(days=1)
    services.session_reschedule(session=session, start=new_start, by=bob_mentor, time_zone="UTC")
    (event,) = written_events(emulator)
    assert dt.datetime.fromisoformat(event["start"]) == new_start
    services.session_cancel(session=Session.objects.get(), by=bob_mentor)
    (event,) = written_events(emulator)
    assert event["deleted"]
    assert SessionInvite.objects.get().state == SessionInvite.State.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_a_provider_outage_marks_the_invite_failed_and_retry_sends_it(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
):
    integrate_northwind(emulator, northwind)
    from calendars.errors import TemporaryProviderError

    with mock.patch(
        "calendars.providers.google.GoogleProvider.create_event",
        side_effect=TemporaryProviderError("503 from Google"),
    ):
        session = book(alice_and_bob, alice_mentee)
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.FAILED
    assert "503" in invite.last_error
    services.invite_retry(session=session, by=alice_mentee)
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT
    assert len(written_events(emulator)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_microsoft_booker_gets_one_event_with_a_teams_link(
    emulator,  # noqa: F811
    contoso,
    carol_outsider,
    mailoutbox,
):
    from programs import services as program_services
    from tests import factories
    from tests.calendars.conftest import CONTOSO_TENANT, MS_CLIENT

    emulator.control(
        "POST",
        "/admin-consents",
        {"client_id": MS_CLIENT["client_id"], "tenant": CONTOSO_TENANT},
    )
    OrganizationIntegration.objects.create(
        organization=contoso,
        provider="microsoft",
        status=OrganizationIntegration.Status.ACTIVE,
        tenant_id=CONTOSO_TENANT,
        consented_at=timezone.now(),
    )
    dan = factories.person(contoso, "dan")
    program = factories.one_to_one_program(
        contoso,
        starts_on=timezone.now().date(),
        ends_on=timezone.now().date() + dt.timedelta(days=60),
    )
    match = program_services.match_create(program=program, mentee=dan, mentor=carol_outsider)
    start = next_weekday_slot().replace(hour=10)  # 15:30 in Kolkata, 10:00 UTC for Dan
    session = services.session_book(
        match_or_group=match,
        start=start,
        duration=30,
        booked_by=dan,
        time_zone="UTC",
        conferencing=services.Conferencing(kind="video"),
    )
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT, invite.last_error
    assert invite.provider_name == "microsoft"
    session.refresh_from_db()
    assert "teams" in session.conference_url
    (event,) = [e for e in written_events(emulator) if not e["deleted"]]
    assert sorted(a["email"] for a in event["attendees"]) == [carol_outsider.email, dan.email]
    assert event["transaction_id"]  # Graph's idempotency key
    assert mailoutbox == []
