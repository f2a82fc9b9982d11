"""Booking in a real browser (Debian's Chromium driven by Playwright) against the live server.

Dates are computed from the real clock (a frozen clock would expire the browser's session
cookie): the target slot is 15:00 UTC on a Tuesday at least two days ahead, which is inside
everyone's bookable hours (London 15:00, New York 10:00, Berlin 16:00).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from programs import services as program_services
from programs.models import Program, Session
from scheduling import services
from scheduling.models import SessionInvite
from tests import factories
from tests.calendars.conftest import emulator, emulator_server  # noqa: F401
from tests.scheduling.booking_pages import shot, target_slot, zulu
from tests.scheduling.test_invites import (
    guest_copies,
    integrate_northwind,
    written_events,
)

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("everyone_bookable_all_week"),
]


def ics_text(message) -> str:
    content = message.attachments[0][1]
    return content.decode() if isinstance(content, bytes) else content


@pytest.fixture
def program(northwind) -> Program:
    today = timezone.now().date()
    return factories.one_to_one_program(
        northwind,
        name="Mentoring",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=200),
        agenda_template="1. Goals\n2. Next steps",
    )


@pytest.fixture
def match(program, alice_mentee, bob_mentor):
    return program_services.match_create(program=program, mentee=alice_mentee, mentor=bob_mentor)


def open_wizard(page, live_server, match, slot: dt.datetime):
    """Home → Book Session → the slot's date in the picker."""
    page.goto(live_server.url + reverse("home"))
    page.locator(f'article[data-match="{match.pk}"] >> text=Book Session').click()
    page.wait_for_selector("#wizard-form")
    day = slot.date().isoformat()
    if page.locator(f'a[data-date="{day}"]').count() == 0:
        page.click('a[aria-label="Next month"]')
        page.wait_for_selector(f'a[data-date="{day}"]')
    page.click(f'a[data-date="{day}"]')
    page.wait_for_selector(f'a.date.selected[data-date="{day}"]')


def choose_zone(page, zone: str) -> None:
    """Switch the page's zone with the picker, as a person does: type it, pick it."""
    page.fill("#id_tz", zone)
    page.wait_for_selector(f'#tz-options [role="option"][data-zone="{zone}"]')
    page.press("#id_tz", "ArrowDown")
    page.press("#id_tz", "Enter")
    page.wait_for_selector(f'#id_tz[data-current="{zone}"]')


def pick_time(page, slot: dt.datetime):
    page.click(f'a.slot[href*="start={zulu(slot)}"]')
    page.wait_for_selector("#confirm-form")


def test_booking_with_both_integrated_writes_one_event_with_a_meet_link(
    open_as,
    live_server,
    emulator,  # noqa: F811
    northwind,
    match,
    alice_mentee,
    bob_mentor,
):
    integrate_northwind(emulator, northwind)
    slot = target_slot()
    busy = slot - dt.timedelta(hours=2)
    emulator.add_events(
        bob_mentor.email,
        [
            {
                "summary": "Dentist",
                "start": busy.isoformat(),
                "end": (busy + dt.timedelta(hours=1)).isoformat(),
            }
        ],
    )
    page = open_as(alice_mentee)
    page.goto(live_server.url + reverse("home"))
    shot(page, "1to1-01-home")
    open_wizard(page, live_server, match, slot)
    assert page.locator("[data-insight=mutual]").count() == 1
    assert "You both have calendars connected" in page.inner_text(".insight")
    assert "Before your first session" in page.inner_text("#first-session-prompt")
    page.check("input[name=conferencing][value=video]")
    page.wait_for_selector("input[name=conferencing][value=video]:checked")
    page.wait_for_selector(f'a.slot.free[href*="start={zulu(slot)}"]')
    # Bob's dentist appointment shows as an anonymous busy block, nothing more.
    partner_busy = page.inner_text('ul[data-who="partner"]')
    assert "busy" in partner_busy
    assert "Dentist" not in page.content()
    shot(page, "1to1-02-wizard-both-integrated")
    pick_time(page, slot)
    shot(page, "1to1-03-confirm")
    page.click("#send-invite")
    page.wait_for_selector("#invite-state [data-state=sent]")
    shot(page, "1to1-04-invite-sent")
    session = Session.objects.get()
    assert "meet" in session.conference_url
    assert page.locator("#conference-link").inner_text() == session.conference_url
    (event,) = [e for e in written_events(emulator) if not e["deleted"]]
    assert event["conference_link"] == session.conference_url
    assert "Goals" in event["description"]
    invite = SessionInvite.objects.get()
    assert guest_copies(emulator, bob_mentor.email, invite.event_id)
    assert guest_copies(emulator, alice_mentee.email, invite.event_id)


