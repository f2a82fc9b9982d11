"""Invites are never lost, stuck or left stale: a write whose answer was lost converges on the
session as it is now (moved or cancelled), a message the broker lost is swept up, a reconnect
sends what waited, and calendars/ tells scheduling/ through a hook instead of importing it.

Emulated Google Workspace and Microsoft 365 over real HTTP, the real client libraries.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import http.client
import smtplib
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.core.mail.backends import locmem
from django.db import DatabaseError
from django.utils import timezone
from googleapiclient.http import HttpRequest

from calendars.models import CalendarConnection, OrganizationIntegration
from programs.models import Session
from scheduling import invites, services, tasks
from scheduling.models import SessionInvite
from tests.calendars.conftest import CONTOSO_TENANT, MS_CLIENT, emulator, emulator_server  # noqa: F401
from tests.scheduling.test_invites import book, integrate_northwind, written_events

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")

NOT_DELIVERED = "scheduling.tasks.invite_deliver.delay"


def live(emulator) -> list[dict]:  # noqa: F811
    return [e for e in written_events(emulator) if not e["deleted"]]


def deliver_once(invite: SessionInvite) -> None:
    """One attempt by a worker that will come back later (not the final one)."""
    with contextlib.suppress(invites.InviteTemporaryFailure):
        invites.invite_deliver(invite_id=invite.pk, final_attempt=False)


def lose_the_answer_to_the_first_insert():
    """Google inserts the event, then the connection drops mid-answer (IncompleteRead)."""
    real = HttpRequest.execute
    lost = {"done": False}

    def execute(self, *args, **kwargs):
        answer = real(self, *args, **kwargs)
        if self.method == "POST" and "/events" in self.uri and not lost["done"]:
            lost["done"] = True
            raise http.client.IncompleteRead(b"")
        return answer

    return mock.patch.object(HttpRequest, "execute", execute)


def test_calendars_never_imports_scheduling():
    importers = []
    for path in Path("calendars").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n == "scheduling" or n.startswith("scheduling.") for n in names):
                importers.append(str(path))
    assert importers == []


@pytest.mark.django_db(transaction=True)
def test_a_dropped_answer_after_a_google_insert_is_retried_and_makes_one_event(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
):
    integrate_northwind(emulator, northwind)
    with mock.patch(NOT_DELIVERED, autospec=True):
        session = book(alice_and_bob, alice_mentee)
    invite = SessionInvite.objects.get(session=session)
    with lose_the_answer_to_the_first_insert():
        deliver_once(invite)
    invite.refresh_from_db()
    # Not a silent pending: a temporary failure people can read, and the task will retry.
    assert invite.state == SessionInvite.State.PENDING
    assert "IncompleteRead" in invite.last_error and "keeps trying" in invite.notice
    assert len(live(emulator)) == 1 and invite.event_id == ""

    deliver_once(invite)
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT
    (event,) = live(emulator)
    assert event["id"] == invite.event_id


@pytest.mark.django_db(transaction=True)
def test_a_reschedule_after_a_lost_google_create_moves_the_event(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
    bob_mentor,
):
    integrate_northwind(emulator, northwind)
    with mock.patch(NOT_DELIVERED, autospec=True):
        session = book(alice_and_bob, alice_mentee)
        invite = SessionInvite.objects.get(session=session)
        with lose_the_answer_to_the_first_insert():
            deliver_once(invite)
        new_start = session.start + dt.timedelta(days=1, hours=1)
        services.session_reschedule(
            session=session, start=new_start, by=bob_mentor, time_zone="UTC"
        )
    deliver_once(invite)
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT, (invite.notice, invite.last_error)
    (event,) = live(emulator)
    assert dt.datetime.fromisoformat(event["start"]) == new_start


@pytest.mark.django_db(transaction=True)
def test_a_cancel_after_a_lost_google_create_takes_the_event_back(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
    bob_mentor,
):
    integrate_northwind(emulator, northwind)
    with mock.patch(NOT_DELIVERED, autospec=True):
        session = book(alice_and_bob, alice_mentee)
        invite = SessionInvite.objects.get(session=session)
        with lose_the_answer_to_the_first_insert():
            deliver_once(invite)
        assert len(live(emulator)) == 1
        services.session_cancel(session=session, by=bob_mentor)
    deliver_once(invite)
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.CANCELLED, (invite.notice, invite.last_error)
    assert live(emulator) == []


@pytest.mark.django_db(transaction=True)
def test_a_reschedule_after_a_lost_microsoft_create_moves_the_event(
    emulator,  # noqa: F811
    contoso,
    carol_outsider,
):
    from programs import services as program_services
    from tests import factories

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
    with mock.patch(NOT_DELIVERED, autospec=True):
        session = book(match, carol_outsider)
        invite = SessionInvite.objects.get(session=session)
        # Graph creates the event and the answer never arrives (the connection is dropped).
        emulator.fault(
            kind="timeout_after_write", times=1, mode="drop", account="carol@contoso.example"
        )
        deliver_once(invite)
        invite.refresh_from_db()
        assert invite.event_id == "" and len(live(emulator)) == 1
        new_start = session.start + dt.timedelta(days=2)
        services.session_reschedule(session=session, start=new_start, by=dan, time_zone="UTC")
    deliver_once(invite)
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT, (invite.notice, invite.last_error)
    (event,) = live(emulator)
    assert dt.datetime.fromisoformat(event["start"]) == new_start


@pytest.mark.django_db(transaction=True)
def test_the_sweep_sends_an_invite_whose_message_the_broker_lost(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
    settings,
):
    integrate_northwind(emulator, northwind)
    with mock.patch(NOT_DELIVERED, autospec=True):  # Redis died with the message in it
        session = book(alice_and_bob, alice_mentee)
    invite = SessionInvite.objects.get(session=session)
    # Too early: it may still be on its way (or waiting for its retry).
    assert services.invites_sweep() == 0
    later = timezone.now() + dt.timedelta(seconds=settings.INVITE_STUCK_AFTER_SECONDS + 60)
    with time_machine.travel(later, tick=False):
        assert services.invites_sweep() == 1
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT
    assert len(live(emulator)) == 1
    # Done is done: the next sweep finds nothing.
    with time_machine.travel(later + dt.timedelta(hours=1), tick=False):
        assert services.invites_sweep() == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_an_invite_that_waits_for_a_reconnect(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
    settings,
):
    integrate_northwind(emulator, northwind)
    with mock.patch(NOT_DELIVERED, autospec=True):
        session = book(alice_and_bob, alice_mentee)
    SessionInvite.objects.filter(session=session).update(
        waiting_for=SessionInvite.WaitingFor.ORGANIZATION
    )
    later = timezone.now() + dt.timedelta(seconds=settings.INVITE_STUCK_AFTER_SECONDS + 60)
    with time_machine.travel(later, tick=False):
        assert services.invites_sweep() == 0
    assert SessionInvite.objects.get(session=session).state == SessionInvite.State.PENDING


def test_the_sweep_runs_on_beat_more_often_than_an_invite_counts_as_stuck(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["scheduling-invites-sweep"]
    assert entry["task"] == "scheduling.tasks.invites_sweep"
    assert entry["schedule"] < settings.INVITE_STUCK_AFTER_SECONDS
    # The sweep must not race an invite that is only waiting for its Celery retry.
    assert tasks.MAX_INVITE_BACKOFF < settings.INVITE_STUCK_AFTER_SECONDS


def test_a_reconnect_sends_invites_that_waited_although_the_connection_was_never_marked(
    emulator,  # noqa: F811
    client,
    alice_and_bob,
    alice_mentee,
    django_capture_on_commit_callbacks,
):
    from tests.calendars.test_google_individual import connect_google

    client.force_login(alice_mentee)
    connect_google(client, emulator)
    with mock.patch(NOT_DELIVERED, autospec=True):
        session = book(alice_and_bob, alice_mentee)
    # A write refused by a token the connection was never marked for (the Microsoft probe).
    SessionInvite.objects.filter(session=session).update(
        waiting_for=SessionInvite.WaitingFor.BOOKER, last_error="invalid_grant"
    )
    assert CalendarConnection.objects.get(user=alice_mentee).status == "active"
    with django_capture_on_commit_callbacks(execute=True):
        connect_google(client, emulator)
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT, (invite.notice, invite.last_error)
    assert len(live(emulator)) == 1


@pytest.mark.django_db(transaction=True)
def test_an_error_that_escapes_the_service_leaves_a_failed_invite_with_retry(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
):
    integrate_northwind(emulator, northwind)
    with mock.patch(NOT_DELIVERED, autospec=True):
        session = book(alice_and_bob, alice_mentee)
    invite = SessionInvite.objects.get(session=session)
    # As a worker runs it (errors not propagated to a caller): on_failure has the last word.
    with mock.patch.object(invites, "invite_deliver", side_effect=DatabaseError("server closed")):
        result = tasks.invite_deliver.apply(args=[invite.pk], throw=False)
    assert result.failed()
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.FAILED
    assert invite.notice == invites.UNEXPECTED
    assert "server closed" in invite.last_error
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED


@pytest.mark.django_db(transaction=True)
def test_a_custom_link_invite_says_join_once(
    emulator,  # noqa: F811
    northwind,
    alice_and_bob,
    alice_mentee,
):
    integrate_northwind(emulator, northwind)
    link = "https://meet.example/alice-and-bob"
    session = book(
        alice_and_bob,
        alice_mentee,
        conferencing=services.Conferencing(kind="custom_link", url=link),
    )
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT
    store = emulator.server.emulator.store
    event = store.primary_calendar("alice@northwind.example").events[invite.event_id]
    assert event.description.count("Join:") == 1
    assert event.description.count(link) == 1


def smtp_drops_the_first_connection():
    """The mail server hangs up once (as a restarting Postfix does), then takes mail."""
    real = locmem.EmailBackend.send_messages
    dropped = {"done": False}

    def send_messages(self, messages):
        if not dropped["done"]:
            dropped["done"] = True
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real(self, messages)

    return mock.patch.object(locmem.EmailBackend, "send_messages", send_messages)


@pytest.mark.django_db(transaction=True)
def test_an_ics_email_the_mail_server_dropped_is_retried_and_sent(
    alice_and_bob, alice_mentee, mailoutbox
):
    with mock.patch(NOT_DELIVERED, autospec=True):
        session = book(alice_and_bob, alice_mentee)  # nobody is integrated: .ics by email
    invite = SessionInvite.objects.get(session=session)
    with smtp_drops_the_first_connection():
        deliver_once(invite)
        invite.refresh_from_db()
        assert invite.state == SessionInvite.State.PENDING
        assert invite.notice == invites.MAIL_RETRYING
        assert "SMTPServerDisconnected" in invite.last_error
        deliver_once(invite)
    invite.refresh_from_db()
    assert invite.state == SessionInvite.State.SENT
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        u.email for u in session.participants.all()
    )
    # The retry sent the first revision, not a second one.
    assert all("SEQUENCE:0" in str(m.attachments[0][1]) for m in mailoutbox)


@pytest.mark.django_db(transaction=True)
def test_an_ics_email_that_cannot_be_sent_fails_with_retry_not_a_raw_error(
    alice_and_bob, alice_mentee, mailoutbox
):
    with smtp_drops_the_first_connection():
        session = book(alice_and_bob, alice_mentee)  # eager: the one attempt is final
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.FAILED
    assert invite.notice == invites.MAIL_FAILED
    assert "SMTPServerDisconnected" in invite.last_error
