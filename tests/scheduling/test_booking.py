"""Booking services: one session, a series, reschedule, cancel, mark as done, reminders."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from programs.models import Session
from scheduling import invites, services
from scheduling.models import SessionInvite
from tests import factories

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # a Monday
# Tuesday 3 March 2026, 15:00 UTC = 15:00 London = 10:00 New York.
SLOT = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)


_capture = None


@pytest.fixture(autouse=True)
def _clock_and_commits(django_capture_on_commit_callbacks):
    # Invites are enqueued on commit; run those callbacks as each service call returns.
    global _capture
    _capture = django_capture_on_commit_callbacks
    with time_machine.travel(NOW, tick=False):
        yield


def committed(service, **kwargs):
    with _capture(execute=True):
        return service(**kwargs)


def ics_to(user) -> bytes:
    (message,) = [m for m in mail.outbox if m.to == [user.email]]
    return message.attachments[0][1]


def book(match, user, start=SLOT, duration=30, **kwargs):
    return committed(
        services.session_book,
        match_or_group=match,
        start=start,
        duration=duration,
        booked_by=user,
        **kwargs,
    )


def test_it_books_a_session_for_both_people(alice_and_bob, alice_mentee, bob_mentor):
    session = book(alice_and_bob, alice_mentee)
    assert session.status == Session.Status.SCHEDULED
    assert session.origin == Session.Origin.PLATFORM
    assert session.end - session.start == dt.timedelta(minutes=30)
    assert set(session.participants.all()) == {alice_mentee, bob_mentor}
    assert session.start.tzinfo is not None


def test_it_emails_an_ics_request_to_everyone_when_the_booker_has_no_calendar(
    alice_and_bob, alice_mentee, bob_mentor
):
    session = book(alice_and_bob, alice_mentee)
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT
    assert invite.channel == SessionInvite.Channel.ICS
    assert sorted(m.to[0] for m in mail.outbox) == [alice_mentee.email, bob_mentor.email]
    # Alice booked, so she organizes: Bob is asked to reply, Alice keeps her own copy.
    assert Calendar.from_ical(ics_to(alice_mentee))["METHOD"] == "PUBLISH"
    cal = Calendar.from_ical(ics_to(bob_mentor))
    assert cal["METHOD"] == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["UID"]) == invite.ics_uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == SLOT
    assert str(event["ORGANIZER"]) == f"mailto:{alice_mentee.email}"
    assert str(event["ATTENDEE"]) == f"mailto:{bob_mentor.email}"


def test_it_refuses_a_slot_overlapping_either_persons_session(
    alice_and_bob, alice_mentee, bob_mentor, northwind, mentoring
):
    book(alice_and_bob, alice_mentee)
    dan = factories.person(northwind, "dan")
    from programs import services as program_services

    bob_and_dan = program_services.match_create(program=mentoring, mentee=dan, mentor=bob_mentor)
    with pytest.raises(services.SlotTaken, match="just taken"):
        book(bob_and_dan, dan, start=SLOT + dt.timedelta(minutes=15))
    assert Session.objects.count() == 1
    # Back to back is fine.
    book(bob_and_dan, dan, start=SLOT + dt.timedelta(minutes=30))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": NOW - dt.timedelta(hours=1)}, "past"),
        ({"duration": 20}, "not allowed"),
        ({"time_zone": "Mars/Olympus"}, "time zone"),
        # 17:30 London is after Alice's default 09:00-17:00, and 12:30 in Bob's New York.
        ({"start": dt.datetime(2026, 3, 3, 17, 30, tzinfo=dt.UTC)}, "outside your hours"),
        ({"start": dt.datetime(2027, 1, 5, 15, 0, tzinfo=dt.UTC)}, "outside Mentoring"),
        ({"start": SLOT + dt.timedelta(minutes=7)}, "step"),
        ({"start": dt.datetime(2026, 3, 3, 15, 0)}, "offset"),  # noqa: DTZ001
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(alice_and_bob, alice_mentee, kwargs, message):
    with pytest.raises(services.BookingRefused, match=message):
        book(alice_and_bob, alice_mentee, **kwargs)
    assert Session.objects.count() == 0
    assert SessionInvite.objects.count() == 0
    assert mail.outbox == []


def test_it_refuses_someone_outside_the_match(alice_and_bob, carol_outsider):
    with pytest.raises(services.NotAParticipant):
        book(alice_and_bob, carol_outsider)
    assert Session.objects.count() == 0


def test_it_checks_the_custom_link(alice_and_bob, alice_mentee):
    with pytest.raises(services.BookingRefused, match="http"):
        book(
            alice_and_bob,
            alice_mentee,
            conferencing=services.Conferencing(kind="custom_link", url="javascript:alert(1)"),
        )
    session = book(
        alice_and_bob,
        alice_mentee,
        conferencing=services.Conferencing(kind="custom_link", url="https://meet.example/x"),
    )
    assert session.conference_url == "https://meet.example/x"


def test_reschedule_sends_an_updated_ics_with_a_higher_sequence(
    alice_and_bob, alice_mentee, bob_mentor
):
    session = book(alice_and_bob, alice_mentee)
    mail.outbox.clear()
    committed(
        services.session_reschedule,
        session=session,
        start=SLOT + dt.timedelta(days=1),
        by=bob_mentor,
    )
    session.refresh_from_db()
    assert session.start == SLOT + dt.timedelta(days=1)
    cal = Calendar.from_ical(ics_to(bob_mentor))
    event = cal.walk("VEVENT")[0]
    assert cal["METHOD"] == "REQUEST"
    assert int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == session.invite.ics_uid
    assert "Updated" in mail.outbox[0].subject


def test_cancel_sends_an_ics_cancel_and_frees_the_slot(alice_and_bob, alice_mentee, bob_mentor):
    session = book(alice_and_bob, alice_mentee)
    mail.outbox.clear()
    committed(services.session_cancel, session=session, by=bob_mentor)
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert Calendar.from_ical(ics_to(alice_mentee))["METHOD"] == "CANCEL"
    cal = Calendar.from_ical(ics_to(bob_mentor))
    assert cal["METHOD"] == "CANCEL"
    assert int(cal.walk("VEVENT")[0]["SEQUENCE"]) == 1
    assert session.invite.state == SessionInvite.State.CANCELLED
    book(alice_and_bob, alice_mentee)  # the slot is free again


def test_mark_done_completes_a_started_session(alice_and_bob, alice_mentee):
    session = book(alice_and_bob, alice_mentee)
    with pytest.raises(services.BookingRefused, match="started"):
        services.session_mark_done(session=session, by=alice_mentee)
    with time_machine.travel(SLOT + dt.timedelta(minutes=40), tick=False):
        services.session_mark_done(session=session, by=alice_mentee)
    session.refresh_from_db()
    assert session.status == Session.Status.COMPLETED


def test_it_records_a_session_held_outside(alice_and_bob, bob_mentor):
    session = services.session_record_outside(
        match_or_group=alice_and_bob,
        start=NOW - dt.timedelta(days=2),
        duration=45,
        by=bob_mentor,
    )
    assert session.origin == Session.Origin.OUTSIDE
    assert session.status == Session.Status.COMPLETED
    assert not SessionInvite.objects.exists()


def test_a_series_books_each_occurrence_as_its_own_session(alice_and_bob, alice_mentee):
    starts = [SLOT + dt.timedelta(weeks=i) for i in range(3)]
    sessions = committed(
        services.session_series_book,
        match_or_group=alice_and_bob,
        starts=starts,
        frequency="weekly",
        duration=30,
        booked_by=alice_mentee,
    )
    assert [s.start for s in sessions] == starts
    assert len({s.series_id for s in sessions}) == 1
    assert SessionInvite.objects.count() == 3


def test_a_series_with_a_taken_occurrence_books_nothing(alice_and_bob, alice_mentee):
    book(alice_and_bob, alice_mentee, start=SLOT + dt.timedelta(weeks=1))
    with pytest.raises(services.SlotTaken, match="Occurrence 2"):
        committed(
            services.session_series_book,
            match_or_group=alice_and_bob,
            starts=[SLOT + dt.timedelta(weeks=i) for i in range(3)],
            frequency="weekly",
            duration=30,
            booked_by=alice_mentee,
        )
    assert Session.objects.count() == 1


def test_a_series_cannot_exceed_the_sessions_left(alice_and_bob, alice_mentee):
    with pytest.raises(services.BookingRefused, match="left"):
        committed(
            services.session_series_book,
            match_or_group=alice_and_bob,
            starts=[SLOT + dt.timedelta(weeks=i) for i in range(7)],
            frequency="weekly",
            duration=30,
            booked_by=alice_mentee,
        )


def test_reminders_go_out_once_even_when_the_task_runs_twice(alice_and_bob, alice_mentee):
    book(alice_and_bob, alice_mentee)
    mail.outbox.clear()
    soon = SLOT - dt.timedelta(hours=2)
    assert invites.reminders_send(now=soon) == 2
    assert invites.reminders_send(now=soon) == 0
    assert len(mail.outbox) == 2
    assert all(m.subject.startswith("Reminder") for m in mail.outbox)


def test_invites_waiting_for_a_reconnect_are_sent_when_resumed(alice_and_bob, alice_mentee):
    session = book(alice_and_bob, alice_mentee)
    SessionInvite.objects.filter(session=session).update(
        state=SessionInvite.State.PENDING,
        waiting_for=SessionInvite.WaitingFor.BOOKER,
    )
    mail.outbox.clear()
    assert services.invites_resume(user_ids=[alice_mentee.pk]) == 1
    assert SessionInvite.objects.get(session=session).state == SessionInvite.State.SENT
    assert len(mail.outbox) == 2
    assert services.invites_resume(user_ids=[alice_mentee.pk]) == 0
