"""The .ics invitation emails follow iTIP (RFC 5546) and iMIP (RFC 6047) as mail clients need.

Read back the way a mail client reads them: the raw message parsed by Python's email package,
the iCalendar by vobject — a second parser, independent of the icalendar library that wrote
it — so a mistake in how we use icalendar cannot hide in its own reading.

Meera (Kolkata) books Tom (Auckland); neither has a calendar connected.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.utils import parseaddr

import pytest
import time_machine
import vobject
from django.conf import settings
from django.core import mail

from programs import availability
from programs import services as program_services
from scheduling import services
from tests import factories

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)  # Monday
# Tuesday 3 March 2026 04:30 UTC = 10:00 in Kolkata = 17:30 in Auckland (NZDT).
SLOT = dt.datetime(2026, 3, 3, 4, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def meera(northwind):
    person = factories.person(northwind, "meera", time_zone="Asia/Kolkata")
    person.first_name = "Meera\nRao"  # a name typed with a line break in it
    person.save(update_fields=["first_name"])
    return person


@pytest.fixture
def tom(northwind):
    return factories.person(northwind, "tom", time_zone="Pacific/Auckland")


@pytest.fixture
def meera_and_tom(mentoring, meera, tom):
    for person in (meera, tom):
        # Both open their weekdays wide enough to meet (10:00 Kolkata is 17:30 Auckland).
        availability.weekly_hours_set(
            user=person, week={day: [(dt.time(8, 0), dt.time(20, 0))] for day in range(5)}
        )
    return program_services.match_create(program=mentoring, mentee=meera, mentor=tom)


def _committed(django_capture_on_commit_callbacks, service, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return service(**kwargs)


def _received(user) -> email.message.EmailMessage:
    (message,) = [m for m in mail.outbox if m.to == [user.email]]
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def _calendar_part(raw):
    """The text/calendar part inside multipart/alternative, as a mail client looks for it."""
    alternatives = [p for p in raw.walk() if p.get_content_type() == "multipart/alternative"]
    assert len(alternatives) == 1, [p.get_content_type() for p in raw.walk()]
    parts = [p for p in alternatives[0].iter_parts() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


def _parsed(part):
    return vobject.readOne(part.get_content())


def _address(prop) -> str:
    return prop.value.lower().removeprefix("mailto:")


def _book(django_capture_on_commit_callbacks, match, booker):
    return _committed(
        django_capture_on_commit_callbacks,
        services.session_book,
        match_or_group=match,
        start=SLOT,
        duration=30,
        booked_by=booker,
        conferencing=services.Conferencing(kind="custom_link", url="https://meet.example/tm"),
    )


def test_the_person_invited_gets_a_request_they_can_answer_from_the_organizer(
    django_capture_on_commit_callbacks, meera_and_tom, meera, tom
):
    session = _book(django_capture_on_commit_callbacks, meera_and_tom, meera)
    raw = _received(tom)

    part = _calendar_part(raw)
    assert part.get_param("method") == "REQUEST"
    cal = _parsed(part)
    assert cal.method.value == "REQUEST"
    event = cal.vevent
    assert event.uid.value == session.invite.ics_uid
    assert event.dtstart.value == SLOT
    assert event.dtend.value == SLOT + dt.timedelta(minutes=30)
    assert event.description.value.count("Join: https://meet.example/tm") == 1

    # Meera organizes; Together sends on her behalf and says so (SENT-BY = the From address).
    assert _address(event.organizer) == meera.email
    assert event.organizer.params["CN"] == ["Meera Rao Example"]
    sender = parseaddr(raw["From"])[1]
    assert sender == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert event.organizer.params["SENT-BY"] == [f"mailto:{sender}"]
    assert raw["From"].addresses[0].display_name == "Meera Rao Example via Together"
    assert raw["Reply-To"] == meera.email

    # Only Tom is asked to reply; the organizer is not an attendee of her own invitation.
    (attendee,) = event.attendee_list
    assert _address(attendee) == tom.email
    assert attendee.params["RSVP"] == ["TRUE"]
    assert attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]

    # The same invitation is attached for clients that offer only a file, not as a second one.
    (attached,) = list(raw.iter_attachments())
    assert attached.get_content_type() == "application/ics"
    assert vobject.readOne(attached.get_content().decode()).vevent.uid.value == event.uid.value

    # Tom reads his own time; the instant in the invitation is the one booked.
    assert (
        "Tuesday 3 March 2026, 17:30–18:00 (Pacific/Auckland)"
        in raw.get_body(("plain",)).get_content()
    )


def test_the_organizer_gets_her_own_copy_without_being_asked_to_reply(
    django_capture_on_commit_callbacks, meera_and_tom, meera, tom
):
    _book(django_capture_on_commit_callbacks, meera_and_tom, meera)
    raw = _received(meera)
    part = _calendar_part(raw)
    assert part.get_param("method") == "PUBLISH"
    event = _parsed(part).vevent
    assert _address(event.organizer) == meera.email
    assert [_address(a) for a in event.attendee_list] == [tom.email]
    assert raw["Reply-To"] is None
    assert (
        "Tuesday 3 March 2026, 10:00–10:30 (Asia/Kolkata)" in raw.get_body(("plain",)).get_content()
    )


def test_a_move_and_a_cancel_reach_both_as_later_revisions_of_the_same_event(
    django_capture_on_commit_callbacks, meera_and_tom, meera, tom
):
    session = _book(django_capture_on_commit_callbacks, meera_and_tom, meera)
    uid = session.invite.ics_uid
    mail.outbox.clear()
    _committed(
        django_capture_on_commit_callbacks,
        services.session_reschedule,
        session=session,
        start=SLOT + dt.timedelta(days=1),
        by=tom,
    )
    moved = _parsed(_calendar_part(_received(tom))).vevent
    assert (moved.uid.value, int(moved.sequence.value)) == (uid, 1)
    assert moved.dtstart.value == SLOT + dt.timedelta(days=1)

    mail.outbox.clear()
    session.refresh_from_db()
    _committed(django_capture_on_commit_callbacks, services.session_cancel, session=session, by=tom)
    for person in (meera, tom):
        part = _calendar_part(_received(person))
        assert part.get_param("method") == "CANCEL"
        cal = _parsed(part)
        assert cal.method.value == "CANCEL"
        assert (cal.vevent.uid.value, int(cal.vevent.sequence.value)) == (uid, 2)
        assert cal.vevent.status.value == "CANCELLED"