def test_booking_with_neither_integrated_emails_an_ics_to_both(
    open_as, live_server, match, alice_mentee, bob_mentor
):
    slot = target_slot()
    page = open_as(alice_mentee, width=390)  # phone width
    open_wizard(page, live_server, match, slot)
    assert "plain time slots" in page.inner_text(".insight")
    shot(page, "none-01-wizard-phone")
    pick_time(page, slot)
    page.check("input[name=conferencing][value=location]")
    page.fill("#id_location", "Café by the station")
    page.click("#send-invite")
    page.wait_for_selector("#invite-state [data-state=sent]")
    shot(page, "none-02-invite-sent-phone")
    assert sorted(m.to[0] for m in mail.outbox) == [alice_mentee.email, bob_mentor.email]
    # Alice booked: Bob is asked to reply, Alice (the organizer) keeps her own copy.
    methods = {m.to[0]: re.search(r"^METHOD:(\w+)", ics_text(m), re.M)[1] for m in mail.outbox}
    assert methods == {alice_mentee.email: "PUBLISH", bob_mentor.email: "REQUEST"}


def test_a_recurring_series_with_one_conflicting_occurrence(
    open_as, live_server, match, alice_mentee, bob_mentor
):
    slot = target_slot()
    services.session_book(
        match_or_group=match,
        start=slot + dt.timedelta(weeks=1),
        duration=30,
        booked_by=bob_mentor,
        time_zone="UTC",
    )
    page = open_as(alice_mentee)
    page.goto(live_server.url + reverse("home"))
    open_wizard(page, live_server, match, slot)
    pick_time(page, slot)
    page.select_option("#id_repeat", "weekly")
    page.fill("#id_count", "3")
    page.click("#check-occurrences")
    page.wait_for_selector(".occurrence")
    assert page.locator('.occurrence[data-conflict="true"]').count() == 1
    shot(page, "series-01-one-conflict")
    # Move the conflicting occurrence one hour later instead of skipping it.
    conflict = page.locator('.occurrence[data-conflict="true"]')
    conflict.locator(".occ-include").check()
    moved = slot + dt.timedelta(weeks=1, hours=1)
    # Typed on Alice's wall clock, the zone the series is booked in (London: UTC+1 in summer).
    local = moved.astimezone(ZoneInfo(alice_mentee.time_zone))
    conflict.locator(".occ-value").fill(local.strftime("%Y-%m-%dT%H:%M"))
    # The moved time is checked again at once: the second occurrence is free now.
    page.wait_for_selector('.occurrence:nth-child(2) .badge:has-text("moved: no conflict")')
    assert page.locator('.occurrence[data-conflict="true"]').count() == 0
    shot(page, "series-02-moved")
    page.click("#send-invite")
    page.wait_for_selector("#invite-state")
    shot(page, "series-03-booked")
    starts = sorted(s.start for s in Session.objects.filter(booked_by=alice_mentee))
    assert starts == [slot, moved, slot + dt.timedelta(weeks=2)]
    assert len({s.series_id for s in Session.objects.filter(booked_by=alice_mentee)}) == 1
    assert SessionInvite.objects.count() == 4


