"""Busy times stay true as days pass: the synced window rolls forward and its cursor is
re-anchored, on both providers; nothing bookable lies beyond what was read."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from calendars import services
from calendars.models import BusyBlock, CalendarConnection
from tests.calendars.test_google_individual import ALICE, connect_google
from tests.calendars.test_microsoft_individual import CAROL, connect_outlook

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def short_window(settings):
    # A 60-day window keeps the test's event 75 days ahead out of the first read.
    settings.CALENDAR_SYNC_DAYS_AHEAD = 60
    return settings


def _blocks_far_ahead(user, days: int) -> int:
    after = timezone.now() + dt.timedelta(days=days)
    return BusyBlock.objects.filter(user=user, start__gte=after).count()


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_an_event_comes_into_the_window_as_the_days_pass(
    provider, short_window, emulator, client, alice_mentee, carol_outsider
):
    person, account = (alice_mentee, ALICE) if provider == "google" else (carol_outsider, CAROL)
    client.force_login(person)
    emulator.add_events(
        account, [{"summary": "Far away leave", "start": "+75d 10:00", "duration": "2h"}]
    )
    (connect_google if provider == "google" else connect_outlook)(client, emulator, account)
    connection = CalendarConnection.objects.get(user=person)
    assert _blocks_far_ahead(person, 70) == 0  # beyond the window: not read yet
    with time_machine.travel(timezone.now() + dt.timedelta(days=20), tick=True):
        # An incremental sync on a later day re-anchors the cursor on the moved window.
        services.sync_connection(connection_id=connection.pk)
        assert _blocks_far_ahead(person, 50) == 1
        cal = connection.calendars.get(primary=True)
        assert cal.sync_token  # and keeps syncing incrementally from there
        assert cal.synced_until == services.sync_window()[1]


def test_the_window_covers_the_whole_bookable_range_all_day(settings):
    settings.CALENDAR_SYNC_DAYS_AHEAD = 30
    for hour in (0, 12, 23):
        moment = dt.datetime(2026, 3, 8, hour, 59, tzinfo=dt.UTC)
        with time_machine.travel(moment, tick=False):
            start, end = services.sync_window()
            assert start <= moment - dt.timedelta(days=1)
            assert end >= moment + services.booking_horizon()


def test_a_window_read_late_in_a_day_still_covers_the_horizon_all_next_day(settings):
    # Reads happen at least once a UTC day (polling is hourly); until the next day's first
    # read, what was read the day before must reach as far as anyone may book now.
    settings.CALENDAR_SYNC_DAYS_AHEAD = 30
    read_at = dt.datetime(2026, 3, 8, 23, 59, tzinfo=dt.UTC)
    with time_machine.travel(read_at, tick=False):
        _, read_until = services.sync_window()
    for hour in (0, 6, 12, 23):
        moment = dt.datetime(2026, 3, 9, hour, 59, tzinfo=dt.UTC)
        assert read_until >= moment + services.booking_horizon(), moment


def test_the_booking_horizon_and_the_synced_range_are_one_setting(settings):
    settings.CALENDAR_SYNC_DAYS_AHEAD = 366
    assert services.booking_horizon() == dt.timedelta(days=366)


def test_an_outlook_calendar_other_than_the_default_is_read_on_documented_paths(
    emulator, client, carol_outsider
):
    """Graph v1.0 has calendarView delta only for the default calendar; another calendar is
    listed through its calendarView (the emulator refuses the undocumented delta path)."""
    emulator.control(
        "POST",
        "/accounts",
        {
            "email": "team@contoso.example",
            "calendars": [
                {
                    "name": "Team",
                    "primary": True,
                    "id": "AAMkTeam",
                    "shared_with": {CAROL: "reader"},
                }
            ],
        },
    )
    emulator.add_events(
        "team@contoso.example", [{"start": "+2d 10:00", "duration": "1h"}], calendar="AAMkTeam"
    )
    client.force_login(carol_outsider)
    connect_outlook(client, emulator)
    connection = CalendarConnection.objects.get(user=carol_outsider)
    team = connection.calendars.get(calendar_id="AAMkTeam")
    services.calendar_choices_update(
        user=carol_outsider,
        check_ids=[team.pk, connection.calendars.get(primary=True).pk],
        destination_id=None,
    )
    emulator.control("DELETE", "/counters")
    services.sync_connection(connection_id=connection.pk)
    assert BusyBlock.objects.filter(calendar=team).count() == 1
    counters = emulator.counters()
    assert counters.get("graph.unsupported", 0) == 0
    assert counters.get("graph.calendarView") == 1 and counters.get("graph.calendarView.delta")
