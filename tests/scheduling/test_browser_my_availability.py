"""Ben (Berlin) sets his hours, a date override and time off on Profile › My availability in
the browser; his mentee in Kolkata sees the effect at once in the wizard, on her own clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from programs import services as program_services
from programs.models import DateOverride, TimeOff
from tests import factories
from tests.scheduling.booking_pages import open_wizard, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN, KOLKATA = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Kolkata")


# Meera keeps a default week, every day 07:00-21:00 here, so Ben's hours are what limit her.
@pytest.mark.usefixtures("everyone_bookable_all_week")
def test_ben_sets_his_week_and_his_mentee_sees_it_at_once(
    open_as,  # noqa: F811
    live_server,
    northwind,
):
    today = timezone.now().date()
    ben = factories.person(northwind, "ben", time_zone="Europe/Berlin")
    meera = factories.person(northwind, "meera", time_zone="Asia/Kolkata")
    program = factories.one_to_one_program(
        northwind, starts_on=today - dt.timedelta(days=7), ends_on=today + dt.timedelta(days=90)
    )
    match = program_services.match_create(program=program, mentee=meera, mentor=ben)
    this_monday = today - dt.timedelta(days=today.weekday())
    monday = this_monday + dt.timedelta(days=7)
    tuesday, wednesday, friday = (monday + dt.timedelta(days=n) for n in (1, 2, 4))

    page = open_as(ben)
    page.goto(live_server.url + reverse("home"))
    page.click("text=My availability")
    page.wait_for_selector("[data-testid=default-week]")
    for number in range(7):
        page.fill(f"#day-{number}", "10:00-16:00" if number < 4 else "")
    page.click("text=Save weekly hours")
    page.wait_for_selector("text=Your weekly hours are saved")
    assert page.locator("[data-testid=default-week]").count() == 0

    page.fill("#override-date", wednesday.isoformat())
    page.fill("#override-windows", "12:00-14:00")
    page.click("text=Add override")
    page.wait_for_selector(f'[data-testid=overrides] li[data-date="{wednesday}"]')

    page.fill("#off-first", tuesday.isoformat())
    page.fill("#off-last", tuesday.isoformat())
    page.fill("#off-note", "Dentist")
    page.click("text=Add time off")
    page.wait_for_selector("text=nobody can book you then")
    preview = page.locator("[data-testid=preview]")
    assert preview.locator(f'li[data-date="{monday}"]').inner_text().endswith("10:00–16:00")
    assert "not bookable" in preview.locator(f'li[data-date="{tuesday}"]').inner_text()
    assert preview.locator(f'li[data-date="{wednesday}"]').inner_text().endswith("12:00–14:00")
    assert "not bookable" in preview.locator(f'li[data-date="{friday}"]').inner_text()
    assert "Dentist" in page.locator("[data-testid=time-off]").inner_text()
    shot(page, "my-availability-ben")
    assert TimeOff.objects.filter(user=ben).count() == 1
    assert DateOverride.objects.filter(user=ben, date=wednesday).count() == 1

    # Meera, in Kolkata, books Ben: Monday from 10:00 Berlin on her clock.
    mine = open_as(meera)
    ten = dt.datetime.combine(monday, dt.time(10), tzinfo=BERLIN).astimezone(KOLKATA)
    open_wizard(mine, live_server, match, ten)
    times = mine.locator(".time-list a.slot")
    assert times.first.inner_text().strip() == ten.strftime("%H:%M")
    last = dt.datetime.combine(monday, dt.time(15, 30), tzinfo=BERLIN).astimezone(KOLKATA)
    assert times.last.inner_text().strip() == last.strftime("%H:%M")
    assert "outside Ben's hours" in mine.locator(".time-list").inner_text()
    # Tuesday he is away; the note stays his.
    mine.click(f'a[data-date="{tuesday}"]')
    mine.wait_for_selector(f'a.date.selected[data-date="{tuesday}"]')
    listed = mine.locator(".time-list").inner_text()
    assert "Ben is away" in listed and "Dentist" not in listed
    assert mine.locator(".time-list a.slot").count() == 0
    # Wednesday only 12:00-14:00 Berlin.
    mine.click(f'a[data-date="{wednesday}"]')
    mine.wait_for_selector(f'a.date.selected[data-date="{wednesday}"]')
    noon = dt.datetime.combine(wednesday, dt.time(12), tzinfo=BERLIN).astimezone(KOLKATA)
    assert mine.locator(".time-list a.slot").first.inner_text().strip() == noon.strftime("%H:%M")
    assert mine.locator(".time-list a.slot").count() == 7  # 12:00 ... 13:30, every 15 minutes
    shot(mine, "my-availability-meera-wizard")

    # Ben takes Tuesday back; Meera's next look offers it (the stored answer is stale).
    page.locator("[data-testid=time-off] button").click()
    page.wait_for_selector("text=Time off removed")
    mine.click(f'a[data-date="{tuesday}"]')
    mine.wait_for_selector(f'a.date.selected[data-date="{tuesday}"]')
    assert mine.locator(".time-list a.slot").count() == 23  # 10:00 ... 15:30


def test_bad_hours_are_refused_on_the_page_and_change_nothing(open_as, live_server, northwind):  # noqa: F811
    ben = factories.person(northwind, "ben", time_zone="Europe/Berlin")
    page = open_as(ben)
    page.goto(live_server.url + reverse("my_availability"))
    page.fill("#day-0", "16:00-10:00")
    page.click("text=Save weekly hours")
    page.wait_for_selector("text=Monday: '16:00-10:00' ends before it starts.")
    assert page.locator("[data-testid=default-week]").count() == 1
    assert page.locator("#day-0").input_value() == "09:00-17:00"
