"""The booking journeys in a real browser, as people far from UTC live them.

For each person (Kolkata +05:30, Auckland +13/+12, São Paulo −03, Los Angeles −08/−07) the
same journeys run in Chromium: book 1:1, reschedule, cancel, a weekly series with a moved
occurrence, a group session from the heat map, and marking a past session done. Each step
asserts the times on the page the person reads, and every email (subject, text and HTML) and
.ics each participant receives, against the instant that was booked. One more person books a
weekly series across Los Angeles' next daylight-saving change and keeps their wall clock.

Dates come from the real clock (a frozen clock would expire the browser's session cookie);
the local times are chosen inside everyone's bookable hours (the fixture everyone_bookable_all_week: 07:00–21:00 in their own zone)
in winter and in summer. Screenshots of every step go to test-artifacts/zones/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from programs import services as program_services
from programs.models import Session
from scheduling import services
from tests import factories

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "zones"

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("everyone_bookable_all_week"),
]


@dataclass(frozen=True)
class Journey:
    """A booker, a partner and a third group member, with the wall-clock times (booker's
    zone) each journey uses."""

    slug: str
    zone: str
    partner_zone: str
    third_zone: str
    book: str  # first booking
    move_to: str  # its reschedule, the next day
    series: str  # a weekly series a week later...
    moved: str  # ...whose second occurrence moves to this time
    group: str  # a group session (on the 30-minute grid of the heat map)
    past: str  # a session yesterday, to mark as done


JOURNEYS = [
    Journey("kolkata", "Asia/Kolkata", "Europe/London", "Africa/Lagos",
            "13:15", "14:45", "16:00", "17:30", "15:30", "13:00"),
    Journey("auckland", "Pacific/Auckland", "America/Los_Angeles", "America/Sao_Paulo",
            "08:45", "09:30", "10:00", "11:00", "08:00", "09:00"),
    Journey("sao-paulo", "America/Sao_Paulo", "Africa/Lagos", "Asia/Kolkata",
            "09:00", "10:15", "11:00", "13:00", "07:30", "10:00"),
    Journey("los-angeles", "America/Los_Angeles", "Pacific/Auckland", "America/Sao_Paulo",
            "12:30", "13:00", "14:00", "15:00", "13:30", "13:00"),
]  # fmt: skip


# -- What a person reads, computed independently of the product's code. ---------------------


def wall(instant: dt.datetime, zone: str) -> dt.datetime:
    return instant.astimezone(ZoneInfo(zone))


def long_when(start: dt.datetime, end: dt.datetime, zone: str) -> str:
    """ "Thursday 3 December 2026, 13:15–14:15" on ``zone``'s wall clock."""
    s, e = wall(start, zone), wall(end, zone)
    return f"{s:%A} {s.day} {s:%B %Y}, {s:%H:%M}–{e:%H:%M}"


def short_when(start: dt.datetime, zone: str) -> str:
    """ "Thu 3 Dec, 13:15" (email subjects)."""
    s = wall(start, zone)
    return f"{s:%a} {s.day} {s:%b}, {s:%H:%M}"


def at_local(day: dt.date, clock: str, zone: str) -> dt.datetime:
    hour, minute = (int(x) for x in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(zone))


def zulu(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def weekday_ahead(zone: str, days: int) -> dt.date:
    """A Monday–Thursday at least ``days`` ahead in ``zone`` (the next day stays a weekday)."""
    day = timezone.now().astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=days)
    while day.weekday() > 3:
        day += dt.timedelta(days=1)
    return day


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# -- Emails and .ics. -----------------------------------------------------------------------


def _ics_events(message) -> list:
    events = []
    for attachment in message.attachments:
        filename, content, mimetype = attachment
        if mimetype.startswith("text/calendar") or str(filename).endswith(".ics"):
            calendar = icalendar.Calendar.from_ical(content)
            events.extend(calendar.walk("VEVENT"))
    return events