def test_group_heat_map_hover_and_schedule(
    open_as, live_server, northwind, alice_mentee, bob_mentor
):
    today = timezone.now().date()
    program = factories.group_program(
        northwind, starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=200)
    )
    dan = factories.person(northwind, "dan", time_zone="Europe/Berlin")
    group = program_services.group_create(
        program=program, name="Circle A", facilitator=bob_mentor, members=[alice_mentee, dan]
    )
    slot = target_slot()
    # Dan is busy at the slot with another Together session; Alice and Bob have no calendar,
    # so they are unknown, never counted as available.
    other = factories.one_to_one_program(
        northwind, name="Other", starts_on=today, ends_on=today + dt.timedelta(days=200)
    )
    eve = factories.person(northwind, "eve")
    services.session_book(
        match_or_group=program_services.match_create(program=other, mentee=dan, mentor=eve),
        start=slot,
        duration=60,
        booked_by=eve,
        time_zone="UTC",
    )
    page = open_as(alice_mentee)
    page.goto(live_server.url + reverse("home"))
    page.locator(f'article[data-group="{group.pk}"] >> text=Book Session').click()
    choose_zone(page, "UTC")
    page.wait_for_selector("table.heatmap")
    week = slot.date() - dt.timedelta(days=slot.weekday())
    if page.locator(f'a.heat[data-start^="{slot.date().isoformat()}T15:00"]').count() == 0:
        page.click("text=Next week ›")
        page.wait_for_selector(f"text=week of {week.day} ")
    busy_cell = page.locator(f'a.heat[data-start^="{slot.date().isoformat()}T15:00"]')
    busy_cell.hover()
    tip = busy_cell.locator(".heat-tip")
    assert tip.is_visible()
    assert "0 of 3 available, 2 unknown" in tip.inner_text()
    assert "Dan Example" in tip.inner_text()
    shot(page, "group-01-heat-map-hover")
    free_slot = slot + dt.timedelta(hours=2)
    page.click(f'a.heat[data-start^="{free_slot.date().isoformat()}T17:00"]')
    page.wait_for_selector("#confirm-form")
    page.select_option("#id_duration", "60")
    page.check("input[name=conferencing][value=custom_link]")
    page.fill("#id_url", "https://meet.example.org/circle-a")
    shot(page, "group-02-schedule")
    assert page.inner_text("#send-invite") == "Schedule"
    page.click("#send-invite")
    page.wait_for_selector("#invite-state [data-state=sent]")
    shot(page, "group-03-scheduled")
    session = Session.objects.get(group=group)
    assert session.duration_minutes == 60
    assert {u.email for u in session.participants.all()} == {
        alice_mentee.email,
        bob_mentor.email,
        dan.email,
    }
    group_mails = [m for m in mail.outbox if "Circle A" in m.subject]
    assert len(group_mails) == 3


def test_reschedule_cancel_and_mark_as_done(open_as, live_server, match, alice_mentee, bob_mentor):
    slot = target_slot()
    session = services.session_book(
        match_or_group=match, start=slot, duration=30, booked_by=alice_mentee, time_zone="UTC"
    )
    page = open_as(bob_mentor)
    page.goto(live_server.url + reverse("session_detail", args=[session.pk]))
    page.click("#reschedule")
    page.wait_for_selector("#wizard-form")
    choose_zone(page, "UTC")
    page.wait_for_selector("text=All times are shown in UTC")
    new_day = (slot + dt.timedelta(days=1)).date().isoformat()
    if page.locator(f'a[data-date="{new_day}"]').count() == 0:
        page.click('a[aria-label="Next month"]')
    page.click(f'a[data-date="{new_day}"]')
    page.wait_for_selector(f'a.date.selected[data-date="{new_day}"]')
    shot(page, "after-01-reschedule-wizard")
    new_start = slot + dt.timedelta(days=1, hours=1)
    pick_time(page, new_start)
    # Bob is the match's last participant: no dangling comma after the only other name.
    assert page.inner_text("#confirm-with") == "Alice Example"
    page.click("#send-invite")
    page.wait_for_selector("#session-status")
    shot(page, "after-02-rescheduled")
    session.refresh_from_db()
    assert session.start == new_start
    assert any("Updated" in m.subject for m in mail.outbox)

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-session")
    page.wait_for_selector("#session-status:has-text('Cancelled')")
    shot(page, "after-03-cancelled")
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert any("METHOD:CANCEL" in ics_text(m) for m in mail.outbox if m.attachments)

    # A session held outside Together, marked as done from the wizard's link.
    page.goto(live_server.url + reverse("match_book", args=[match.pk]))
    page.click("text=Had a session outside Together? Mark it as done")
    yesterday = (timezone.now() - dt.timedelta(days=1)).astimezone(dt.UTC)
    page.fill("#id_start", yesterday.strftime("%Y-%m-%dT10:00"))
    page.click("#record-done")
    page.wait_for_selector("#session-status:has-text('Completed')")
    shot(page, "after-04-marked-done")
    assert Session.objects.filter(origin=Session.Origin.OUTSIDE, status="completed").count() == 1


