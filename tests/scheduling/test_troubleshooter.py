"""The admin troubleshooter explains a match's day with the wizard's own reasons, and shows
each person's windows, time off, busy blocks and the program's rules."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from programs import availability as hours
from programs import services as program_services
from scheduling import services
from tests import factories

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
WEDNESDAY = dt.date(2026, 3, 4)


@pytest.fixture
def setting(northwind, mentoring):
    ben = factories.person(northwind, "ben", time_zone="Europe/Berlin")
    meera = factories.person(northwind, "meera", time_zone="Asia/Kolkata")
    hours.weekly_hours_set(user=ben, week=dict.fromkeys(range(5), [(dt.time(10), dt.time(16))]))
    hours.date_override_set(user=ben, date=WEDNESDAY, windows=[(dt.time(12), dt.time(14))])
    hours.booking_rules_set(program=mentoring, buffer_after_minutes=15, max_sessions_per_day=3)
    match = program_services.match_create(program=mentoring, mentee=meera, mentor=ben)
    services.session_book(
        match_or_group=match,
        start=dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC),  # 13:00 Berlin
        duration=30,
        booked_by=meera,
        time_zone="Asia/Kolkata",
        now=NOW,
    )
    admin = factories.person(northwind, "ada", time_zone="America/Sao_Paulo", staff=True)
    return match, meera, admin


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel(NOW, tick=False)
def test_the_troubleshooter_says_what_the_wizard_says(setting):
    match, meera, admin = setting
    wizard = signed_in(meera).get(
        reverse("match_book", args=[match.pk]),
        {"day": WEDNESDAY.isoformat(), "duration": 30, "tz": "Asia/Kolkata"},
    )
    assert wizard.status_code == 200
    explained = signed_in(admin).get(
        reverse("admin:scheduling_troubleshoot"),
        {"match": match.pk, "day": WEDNESDAY.isoformat(), "duration": 30},
    )
    assert explained.status_code == 200
    want = [(r.slot.local, r.until, r.reason) for r in wizard.context["time_rows"]]
    got = [(r.slot.local, r.until, r.reason) for r in explained.context["rows"]]
    assert got == want
    text = explained.content.decode()
    # 12:00-14:00 Berlin is 16:30-18:30 in Kolkata; the session at 13:00 Berlin (17:30) is
    # booked, and a slot needs 15 minutes clear after it, so 16:30 is the one bookable time.
    assert "16:30: bookable" in text
    assert "17:30: booked" in text
    assert "outside Ben&#x27;s hours" in text or "outside Ben's hours" in text
    assert "Hours on Wed 4 Mar: 12:00-14:00" in text
    assert "Limits per person: 3 a day" in text
    assert "Together sessions: Wed 17:30–18:00" in text  # on Meera's clock, as the page says


@time_machine.travel(NOW, tick=False)
def test_an_admin_of_another_organization_cannot_open_the_match(setting, contoso):
    match, _, _ = setting
    other = factories.person(contoso, "otto", time_zone="UTC", staff=True)
    response = signed_in(other).get(
        reverse("admin:scheduling_troubleshoot"), {"match": match.pk, "day": "2026-03-04"}
    )
    assert response.status_code == 404


def test_booking_rules_are_saved_through_the_service_and_nonsense_is_refused(northwind, mentoring):
    admin = factories.person(northwind, "ada", time_zone="UTC", staff=True)
    client = signed_in(admin)
    url = reverse("admin:programs_bookingrules_add")
    form = {
        "program": mentoring.pk,
        "min_notice_minutes": 60,
        "booking_window_days": 30,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 10,
        "max_sessions_per_day": 0,
        "max_sessions_per_week": "",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "must be at least 1, or empty" in refused.content.decode()
    assert not hours.booking_rules_for(mentoring).pk
    form["max_sessions_per_day"] = 2
    assert client.post(url, form).status_code == 302
    rules = hours.booking_rules_for(mentoring)
    assert (rules.min_notice_minutes, rules.max_sessions_per_day) == (60, 2)


def test_the_booking_rules_list_links_to_the_troubleshooter(northwind):
    admin = factories.person(northwind, "ada", time_zone="UTC", staff=True)
    page = signed_in(admin).get(reverse("admin:programs_bookingrules_changelist"))
    assert page.status_code == 200
    assert reverse("admin:scheduling_troubleshoot") in page.content.decode()
