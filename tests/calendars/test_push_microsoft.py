"""Microsoft Graph change notifications end to end over real HTTP: the emulator validates
Together's webhook, accepts the subscription and posts its notifications to the live server,
which reads the mailbox at once; forged notifications, lost ones, renewal before the
10,080-minute maximum, lifecycle events and disconnect, for an Outlook connection and for
members under a Microsoft 365 organization's application permission."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import time_machine
from django.urls import reverse
from django.utils import timezone

from calendars import push, services
from calendars.errors import ProviderError
from calendars.models import BusyBlock, CalendarConnection, OrganizationIntegration, PushChannel
from tests.calendars.test_microsoft_individual import CAROL, connect_outlook
from tests.calendars.test_push_google import _requests_in_flight, _wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pushed(settings, live_server, emulator, client, carol_outsider):
    settings.CALENDAR_PUSH_URL = live_server.url
    client.force_login(carol_outsider)
    connect_outlook(client, emulator)
    yield CalendarConnection.objects.get(user=carol_outsider)
    _wait_for(lambda: not _requests_in_flight())


def _subscriptions(emulator) -> list[dict]:
    return emulator.control("GET", "/graph-push/subscriptions")["subscriptions"]


def _lose_the_next_notification(emulator, account: str, start: str) -> None:
    """Add an event whose notifications Graph never delivers (one change may be posted in
    more than one message)."""
    emulator.control("POST", "/graph-push/drop", {"count": 5})
    emulator.add_events(account, [{"start": start, "duration": "1h"}])
    state = lambda: emulator.control("GET", "/graph-push/subscriptions")  # noqa: E731
    _wait_for(lambda: state()["dropped"] >= 1 and state()["pending"] == 0)


def _post(live_server, name: str, body: dict) -> requests.Response:
    return requests.post(live_server.url + reverse(name), json=body, timeout=5)


def test_a_change_in_outlook_reaches_the_busy_cache_in_seconds(pushed, emulator, carol_outsider):
    channel = PushChannel.objects.get(user=carol_outsider)
    assert channel.provider == "microsoft"
    [sub] = _subscriptions(emulator)
    assert sub["id"] == channel.channel_id and sub["resource"] == "/me/events"
    # The granted expiry is read back, and within Graph's maximum for Outlook events.
    assert timezone.now() < channel.expires_at <= timezone.now() + push.GRAPH_MAX_LIFETIME
    emulator.add_events(CAROL, [{"start": "+2d 10:00", "duration": "1h"}])
    took = _wait_for(lambda: BusyBlock.objects.filter(user=carol_outsider).exists())
    assert took < 5


def test_the_validation_handshake_echoes_the_token_as_plain_text(live_server):
    url = live_server.url + reverse("calendars:push_microsoft")
    answer = requests.post(url, params={"validationToken": "Validation: a+b c"}, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text == "Validation: a+b c"


def test_a_forged_or_unknown_notification_changes_nothing_and_a_repeat_is_harmless(
    pushed, live_server, emulator, carol_outsider
):
    channel = PushChannel.objects.get(user=carol_outsider)
    _lose_the_next_notification(emulator, CAROL, "+3d 10:00")
    note = {"subscriptionId": channel.channel_id, "clientState": "forged", "changeType": "created"}
    name = "calendars:push_microsoft"
    assert _post(live_server, name, {"value": [note]}).status_code == 403
    unknown = {**note, "subscriptionId": "not-ours", "clientState": channel.token}
    assert _post(live_server, name, {"value": [unknown]}).status_code == 404
    assert _post(live_server, name, {"nothing": 1}).status_code == 400
    assert not BusyBlock.objects.filter(user=carol_outsider).exists()
    real = {**note, "clientState": channel.token}
    assert _post(live_server, name, {"value": [real]}).status_code == 202
    assert _post(live_server, name, {"value": [real]}).status_code == 202
    assert BusyBlock.objects.filter(user=carol_outsider).count() == 1


def test_graph_refuses_a_lifetime_beyond_its_maximum_and_an_unvalidated_url(
    pushed, live_server, emulator
):
    provider = services.provider_for_connection(pushed)
    url, lifecycle = push._ms_urls()
    with pytest.raises(ProviderError, match="400"):
        provider.subscribe_events(
            notification_url=url,
            lifecycle_url=lifecycle,
            client_state="x",
            expires=timezone.now() + push.GRAPH_MAX_LIFETIME + dt.timedelta(minutes=5),
        )
    with pytest.raises(ProviderError, match="400"):  # the home page does not echo the token
        provider.subscribe_events(
            notification_url=live_server.url + "/",
            lifecycle_url="",
            client_state="x",
            expires=timezone.now() + dt.timedelta(days=1),
        )
    assert len(_subscriptions(emulator)) == 1


def test_a_subscription_is_renewed_before_it_expires_and_deleted_on_disconnect(
    pushed, emulator, carol_outsider
):
    first = PushChannel.objects.get(user=carol_outsider)
    with time_machine.travel(first.expires_at - dt.timedelta(hours=12), tick=True):
        services.sync_connection(connection_id=pushed.pk)
        renewed = PushChannel.objects.get(user=carol_outsider)
        assert renewed.channel_id == first.channel_id  # PATCHed, not replaced
        assert renewed.expires_at > first.expires_at + dt.timedelta(days=5)
        [sub] = _subscriptions(emulator)
    services.connection_disconnect(connection=pushed)
    assert not PushChannel.objects.exists()
    assert _subscriptions(emulator) == []


def test_a_missed_lifecycle_event_brings_a_full_read(pushed, emulator, carol_outsider):
    _lose_the_next_notification(emulator, CAROL, "+4d 09:00")
    assert not BusyBlock.objects.filter(user=carol_outsider).exists()
    emulator.control("POST", "/graph-push/lifecycle", {"event": "missed"})
    _wait_for(lambda: BusyBlock.objects.filter(user=carol_outsider).exists())


def test_a_removed_subscription_is_replaced_and_everything_read(pushed, emulator, carol_outsider):
    first = PushChannel.objects.get(user=carol_outsider)
    _lose_the_next_notification(emulator, CAROL, "+5d 09:00")
    emulator.control("POST", "/graph-push/lifecycle", {"event": "subscriptionRemoved"})
    _wait_for(lambda: BusyBlock.objects.filter(user=carol_outsider).exists())
    _wait_for(lambda: PushChannel.objects.exclude(channel_id=first.channel_id).exists())
    [sub] = _subscriptions(emulator)
    assert sub["id"] != first.channel_id
    assert PushChannel.objects.get(user=carol_outsider).channel_id == sub["id"]


def test_reauthorization_required_renews_the_subscription(pushed, emulator, carol_outsider):
    first = PushChannel.objects.get(user=carol_outsider)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=True):
        emulator.control("POST", "/graph-push/lifecycle", {"event": "reauthorizationRequired"})
        _wait_for(
            lambda: (
                PushChannel.objects.get(user=carol_outsider).expires_at
                > first.expires_at + dt.timedelta(days=1)
            )
        )
    assert PushChannel.objects.get(user=carol_outsider).channel_id == first.channel_id


def test_members_under_a_microsoft_365_organization_are_pushed_too(
    settings, live_server, emulator, client, carol_it, contoso
):
    from tests import factories
    from tests.calendars.test_domain_wide import admin_consent

    dan = factories.person(contoso, "dan")
    settings.CALENDAR_PUSH_URL = live_server.url
    admin_consent(client, emulator, carol_it, "carol@contoso.example")
    assert set(PushChannel.objects.values_list("user_id", flat=True)) == {carol_it.pk, dan.pk}
    assert {s["resource"] for s in _subscriptions(emulator)} == {
        "/users/carol@contoso.example/events",
        "/users/dan@contoso.example/events",
    }
    emulator.add_events("dan@contoso.example", [{"start": "+1d 15:00", "duration": "1h"}])
    _wait_for(lambda: BusyBlock.objects.filter(user=dan).exists())
    _wait_for(lambda: not _requests_in_flight())
    services.organization_disconnect(integration=OrganizationIntegration.objects.get())
    assert not PushChannel.objects.exists() and _subscriptions(emulator) == []