def test_marking_a_past_scheduled_session_as_done(
    open_as, live_server, match, alice_mentee, bob_mentor
):
    yesterday = timezone.now().date() - dt.timedelta(days=1)
    start = dt.datetime.combine(yesterday, dt.time(15, 0), tzinfo=dt.UTC)
    # Booked a week before it took place; nobody has said since whether it happened.
    session = services.session_book(
        match_or_group=match,
        start=start,
        duration=30,
        booked_by=alice_mentee,
        time_zone="UTC",
        now=start - dt.timedelta(days=7),
    )
    page = open_as(bob_mentor)
    page.goto(live_server.url + reverse("home"))
    # It has ended, so it is no longer among the upcoming sessions; My sessions lists it.
    assert page.locator(f'li.session[data-session="{session.pk}"]').count() == 0
    page.click("text=All my sessions")
    row = page.locator(f'li.session[data-session="{session.pk}"]')
    assert "Scheduled" in row.inner_text()
    assert row.locator("[data-state]").inner_text() == "Invite sent"
    shot(page, "past-01-my-sessions")
    row.locator("a").first.click()
    page.wait_for_selector("#session-status:has-text('Scheduled')")
    shot(page, "past-02-session-page")
    page.click("#mark-done")
    page.wait_for_selector("#session-status:has-text('Completed')")
    assert "Marked as done" in page.inner_text(".messages")
    assert page.locator("#mark-done").count() == 0
    shot(page, "past-03-marked-done")
    session.refresh_from_db()
    assert session.status == Session.Status.COMPLETED
    assert session.completed_at is not None


@pytest.fixture
def circle(northwind, alice_mentee, bob_mentor):
    """Circle A: Alice and Dan (Berlin), facilitated by Bob; all three are participants."""
    today = timezone.now().date()
    program = factories.group_program(
        northwind, starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=200)
    )
    dan = factories.person(northwind, "dan", time_zone="Europe/Berlin")
    return program_services.group_create(
        program=program, name="Circle A", facilitator=bob_mentor, members=[alice_mentee, dan]
    )


def open_heat_map_in_utc(page, slot: dt.datetime) -> None:
    """From the group booking page: show the heat map in UTC on the week holding ``slot``."""
    page.wait_for_selector("table.heatmap")
    choose_zone(page, "UTC")
    page.wait_for_selector('a.heat[href*="tz=UTC"]')
    if page.locator(f'a.heat[data-start^="{slot.date().isoformat()}T"]').count() == 0:
        page.click("text=Next week ›")
        page.wait_for_selector(f'a.heat[data-start^="{slot.date().isoformat()}T"]')