def assert_emails_say(session: Session, messages, *, subject_prefix: str) -> None:
    """Every participant got exactly one email for this change of ``session``, reading its
    time on their own clock in subject, text and HTML, with an .ics at the instant."""
    start, end = session.start, session.end
    for person in session.participants.all():
        mine = [
            m for m in messages if person.email in m.to and m.subject.startswith(subject_prefix)
        ]
        assert len(mine) == 1, (person, [m.subject for m in messages])
        message = mine[0]
        zone = person.time_zone
        assert short_when(start, zone) in message.subject, (zone, message.subject)
        reads = f"{long_when(start, end, zone)} ({zone})"
        assert reads in message.body, (zone, message.body)
        html = message.alternatives[0][0]
        assert reads in html, (zone, html)
        assert "&amp;" not in message.subject + message.body
        events = _ics_events(message)
        assert len(events) == 1, message.attachments
        assert events[0].decoded("DTSTART") == start
        assert events[0].decoded("DTEND") == end


def new_mail_since(count: int) -> list:
    return list(mail.outbox[count:])


# -- The browser. ---------------------------------------------------------------------------


def open_day(page, live_server, url: str, day: dt.date) -> None:
    page.goto(f"{live_server.url}{url}?month={day:%Y-%m}&day={day.isoformat()}")
    page.wait_for_selector(f'a.date.selected[data-date="{day.isoformat()}"]')


def pick_time(page, instant: dt.datetime, clock: str) -> None:
    slot = page.locator(f'a.slot[href*="start={zulu(instant)}"]')
    assert slot.inner_text().split()[0] == clock
    slot.click()
    page.wait_for_selector("#confirm-form")


def session_on_page(page) -> Session:
    page.wait_for_selector("#session-when")
    return Session.objects.get(
        pk=page.locator("article.session-detail").get_attribute("data-session")
    )


