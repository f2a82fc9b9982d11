"""Connect Google (authorization code + state + PKCE) through the emulator, then sync."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from calendars import selectors, services
from calendars.errors import CalendarRefused
from calendars.models import BusyBlock, CalendarConnection
from programs.busy_versions import busy_versions

ALICE = "alice@northwind.example"


def start_connect(client, provider="google", **data) -> str:
    response = client.post(reverse("calendars:connect", args=[provider]), data)
    assert response.status_code == 302
    return response["Location"]


def follow_back(client, redirect_url: str):
    parts = urlsplit(redirect_url)
    return client.get(
        parts.path, parse_qs(parts.query) and {k: v[0] for k, v in parse_qs(parts.query).items()}
    )


def connect_google(client, emulator, account=ALICE):
    from django.test import TestCase

    back = emulator.consent(start_connect(client), account=account)
    # The first sync is enqueued on commit; run it as the real request would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return follow_back(client, back)


@pytest.fixture
def alice_client(client, alice_mentee):
    client.force_login(alice_mentee)
    return client


def test_it_connects_google_with_state_and_pkce(emulator, alice_client, alice_mentee):
    url = start_connect(alice_client)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"][0]
    response = follow_back(alice_client, emulator.consent(url, account=ALICE))
    assert response.status_code == 302
    connection = CalendarConnection.objects.get(user=alice_mentee)
    assert connection.provider == "google" and connection.account_email == ALICE
    assert connection.refresh_token and connection.status == "active"
    primary = connection.calendars.get(primary=True)
    assert primary.check_conflicts and primary.is_destination
    assert selectors.insight_for(alice_mentee) == "individual"
    assert selectors.write_target_for(alice_mentee).calendar_id == primary.calendar_id


def test_it_refuses_a_reused_state_and_stores_nothing_twice(emulator, alice_client, alice_mentee):
    back = emulator.consent(start_connect(alice_client), account=ALICE)
    assert follow_back(alice_client, back).status_code == 302
    CalendarConnection.objects.all().delete()
    replay = follow_back(alice_client, back)
    assert replay.status_code == 400
    assert b"expired or was not started from this browser" in replay.content
    assert not CalendarConnection.objects.exists()


def test_it_refuses_a_missing_state(emulator, alice_client):
    response = alice_client.get(reverse("calendars:oauth_callback", args=["google"]), {"code": "x"})
    assert response.status_code == 400
    assert not CalendarConnection.objects.exists()


def test_it_refuses_a_state_from_another_session(emulator, alice_client, client_factory=None):
    from django.test import Client

    back = emulator.consent(start_connect(alice_client), account=ALICE)
    from programs.models import User

    other = Client()
    other.force_login(User.objects.get(email=ALICE))  # same person, another browser
    assert follow_back(other, back).status_code == 400
    assert not CalendarConnection.objects.exists()


def test_it_refuses_a_wrong_pkce_verifier(emulator, alice_client):
    back = emulator.consent(start_connect(alice_client), account=ALICE)
    session = alice_client.session
    flows = session["calendar_oauth_flows"]
    for entry in flows.values():
        entry["verifier"] = "x" * 64
    session["calendar_oauth_flows"] = flows
    session.save()
    response = follow_back(alice_client, back)
    assert response.status_code == 400
    assert not CalendarConnection.objects.exists()


def test_it_shows_required_permissions_not_granted_when_scopes_are_unticked(emulator, alice_client):
    url = start_connect(alice_client)
    back = emulator.consent(
        url, account=ALICE, untick=("https://www.googleapis.com/auth/calendar",)
    )
    response = follow_back(alice_client, back)
    assert response.status_code == 400
    assert b"Required permissions were not granted" in response.content
    assert not CalendarConnection.objects.exists()


def test_it_shows_the_organization_has_not_approved_page(emulator, client, db):
    from tests import factories

    blocked = factories.organization("Blocked", "blocked.example")
    zoe = factories.person(blocked, "zoe")
    client.force_login(zoe)
    back = emulator.consent(start_connect(client), account="zoe@blocked.example")
    response = follow_back(client, back)
    assert response.status_code == 400
    assert b"has not approved this app" in response.content
    assert b"Sign in with a different account" in response.content
    assert not CalendarConnection.objects.exists()


def test_it_syncs_each_event_kind_from_google(emulator, alice_client, alice_mentee):
    emulator.add_events(
        ALICE,
        [
            {"summary": "Secret 1:1", "start": "+2d 09:00", "duration": "1h", "show_as": "busy"},
            {"summary": "Maybe", "start": "+2d 11:00", "duration": "1h", "show_as": "tentative"},
            {"summary": "Holiday", "start": "+2d 13:00", "duration": "1h", "show_as": "oof"},
            {"summary": "Free", "start": "+2d 15:00", "duration": "1h", "show_as": "free"},
            {"summary": "Declined", "start": "+2d 17:00", "duration": "1h", "response": "declined"},
            {"summary": "Conference", "start": "+4d", "days": 2},
        ],
    )
    connect_google(alice_client, emulator)
    blocks = list(BusyBlock.objects.filter(user=alice_mentee).order_by("start"))
    kinds = sorted(b.kind for b in blocks)
    assert kinds == ["busy", "busy", "oof", "tentative"]
    from zoneinfo import ZoneInfo

    allday = blocks[-1]
    local = allday.start.astimezone(ZoneInfo("Europe/London"))
    assert (local.hour, local.minute) == (0, 0)
    assert allday.end - allday.start >= dt.timedelta(hours=47)
    row = BusyBlock.objects.filter(user=alice_mentee).values().first()
    assert "Secret" not in repr(row)


def test_it_syncs_incrementally_and_resyncs_after_410(
    emulator, alice_client, alice_mentee, django_capture_on_commit_callbacks
):
    connect_google(alice_client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    cal = connection.calendars.get(primary=True)
    assert cal.sync_token
    emulator.add_events(ALICE, [{"start": "+1d 10:00", "duration": "30m"}])
    version = busy_versions([alice_mentee.pk])
    with django_capture_on_commit_callbacks(execute=True):
        services.sync_connection(connection_id=connection.pk)
    assert BusyBlock.objects.filter(user=alice_mentee).count() == 1
    # Stored availability of Alice's is stale now (scheduling compares these versions).
    assert busy_versions([alice_mentee.pk]) != version
    emulator.control("POST", "/faults", {"kind": "expire_sync_tokens", "account": ALICE})
    emulator.add_events(ALICE, [{"start": "+3d 10:00", "duration": "30m"}])
    services.sync_connection(connection_id=connection.pk)
    assert BusyBlock.objects.filter(user=alice_mentee).count() == 2


def test_it_marks_the_connection_needs_reconnect_on_invalid_grant(
    emulator, alice_client, alice_mentee
):
    connect_google(alice_client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    emulator.control("POST", "/faults", {"kind": "revoke_tokens", "account": ALICE})
    emulator.control("POST", "/faults", {"kind": "expire_access_tokens", "account": ALICE})
    CalendarConnection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.sync_connection(connection_id=connection.pk)
        services.sync_connection(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == "needs_reconnect"
    # Broken again on the next sync: still one email, one To-Do item.
    CalendarConnection.objects.filter(pk=connection.pk).update(status="active")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.sync_connection(connection_id=connection.pk)
    assert len(mail.outbox) == 1 and "Action required" in mail.outbox[0].subject
    home = alice_client.get(reverse("home"))
    assert home.content.count(b"Reconnect your calendar") == 1
    busy = selectors.busy_for([alice_mentee], timezone.now(), timezone.now() + dt.timedelta(days=7))
    assert busy[alice_mentee.pk].integrated is False  # insight degrades, booking continues

    # Reconnecting clears both.
    back = emulator.consent(start_connect(alice_client, reconnect=connection.pk), account=ALICE)
    follow_back(alice_client, back)
    connection.refresh_from_db()
    assert connection.status == "active" and connection.reconnect_emailed_at is None
    assert b"Reconnect your calendar" not in alice_client.get(reverse("home")).content


def test_it_marks_needs_reconnect_when_scopes_are_removed(emulator, alice_client, alice_mentee):
    connect_google(alice_client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    emulator.control(
        "POST",
        "/faults",
        {
            "kind": "remove_scopes",
            "account": ALICE,
            "scopes": ["https://www.googleapis.com/auth/calendar"],
        },
    )
    services.sync_connection(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == "needs_reconnect"


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "quota_exceeded"])
def test_it_retries_temporary_faults_and_then_succeeds(emulator, alice_client, alice_mentee, kind):
    connect_google(alice_client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    emulator.add_events(ALICE, [{"start": "+1d 10:00", "duration": "30m"}])
    emulator.fault(kind=kind, times=2, retry_after=0, account=ALICE)
    services.sync_connection(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == "active"
    assert BusyBlock.objects.filter(user=alice_mentee).count() == 1


def test_it_gives_up_after_capped_retries_without_breaking_the_connection(
    emulator, alice_client, alice_mentee, settings
):
    from calendars.errors import TemporaryProviderError

    connect_google(alice_client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    settings.CALENDAR_MAX_RETRIES = 2
    emulator.fault(kind="server_error", retry_after=0, account=ALICE)
    with pytest.raises(TemporaryProviderError):
        services.sync_connection(connection_id=connection.pk)
    emulator.control("DELETE", "/faults")
    connection.refresh_from_db()
    assert connection.status == "active"


def test_it_disconnects_revoking_and_deleting_tokens_and_busy_data(
    emulator, alice_client, alice_mentee
):
    emulator.add_events(ALICE, [{"start": "+1d 10:00", "duration": "30m"}])
    connect_google(alice_client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    assert BusyBlock.objects.filter(user=alice_mentee).exists()
    url = reverse("calendars:disconnect", args=[connection.pk])
    # The first press only says what will happen, and changes nothing.
    asked = alice_client.post(url)
    assert asked.status_code == 200
    assert f"Together stops reading busy times from {ALICE}" in asked.content.decode()
    assert CalendarConnection.objects.filter(pk=connection.pk).exists()
    assert BusyBlock.objects.filter(user=alice_mentee).exists()
    response = alice_client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    assert not CalendarConnection.objects.exists()
    assert not BusyBlock.objects.filter(user=alice_mentee).exists()
    assert selectors.write_target_for(alice_mentee) is None
    assert selectors.insight_for(alice_mentee) == "none"


def test_it_offers_only_writable_calendars_as_destination(emulator, alice_client, alice_mentee):
    emulator.control(
        "POST",
        "/accounts",
        {
            "email": "team@northwind.example",
            "calendars": [{"name": "Team", "primary": True, "shared_with": {ALICE: "reader"}}],
        },
    )
    connect_google(alice_client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    shared = connection.calendars.filter(can_write=False).first()
    assert shared is not None, list(connection.calendars.values("name", "can_write"))
    page = alice_client.get(reverse("calendars:my_calendar")).content.decode()
    assert f'<option value="{shared.pk}"' not in page
    with pytest.raises(CalendarRefused, match="calendar you can write to"):
        services.calendar_choices_update(
            user=alice_mentee, check_ids=[shared.pk], destination_id=shared.pk
        )
    services.calendar_choices_update(
        user=alice_mentee,
        check_ids=[shared.pk],
        destination_id=connection.calendars.get(primary=True).pk,
    )
    shared.refresh_from_db()
    assert shared.check_conflicts


def test_it_creates_one_event_with_a_meet_link_per_idempotency_key(
    emulator, alice_client, alice_mentee
):
    from calendars.providers.base import EventSpec

    connect_google(alice_client, emulator)
    target = selectors.write_target_for(alice_mentee)
    provider = target.provider()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    spec = EventSpec(
        title="Mentoring session",
        description="Agenda",
        start=start,
        end=start + dt.timedelta(minutes=30),
        time_zone="Europe/London",
        attendees=["bob@northwind.example"],
        conferencing="video",
    )
    first = provider.create_event(
        calendar_id=target.calendar_id, event=spec, idempotency_key="session-1"
    )
    again = provider.create_event(
        calendar_id=target.calendar_id, event=spec, idempotency_key="session-1"
    )
    assert first.event_id == again.event_id
    assert first.conference_url.startswith("https://meet.google.com/")
    assert (
        len(
            [
                e
                for e in emulator.written()
                if e.get("id") == first.event_id or e.get("event_id") == first.event_id
            ]
        )
        <= 1
    )
    provider.delete_event(calendar_id=target.calendar_id, event_id=first.event_id)
    provider.delete_event(calendar_id=target.calendar_id, event_id=first.event_id)