def test_a_group_recurring_series_from_the_heat_map(
    open_as, live_server, northwind, circle, alice_mentee
):
    slot = target_slot()
    dan = circle.members.get(first_name="Dan")
    # Dan has another Together session a week later: the second occurrence conflicts for him.
    today = timezone.now().date()
    other = factories.one_to_one_program(
        northwind, name="Other", starts_on=today, ends_on=today + dt.timedelta(days=200)
    )
    eve = factories.person(northwind, "eve")
    services.session_book(
        match_or_group=program_services.match_create(program=other, mentee=dan, mentor=eve),
        start=slot + dt.timedelta(weeks=1),
        duration=60,
        booked_by=eve,
        time_zone="UTC",
    )
    mail.outbox.clear()
    page = open_as(alice_mentee)
    page.goto(live_server.url + reverse("home"))
    page.locator(f'article[data-group="{circle.pk}"] >> text=Book Session').click()
    open_heat_map_in_utc(page, slot)
    page.click(f'a.heat[data-start^="{slot.date().isoformat()}T15:00"]')
    page.wait_for_selector("#confirm-form")
    page.select_option("#id_repeat", "weekly")
    page.fill("#id_count", "3")
    page.click("#check-occurrences")
    page.wait_for_selector(".occurrence")
    occurrences = page.locator(".occurrence")
    assert [occurrences.nth(i).get_attribute("data-conflict") for i in range(3)] == [
        "false",
        "true",
        "false",
    ]
    assert occurrences.count() == 3
    assert "no conflict" in occurrences.nth(0).inner_text()
    assert "conflict — move or skip" in occurrences.nth(1).inner_text()
    assert "no conflict" in occurrences.nth(2).inner_text()
    shot(page, "group-series-01-occurrences")
    conflict = page.locator('.occurrence[data-conflict="true"]')
    conflict.locator(".occ-include").check()
    moved = slot + dt.timedelta(weeks=1, hours=1)
    # Typed on the wall clock of the zone the heat map was switched to (UTC).
    conflict.locator(".occ-value").fill(moved.strftime("%Y-%m-%dT%H:%M"))
    page.click("#send-invite")
    page.wait_for_selector("#invite-state [data-state=sent]")
    assert "3 sessions booked" in page.inner_text(".messages")
    shot(page, "group-series-02-booked")

    sessions = list(Session.objects.filter(group=circle).order_by("start"))
    assert [s.start for s in sessions] == [slot, moved, slot + dt.timedelta(weeks=2)]
    assert len({s.series_id for s in sessions}) == 1 and sessions[0].series_id is not None
    members = {u.pk for u in circle.members.all()}
    assert len(members) == 3
    for session in sessions:
        assert {u.pk for u in session.participants.all()} == members
    invites = SessionInvite.objects.filter(session__group=circle)
    assert sorted(i.session_id for i in invites) == [s.pk for s in sessions]
    assert {i.state for i in invites} == {SessionInvite.State.SENT}
    assert len({i.ics_uid for i in invites}) == 3
    # Each member gets each occurrence's own invitation.
    assert len([m for m in mail.outbox if "Circle A" in m.subject]) == 9

    # The home page lists all three with their invite state.
    page.goto(live_server.url + reverse("home"))
    for session in sessions:
        card = page.locator(f'li.session[data-session="{session.pk}"]')
        assert card.locator("[data-state=sent]").inner_text() == "Invite sent"
    shot(page, "group-series-03-home")


def test_rescheduling_a_group_session(open_as, live_server, circle, bob_mentor):
    slot = target_slot()
    session = services.session_book(
        match_or_group=circle, start=slot, duration=60, booked_by=bob_mentor, time_zone="UTC"
    )
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.SENT
    mail.outbox.clear()
    # Any member may move it, not only whoever booked it.
    page = open_as(circle.members.get(first_name="Dan"))
    page.goto(live_server.url + reverse("session_detail", args=[session.pk]))
    page.click("#reschedule")
    open_heat_map_in_utc(page, slot)
    assert "Reschedule the session of Circle A" in page.inner_text("h1")
    shot(page, "group-reschedule-01-heat-map")
    new_start = slot + dt.timedelta(days=1, hours=1)
    page.click(f'a.heat[data-start^="{new_start.date().isoformat()}T16:00"]')
    page.wait_for_selector("#confirm-form")
    assert "Confirm the new time" in page.inner_text("h1")
    assert page.inner_text("#confirm-with") == "Alice Example, Bob Example"
    assert page.inner_text("#confirm-was") == slot.strftime("%A %-d %B %Y, 15:00–16:00")
    assert page.inner_text("#confirm-when").startswith(
        new_start.strftime("%A %-d %B %Y, 16:00–17:00")
    )
    shot(page, "group-reschedule-02-confirm")
    page.click("#send-invite")
    page.wait_for_selector("#invite-state [data-state=sent]")
    assert "Session moved" in page.inner_text(".messages")
    shot(page, "group-reschedule-03-moved")

    assert Session.objects.filter(group=circle).count() == 1
    session.refresh_from_db()
    assert session.start == new_start
    assert session.duration_minutes == 60
    assert session.status == Session.Status.SCHEDULED
    invite.refresh_from_db()
    assert invite.pending_change == "rescheduled"
    assert invite.state == SessionInvite.State.SENT
    assert invite.ics_sequence == 1
    updates = [m for m in mail.outbox if m.subject.startswith("Updated:")]
    assert sorted(m.to[0] for m in updates) == sorted(u.email for u in circle.members.all())
    for message in updates:
        text = ics_text(message)
        assert f"UID:{invite.ics_uid}" in text
        assert "SEQUENCE:1" in text