@pytest.fixture
def people(northwind):
    def _people(journey: Journey):
        today = timezone.now().date()
        booker = factories.person(northwind, f"{journey.slug}-booker", time_zone=journey.zone)
        partner = factories.person(
            northwind, f"{journey.slug}-partner", time_zone=journey.partner_zone
        )
        third = factories.person(northwind, f"{journey.slug}-third", time_zone=journey.third_zone)
        one_to_one = factories.one_to_one_program(
            northwind,
            name=f"Mentoring {journey.slug}",
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=400),
        )
        circles = factories.group_program(
            northwind,
            name=f"Circles {journey.slug}",
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=400),
        )
        match = program_services.match_create(program=one_to_one, mentee=booker, mentor=partner)
        group = program_services.group_create(
            program=circles,
            name=f"Circle {journey.slug}",
            facilitator=third,
            members=[booker, partner],
        )
        return booker, partner, match, group

    return _people


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.slug for j in JOURNEYS])
def test_every_journey_shows_the_booked_instant_on_each_persons_clock(
    open_as,  # noqa: F811
    live_server,
    people,
    journey,
):
    booker, partner, match, group = people(journey)
    zone = journey.zone
    page = open_as(booker)
    name = journey.slug
    book_url = reverse("match_book", args=[match.pk])

    # 1. Book 1:1: the time clicked is the time confirmed, booked, shown and emailed.
    day = weekday_ahead(zone, 3)
    start = at_local(day, journey.book, zone)
    open_day(page, live_server, book_url, day)
    shot(page, f"{name}-01-wizard")
    pick_time(page, start, journey.book)
    end = start + dt.timedelta(minutes=30)
    assert page.inner_text("#confirm-when") == f"{long_when(start, end, zone)} ({zone})"
    shot(page, f"{name}-02-confirm")
    sent = len(mail.outbox)
    page.click("#send-invite")
    session = session_on_page(page)
    assert session.start == start and session.end == end
    assert page.inner_text("#session-when") == f"{long_when(start, end, zone)} ({zone})"
    shot(page, f"{name}-03-booked")
    assert_emails_say(session, new_mail_since(sent), subject_prefix="Invitation:")

    # 2. Reschedule to the next day: "Was" and "Moves to" both on the booker's clock.
    page.click("#reschedule")
    next_day = day + dt.timedelta(days=1)
    page.wait_for_selector("#wizard-form")
    page.click(f'a[data-date="{next_day.isoformat()}"]')
    page.wait_for_selector(f'a.date.selected[data-date="{next_day.isoformat()}"]')
    moved = at_local(next_day, journey.move_to, zone)
    pick_time(page, moved, journey.move_to)
    assert page.inner_text("#confirm-was") == long_when(start, end, zone)
    moved_end = moved + dt.timedelta(minutes=30)
    assert page.inner_text("#confirm-when") == f"{long_when(moved, moved_end, zone)} ({zone})"
    shot(page, f"{name}-04-reschedule-confirm")
    sent = len(mail.outbox)
    page.click("#send-invite")
    session = session_on_page(page)
    assert session.start == moved
    assert page.inner_text("#session-when") == f"{long_when(moved, moved_end, zone)} ({zone})"
    assert_emails_say(session, new_mail_since(sent), subject_prefix="Updated:")

    # 3. Cancel it: the cancellation names the time it had.
    sent = len(mail.outbox)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-session")
    page.wait_for_selector('#session-status:has-text("Cancelled")')
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert_emails_say(session, new_mail_since(sent), subject_prefix="Cancelled:")
    shot(page, f"{name}-05-cancelled")

    # 4. A weekly series a week later; the second occurrence moves by typing a new time.
    series_day = day + dt.timedelta(days=7)
    first = at_local(series_day, journey.series, zone)
    open_day(page, live_server, book_url, series_day)
    pick_time(page, first, journey.series)
    # "Number of sessions" belongs to a series: hidden until Repeat is chosen.
    assert not page.is_visible("#id_count")
    page.select_option("#id_repeat", "weekly")
    assert page.is_visible("#id_count")
    page.fill("#id_count", "3")
    page.click("#check-occurrences")
    page.wait_for_selector(".occurrence:nth-child(3) .occ-value")
    days = [series_day + dt.timedelta(weeks=k) for k in range(3)]
    shown = [page.locator(".occ-value").nth(k).input_value() for k in range(3)]
    assert shown == [f"{d.isoformat()}T{journey.series}" for d in days]
    page.locator(".occ-value").nth(1).fill(f"{days[1].isoformat()}T{journey.moved}")
    page.wait_for_selector('.occurrence:nth-child(2) .badge:has-text("moved: no conflict")')
    shot(page, f"{name}-06-series")
    sent = len(mail.outbox)
    page.click("#send-invite")
    session_on_page(page)
    booked = list(
        Session.objects.filter(match=match, status=Session.Status.SCHEDULED).order_by("start")
    )
    want = [first, at_local(days[1], journey.moved, zone), at_local(days[2], journey.series, zone)]
    assert [s.start for s in booked] == want
    mails = new_mail_since(sent)
    for occurrence in booked:
        for_it = [m for m in mails if any(e.decoded("DTSTART") == occurrence.start
                                          for e in _ics_events(m))]  # fmt: skip
        assert_emails_say(occurrence, for_it, subject_prefix="Invitation:")
    page.goto(live_server.url + reverse("home"))
    home = page.inner_text("main")
    for occurrence in booked:
        w = wall(occurrence.start, zone)
        assert f"{w:%a} {w.day} {w:%b %Y}, {w:%H:%M}" in home
    shot(page, f"{name}-07-home")

    # 5. A group session from the heat map: the cell's label and the confirm page agree.
    group_day = weekday_ahead(zone, 4)
    monday = group_day - dt.timedelta(days=group_day.weekday())
    cell_start = at_local(group_day, journey.group, zone)
    page.goto(
        live_server.url + reverse("group_book", args=[group.pk]) + f"?week={monday.isoformat()}"
    )
    cell = page.locator(f'a.heat[href*="start={zulu(cell_start)}"]')
    label = cell.get_attribute("aria-label")
    assert label.startswith(f"{wall(cell_start, zone):%A} {journey.group}:"), label
    shot(page, f"{name}-08-heat-map")
    cell.click()
    page.wait_for_selector("#confirm-form")
    cell_end = cell_start + dt.timedelta(minutes=30)
    assert page.inner_text("#confirm-when") == f"{long_when(cell_start, cell_end, zone)} ({zone})"
    sent = len(mail.outbox)
    page.click("#send-invite")
    session = session_on_page(page)
    assert session.start == cell_start
    assert_emails_say(session, new_mail_since(sent), subject_prefix="Invitation:")
    shot(page, f"{name}-09-group-booked")

    # 6. Yesterday's session, booked back then: the To-Do and the page name its time; done.
    yesterday = timezone.now().astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=1)
    past_start = at_local(yesterday, journey.past, zone)
    past = services.session_book(
        match_or_group=match,
        start=past_start,
        duration=30,
        booked_by=booker,
        now=past_start - dt.timedelta(days=2),
    )
    page.goto(live_server.url + reverse("home"))
    w = wall(past_start, zone)
    todo = page.locator(f'[data-todo="past-session-{past.pk}"]').inner_text()
    assert f"on {w:%a} {w.day} {w:%b} at {w:%H:%M} happen?" in todo, todo
    shot(page, f"{name}-10-todo")
    page.goto(live_server.url + reverse("session_detail", args=[past.pk]))
    past_end = past_start + dt.timedelta(minutes=30)
    assert page.inner_text("#session-when") == f"{long_when(past_start, past_end, zone)} ({zone})"
    page.click("#mark-done")
    page.wait_for_selector('#session-status:has-text("Completed")')
    shot(page, f"{name}-11-done")


