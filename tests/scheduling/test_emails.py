"""Every email renders its times in the recipient's own zone, and plain text is not escaped.

A fixed clock (29 June 2026, London in summer time) and sessions at known instants: each
recipient's invite, update, cancellation and reminder must show that instant's local date and
time in the subject, the text body and the HTML body.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes

import pytest
import time_machine

from programs import services as programs_services
from scheduling import invites, services
from tests import factories

pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")

NOW = dt.datetime(2026, 6, 29, 12, 0, tzinfo=dt.UTC)
# Wed 1 Jul 12:00 UTC: Kolkata 17:30, São Paulo 09:00, London 13:00 (BST), all that Wednesday.
MIDDAY = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
# Wed 1 Jul 19:30 UTC: Los Angeles 12:30 that Wednesday, Auckland 07:30 on Thursday 2 July.
EVENING = dt.datetime(2026, 7, 1, 19, 30, tzinfo=dt.UTC)

# (recipient's zone, partner's zone, instant, what the recipient must read for it and for the
# same time a day later: subject date, body date, start–end)
CASES = [
    ("Asia/Kolkata", "America/Sao_Paulo", MIDDAY,
     ("Wed 1 Jul, 17:30", "Wednesday 1 July 2026, 17:30–18:00"),
     ("Thu 2 Jul, 17:30", "Thursday 2 July 2026, 17:30–18:00")),
    ("Pacific/Auckland", "America/Los_Angeles", EVENING,
     ("Thu 2 Jul, 07:30", "Thursday 2 July 2026, 07:30–08:00"),
     ("Fri 3 Jul, 07:30", "Friday 3 July 2026, 07:30–08:00")),
    ("America/Sao_Paulo", "Asia/Kolkata", MIDDAY,
     ("Wed 1 Jul, 09:00", "Wednesday 1 July 2026, 09:00–09:30"),
     ("Thu 2 Jul, 09:00", "Thursday 2 July 2026, 09:00–09:30")),
    ("America/Los_Angeles", "Pacific/Auckland", EVENING,
     ("Wed 1 Jul, 12:30", "Wednesday 1 July 2026, 12:30–13:00"),
     ("Thu 2 Jul, 12:30", "Thursday 2 July 2026, 12:30–13:00")),
    ("Europe/London", "America/Sao_Paulo", MIDDAY,
     ("Wed 1 Jul, 13:00", "Wednesday 1 July 2026, 13:00–13:30"),
     ("Thu 2 Jul, 13:00", "Thursday 2 July 2026, 13:00–13:30")),
]  # fmt: skip

ESCAPES = ("&amp;", "&#x27;", "&quot;", "&lt;", "&gt;")


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def person(org, local, time_zone, first, last):
    return programs_services.user_create(
        email=f"{local}@northwind.example",
        organization=org,
        time_zone=time_zone,
        first_name=first,
        last_name=last,
        password=factories.PASSWORD,
    )


def parts(message) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of a sent message, as the recipient's client sees them."""
    parsed = message_from_bytes(message.message().as_bytes())
    text = html = ""
    for part in parsed.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            text = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode()
    return message.subject, text, html


def to(mailoutbox, email):
    return [m for m in mailoutbox if m.to == [email]]


def assert_shows(message, subject_when, body_when, zone):
    subject, text, html = parts(message)
    assert "\n" not in subject and "\r" not in subject
    assert subject_when in subject, subject
    assert body_when in text and f"({zone})" in text, text
    assert body_when in html and f"({zone})" in html, html
    for escaped in ESCAPES:
        assert escaped not in subject and escaped not in text, (escaped, subject, text)


@pytest.mark.parametrize(("zone", "partner_zone", "start", "first", "moved"), CASES)
def test_each_email_shows_the_recipients_own_time_and_date(
    northwind, clock, mailoutbox, commits, zone, partner_zone, start, first, moved
):
    program = factories.one_to_one_program(northwind, name="Pairs & Peers")
    me = person(northwind, "me", zone, "Dev", "D'Souza & Co")
    partner = person(northwind, "partner", partner_zone, "Isla", "Walker")
    match = programs_services.match_create(program=program, mentee=me, mentor=partner)

    with commits(execute=True):
        session = services.session_book(
            match_or_group=match, start=start, duration=30, booked_by=partner
        )
    [invite] = to(mailoutbox, me.email)
    assert parts(invite)[0].startswith("Invitation: Dev D'Souza & Co & Isla Walker")
    assert_shows(invite, *first, zone)

    with commits(execute=True):
        services.session_reschedule(
            session=session, start=start + dt.timedelta(days=1), duration=30, by=partner
        )
    update = to(mailoutbox, me.email)[-1]
    assert parts(update)[0].startswith("Updated: ")
    assert_shows(update, *moved, zone)

    clock.move_to(start + dt.timedelta(hours=20))
    assert invites.reminders_send() == 2
    reminder = to(mailoutbox, me.email)[-1]
    subject, text, html = parts(reminder)
    assert subject.startswith("Reminder: ")
    assert moved[0] in subject
    # The reminder shows the start only.
    assert moved[1].split("–")[0] in text and moved[1].split("–")[0] in html
    assert f"({zone})" in text and f"({zone})" in html
    for escaped in ESCAPES:
        assert escaped not in subject and escaped not in text

    with commits(execute=True):
        services.session_cancel(session=session, by=partner)
    cancel = to(mailoutbox, me.email)[-1]
    assert parts(cancel)[0].startswith("Cancelled: ")
    assert_shows(cancel, *moved, zone)


def test_the_html_body_still_escapes_what_people_typed(northwind, clock, mailoutbox, commits):
    program = factories.one_to_one_program(northwind)
    me = person(northwind, "me", "Europe/London", "Ada", "<b>Bold</b>")
    partner = person(northwind, "partner", "Europe/London", "Ben", "Example")
    match = programs_services.match_create(program=program, mentee=me, mentor=partner)
    with commits(execute=True):
        services.session_book(match_or_group=match, start=MIDDAY, duration=30, booked_by=partner)
    subject, text, html = parts(to(mailoutbox, me.email)[0])
    assert "<b>Bold</b>" in text and "<b>Bold</b>" in subject
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html


def test_a_name_with_a_line_break_gives_a_one_line_subject(northwind, clock, mailoutbox, commits):
    program = factories.one_to_one_program(northwind)
    me = person(northwind, "me", "Europe/London", "Ada\nMary", "Lovelace")
    partner = person(northwind, "partner", "Europe/London", "Ben", "Example")
    match = programs_services.match_create(program=program, mentee=me, mentor=partner)
    with commits(execute=True):
        services.session_book(match_or_group=match, start=MIDDAY, duration=30, booked_by=partner)
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) == 2
    assert all("\n" not in s and "Ada Mary Lovelace" in s for s in subjects), subjects


def test_action_required_emails_are_plain_text_without_escapes(
    northwind, clock, mailoutbox, commits
):
    from calendars import services as calendar_services

    me = person(northwind, "me", "Asia/Kolkata", "Ma'ata", "O'Neill & Co")
    connection, _ = factories.calendar_connected(me)
    with commits(execute=True):
        calendar_services.connection_mark_needs_reconnect(connection=connection, reason="revoked")
    [message] = mailoutbox
    subject, text, html = parts(message)
    assert "Hi Ma'ata," in text
    assert subject == "Action required: reconnect your calendar to Together"
    assert html and "Reconnect your calendar" in html
    for escaped in ESCAPES:
        assert escaped not in subject and escaped not in text