def test_retrying_a_failed_invite_from_the_home_page(
    open_as, live_server, match, alice_mentee, bob_mentor
):
    slot = target_slot()
    session = services.session_book(
        match_or_group=match, start=slot, duration=30, booked_by=alice_mentee, time_zone="UTC"
    )
    # Failed, as a broker outage leaves it (services._send_to_worker).
    SessionInvite.objects.filter(session=session).update(
        state=SessionInvite.State.FAILED,
        notice=services.INVITE_NOT_QUEUED,
        last_error="OperationalError: broker down",
    )
    mail.outbox.clear()
    page = open_as(bob_mentor)
    page.goto(live_server.url + reverse("home"))
    card = page.locator(f'li.session[data-session="{session.pk}"]')
    assert card.locator("[data-state]").inner_text() == "Invite failed"
    assert "could not start sending this invite" in card.inner_text()
    assert "broker down" not in card.inner_text()
    shot(page, "retry-01-home-failed")
    card.get_by_role("button", name="Retry").click()
    # Back on the home page, where the button was, with the card up to date.
    page.wait_for_url(live_server.url + reverse("home"))
    assert "Trying to send the invite again" in page.inner_text(".messages")
    page.wait_for_selector(f'li.session[data-session="{session.pk}"] [data-state=sent]')
    shot(page, "retry-02-sent")
    assert SessionInvite.objects.get(session=session).state == SessionInvite.State.SENT
    assert sorted(m.to[0] for m in mail.outbox) == [alice_mentee.email, bob_mentor.email]
    assert card.locator("[data-state]").inner_text() == "Invite sent"
    assert card.get_by_role("button", name="Retry").count() == 0


UNLABELLED_CONTROLS = """
() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.innerText.trim()))
  .map(el => el.outerHTML.slice(0, 120))
"""


def tab_to(page, check: str, *, limit: int = 400) -> None:
    """Press Tab until ``check`` (a JS expression about ``el``, the focused element) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({check}); }}"):
            return
    raise AssertionError(f"Tab never reached an element where {check}")


def test_booking_works_with_the_keyboard_alone_and_every_control_is_labelled(
    open_as, live_server, match, alice_mentee
):
    slot = target_slot()
    day = slot.date().isoformat()
    page = open_as(alice_mentee)
    page.goto(live_server.url + reverse("home"))
    tab_to(page, "el.innerText && el.innerText.includes('Book Session')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#wizard-form")
    if page.locator(f'a[data-date="{day}"]').count() == 0:
        tab_to(page, "el.getAttribute('aria-label') === 'Next month'")
        page.keyboard.press("Enter")
        page.wait_for_selector(f'a[data-date="{day}"]')
    tab_to(page, f"el.dataset && el.dataset.date === '{day}'")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'a.date.selected[data-date="{day}"]')
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    tab_to(page, f"el.href && el.href.includes('start={zulu(slot)}')")
    shot(page, "keyboard-01-time-focused")
    page.keyboard.press("Enter")
    page.wait_for_selector("#confirm-form")
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    tab_to(page, "el.id === 'send-invite'")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-state]")
    shot(page, "keyboard-02-booked")
    assert Session.objects.get().start == slot
