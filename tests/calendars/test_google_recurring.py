"""A recurring series on Google as the days pass: its occurrences block, and deleting the
series frees every one of them (singleEvents=true reports its instances as cancelled)."""

from __future__ import annotations

import pytest
from django.test import TestCase

from calendars import services
from calendars.models import BusyBlock, CalendarConnection
from tests.calendars.test_google_individual import ALICE, connect_google


@pytest.fixture
def alice_weekly(emulator, client, alice_mentee):
    created = emulator.add_events(
        ALICE,
        [
            {
                "summary": "Weekly 1:1",
                "start": "+1d 10:00",
                "duration": "1h",
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6"],
            },
            {"summary": "Dentist", "start": "+2d 15:00", "duration": "1h"},
        ],
    )
    client.force_login(alice_mentee)
    connect_google(client, emulator)
    return CalendarConnection.objects.get(user=alice_mentee), created["event_ids"][0]


def test_deleting_a_series_frees_every_occurrence(alice_weekly, alice_mentee):
    connection, series_id = alice_weekly
    assert BusyBlock.objects.filter(user=alice_mentee).count() == 6 + 1
    provider = services.provider_for_connection(connection)
    provider.delete_event(calendar_id="primary", event_id=series_id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.sync_connection(connection_id=connection.pk)
    # The dentist stays; no occurrence of the deleted series does.
    assert BusyBlock.objects.filter(user=alice_mentee).count() == 1
    assert connection.calendars.get(primary=True).sync_token  # it was an incremental sync