def next_dst_change(zone: str, after: dt.date) -> dt.date:
    """The first date after ``after`` on which ``zone``'s UTC offset changes."""
    tz = ZoneInfo(zone)
    day = after
    offset = dt.datetime.combine(day, dt.time(12), tzinfo=tz).utcoffset()
    while True:
        day += dt.timedelta(days=1)
        if dt.datetime.combine(day, dt.time(12), tzinfo=tz).utcoffset() != offset:
            return day


def test_a_weekly_series_across_a_daylight_saving_change_keeps_the_wall_clock(
    open_as,  # noqa: F811
    live_server,
    northwind,
):
    zone = "America/Los_Angeles"
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    change = next_dst_change(zone, today + dt.timedelta(days=8))
    first_day = change - dt.timedelta(days=5)  # the Tuesday before the change (a Sunday)
    jamal = factories.person(northwind, "jamal", time_zone=zone)
    ada = factories.person(northwind, "ada", time_zone="Europe/London")
    program = factories.one_to_one_program(
        northwind,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=400),
    )
    match = program_services.match_create(program=program, mentee=jamal, mentor=ada)
    page = open_as(jamal)
    first = at_local(first_day, "10:00", zone)
    open_day(page, live_server, reverse("match_book", args=[match.pk]), first_day)
    pick_time(page, first, "10:00")
    page.select_option("#id_repeat", "weekly")
    page.fill("#id_count", "3")
    page.click("#check-occurrences")
    page.wait_for_selector(".occurrence:nth-child(3) .occ-value")
    days = [first_day + dt.timedelta(weeks=k) for k in range(3)]
    shown = [page.locator(".occ-value").nth(k).input_value() for k in range(3)]
    assert shown == [f"{d.isoformat()}T10:00" for d in days]
    shot(page, "dst-01-series")
    sent = len(mail.outbox)
    page.click("#send-invite")
    session_on_page(page)
    booked = list(Session.objects.filter(match=match).order_by("start"))
    assert [s.start for s in booked] == [at_local(d, "10:00", zone) for d in days]
    # The wall clock stays; the instant moves by the hour the clocks changed.
    assert booked[1].start - booked[0].start != dt.timedelta(weeks=1)
    mails = new_mail_since(sent)
    for occurrence in booked:
        for_it = [m for m in mails if any(e.decoded("DTSTART") == occurrence.start
                                          for e in _ics_events(m))]  # fmt: skip
        assert_emails_say(occurrence, for_it, subject_prefix="Invitation:")
        page.goto(live_server.url + reverse("session_detail", args=[occurrence.pk]))
        end = occurrence.end
        assert (
            page.inner_text("#session-when") == f"{long_when(occurrence.start, end, zone)} ({zone})"
        )
    shot(page, "dst-02-after-the-change")
