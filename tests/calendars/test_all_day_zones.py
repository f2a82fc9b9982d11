"""An all-day event blocks midnight to midnight on its calendar's own clock, whatever zone
the person's Together profile is in, so it blocks the same hours however they connected."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calendars.models import BusyBlock
from tests.calendars.test_google_individual import ALICE, connect_google
from tests.calendars.test_microsoft_individual import CAROL, connect_outlook


@pytest.mark.parametrize(
    "provider, calendar_zone, profile_zone",
    [
        ("google", "Europe/London", "Pacific/Auckland"),
        ("microsoft", "Asia/Kolkata", "America/Los_Angeles"),
    ],
)
def test_an_all_day_event_is_placed_in_the_calendars_zone(
    provider, calendar_zone, profile_zone, emulator, client, alice_mentee, carol_outsider
):
    person, account = (alice_mentee, ALICE) if provider == "google" else (carol_outsider, CAROL)
    # The person travels: their profile says one zone, their calendar keeps its own.
    person.time_zone = profile_zone
    person.save(update_fields=["time_zone"])
    emulator.add_events(account, [{"summary": "Holiday", "start": "+5d", "days": 1}])
    client.force_login(person)
    (connect_google if provider == "google" else connect_outlook)(client, emulator, account)
    block = BusyBlock.objects.get(user=person)
    local = block.start.astimezone(ZoneInfo(calendar_zone))
    assert (local.hour, local.minute) == (0, 0)
    assert block.end - block.start == dt.timedelta(days=1)
