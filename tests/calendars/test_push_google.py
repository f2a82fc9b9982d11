"""Google push notifications end to end over real HTTP: the emulator opens channels as
Google does and posts its messages to Together's webhook (a live server), which reads the
calendar at once; lost messages, expired channels, renewal and disconnect."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests
import time_machine
from django.urls import reverse
from django.utils import timezone

from calendars import push, services
from calendars.models import BusyBlock, CalendarConnection, PushChannel
from tests.calendars.test_google_individual import ALICE, connect_google

pytestmark = pytest.mark.django_db(transaction=True)


def _requests_in_flight() -> bool:
    import threading

    return any("process_request_thread" in t.name for t in threading.enumerate())


@pytest.fixture
def pushed(settings, live_server, emulator, client, alice_mentee):
    settings.CALENDAR_PUSH_URL = live_server.url
    client.force_login(alice_mentee)
    connect_google(client, emulator)
    yield CalendarConnection.objects.get(user=alice_mentee)
    # A webhook request may still be finishing its read after the test saw the result; let
    # it end before the database is flushed under it.
    _wait_for(lambda: not _requests_in_flight())


def _channels(emulator) -> list[dict]:
    return emulator.control("GET", "/push/channels")["channels"]


def _wait_for(condition, seconds: float = 5.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds:.0f} s")


def test_a_change_in_google_reaches_the_busy_cache_in_seconds(pushed, emulator, alice_mentee):
    channel = PushChannel.objects.get(user=alice_mentee)
    assert channel.calendar.connection == pushed and channel.expires_at > timezone.now()
    assert [c["id"] for c in _channels(emulator)] == [channel.channel_id]
    emulator.add_events(ALICE, [{"start": "+2d 10:00", "duration": "1h"}])
    took = _wait_for(lambda: BusyBlock.objects.filter(user=alice_mentee).exists())
    assert took < 5
    channel.refresh_from_db()
    assert channel.last_message >= 2  # "sync" first, then the change


def test_a_message_with_a_wrong_token_or_an_unknown_channel_changes_nothing(
    pushed, live_server, alice_mentee
):
    channel = PushChannel.objects.get(user=alice_mentee)
    url = live_server.url + reverse("calendars:push_google")
    headers = {
        "X-Goog-Channel-ID": channel.channel_id,
        "X-Goog-Channel-Token": "forged",
        "X-Goog-Resource-ID": channel.resource_id,
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "99",
    }
    assert requests.post(url, headers=headers, timeout=5).status_code == 403
    unknown = {**headers, "X-Goog-Channel-ID": "not-ours", "X-Goog-Channel-Token": channel.token}
    assert requests.post(url, headers=unknown, timeout=5).status_code == 404
    channel.refresh_from_db()
    assert channel.last_message < 99


def test_a_lost_message_is_caught_by_the_next_poll(pushed, emulator, alice_mentee):
    emulator.control("POST", "/push/drop", {"count": 1})
    emulator.add_events(ALICE, [{"start": "+3d 10:00", "duration": "1h"}])
    _wait_for(lambda: emulator.control("GET", "/push/channels")["dropped"] == 1)
    assert not BusyBlock.objects.filter(user=alice_mentee).exists()
    services.sync_connection(connection_id=pushed.pk)  # beat's backstop poll
    assert BusyBlock.objects.filter(user=alice_mentee).count() == 1


def test_a_channel_is_replaced_before_it_expires_and_stopped_on_disconnect(
    pushed, emulator, alice_mentee
):
    first = PushChannel.objects.get(user=alice_mentee)
    with time_machine.travel(first.expires_at - dt.timedelta(hours=12), tick=True):
        services.sync_connection(connection_id=pushed.pk)
        second = PushChannel.objects.get(user=alice_mentee)
        assert second.channel_id != first.channel_id
        assert [c["id"] for c in _channels(emulator)] == [second.channel_id]  # old one stopped
    services.connection_disconnect(connection=pushed)
    assert not PushChannel.objects.exists()
    assert _channels(emulator) == []


def test_no_push_url_means_no_channels(settings, emulator, client, alice_mentee):
    settings.CALENDAR_PUSH_URL = ""
    client.force_login(alice_mentee)
    connect_google(client, emulator)
    assert not PushChannel.objects.exists()
    assert push.push_enabled() is False


def test_members_under_a_domain_wide_grant_are_pushed_too(
    settings, live_server, emulator, client, priya_it, bob_mentor
):
    from tests.calendars.test_domain_wide import connect_google_workspace

    settings.CALENDAR_PUSH_URL = live_server.url
    connect_google_workspace(client, emulator, priya_it)
    assert set(PushChannel.objects.values_list("user_id", flat=True)) == {
        priya_it.pk,
        bob_mentor.pk,
    }
    emulator.add_events("bob@northwind.example", [{"start": "+1d 15:00", "duration": "1h"}])
    _wait_for(lambda: BusyBlock.objects.filter(user=bob_mentor).exists())
    _wait_for(lambda: not _requests_in_flight())
    from calendars.models import OrganizationIntegration

    services.organization_disconnect(integration=OrganizationIntegration.objects.get())
    assert not PushChannel.objects.exists() and _channels(emulator) == []
