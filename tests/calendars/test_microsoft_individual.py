"""Connect Outlook (MSAL authorization code + PKCE) through the emulator, then sync via Graph."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase
from django.utils import timezone

from calendars import selectors, services
from calendars.models import BusyBlock, CalendarConnection
from tests.calendars.test_google_individual import follow_back, start_connect

CAROL = "carol@contoso.example"


def connect_outlook(client, emulator, account=CAROL):
    back = emulator.consent(start_connect(client, "microsoft"), account=account)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return follow_back(client, back)


@pytest.fixture
def carol_client(client, carol_outsider):
    client.force_login(carol_outsider)
    return client


def test_it_connects_outlook_with_pkce_and_stores_the_refresh_token(
    emulator, carol_client, carol_outsider
):
    url = start_connect(carol_client, "microsoft")
    assert "code_challenge=" in url and "state=" in url
    response = follow_back(carol_client, emulator.consent(url, account=CAROL))
    assert response.status_code == 302, response.content[:500]
    connection = CalendarConnection.objects.get(user=carol_outsider)
    assert connection.provider == "microsoft" and connection.account_email == CAROL
    assert connection.refresh_token
    assert connection.calendars.get(primary=True).is_destination


def test_it_saves_microsofts_rotated_refresh_token_on_every_refresh(
    emulator, carol_client, carol_outsider
):
    connect_outlook(carol_client, emulator)
    connection = CalendarConnection.objects.get(user=carol_outsider)
    before = connection.refresh_token
    CalendarConnection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    services.sync_connection(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.refresh_token and connection.refresh_token != before
    assert connection.status == "active"


def test_it_syncs_each_event_kind_from_graph_with_delta(emulator, carol_client, carol_outsider):
    emulator.add_events(
        CAROL,
        [
            {"summary": "Secret", "start": "+2d 09:00", "duration": "1h", "show_as": "busy"},
            {"start": "+2d 11:00", "duration": "1h", "show_as": "tentative"},
            {"start": "+2d 13:00", "duration": "1h", "show_as": "oof"},
            {"start": "+2d 15:00", "duration": "1h", "show_as": "free"},
            {"start": "+2d 16:00", "duration": "1h", "show_as": "workingElsewhere"},
            {"start": "+2d 17:00", "duration": "1h", "response": "declined"},
            {"start": "+4d", "days": 1},
        ],
    )
    connect_outlook(carol_client, emulator)
    kinds = sorted(BusyBlock.objects.filter(user=carol_outsider).values_list("kind", flat=True))
    assert kinds == ["busy", "busy", "oof", "tentative"]
    connection = CalendarConnection.objects.get(user=carol_outsider)
    cal = connection.calendars.get(primary=True)
    assert cal.sync_token  # the delta link
    emulator.add_events(CAROL, [{"start": "+5d 10:00", "duration": "30m"}])
    services.sync_connection(connection_id=connection.pk)
    assert BusyBlock.objects.filter(user=carol_outsider).count() == 5
    emulator.control("POST", "/faults", {"kind": "expire_sync_tokens", "account": CAROL})
    services.sync_connection(connection_id=connection.pk)
    assert BusyBlock.objects.filter(user=carol_outsider).count() == 5


def test_it_marks_needs_reconnect_on_a_revoked_grant(emulator, carol_client, carol_outsider):
    connect_outlook(carol_client, emulator)
    connection = CalendarConnection.objects.get(user=carol_outsider)
    emulator.control("POST", "/faults", {"kind": "revoke_tokens", "account": CAROL})
    CalendarConnection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    services.sync_connection(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == "needs_reconnect"
    assert selectors.insight_for(carol_outsider) == "none"


def test_it_retries_graph_429_honouring_retry_after(emulator, carol_client, carol_outsider):
    connect_outlook(carol_client, emulator)
    connection = CalendarConnection.objects.get(user=carol_outsider)
    emulator.fault(kind="rate_limit", times=2, retry_after=0, account=CAROL)
    services.sync_connection(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == "active" and connection.last_error == ""


def test_it_creates_one_teams_event_per_idempotency_key(emulator, carol_client, carol_outsider):
    from calendars.providers.base import EventSpec

    connect_outlook(carol_client, emulator)
    target = selectors.write_target_for(carol_outsider)
    assert target.provider_name == "microsoft"
    provider = target.provider()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    spec = EventSpec(
        title="Mentoring",
        description="Agenda",
        start=start,
        end=start + dt.timedelta(minutes=45),
        time_zone="Asia/Kolkata",
        attendees=["dan@contoso.example"],
        conferencing="video",
    )
    first = provider.create_event(calendar_id=target.calendar_id, event=spec, idempotency_key="s-9")
    again = provider.create_event(calendar_id=target.calendar_id, event=spec, idempotency_key="s-9")
    assert first.event_id == again.event_id
    assert first.conference_url
    assert len([e for e in emulator.written() if not e["deleted"]]) == 1
    provider.delete_event(calendar_id=target.calendar_id, event_id=first.event_id)
    provider.delete_event(calendar_id=target.calendar_id, event_id=first.event_id)


def test_it_marks_needs_reconnect_when_calendar_permission_is_removed(
    emulator, carol_client, carol_outsider
):
    connect_outlook(carol_client, emulator)
    connection = CalendarConnection.objects.get(user=carol_outsider)
    emulator.control(
        "POST",
        "/faults",
        {"kind": "remove_scopes", "account": CAROL, "scopes": ["Calendars.ReadWrite"]},
    )
    services.sync_connection(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == "needs_reconnect"


def _teams_spec(start, description="Mentorship session.\nJoin: (the Teams link)"):
    from calendars.providers.base import EventSpec

    return EventSpec(
        title="Mentoring",
        description=description,
        start=start,
        end=start + dt.timedelta(minutes=45),
        time_zone="Pacific/Auckland",
        attendees=["dan@contoso.example"],
        conferencing="video",
    )


def _live(emulator):
    return [e for e in emulator.written() if not e["deleted"]]


def test_rescheduling_a_teams_session_keeps_its_join_url_at_the_new_time(
    emulator, carol_client, carol_outsider
):
    connect_outlook(carol_client, emulator)
    target = selectors.write_target_for(carol_outsider)
    provider = target.provider()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    first = provider.create_event(
        calendar_id=target.calendar_id, event=_teams_spec(start), idempotency_key="s-teams"
    )
    assert first.conference_url
    later = start + dt.timedelta(days=1, hours=3)
    moved = provider.update_event(
        calendar_id=target.calendar_id, event_id=first.event_id, event=_teams_spec(later)
    )
    (event,) = _live(emulator)
    assert dt.datetime.fromisoformat(event["start"]) == later
    assert event["conference_link"] == first.conference_url
    assert moved.conference_url == first.conference_url


def test_a_new_agenda_on_a_teams_session_keeps_the_meeting_blob_and_the_join_url(
    emulator, carol_client, carol_outsider
):
    connect_outlook(carol_client, emulator)
    target = selectors.write_target_for(carol_outsider)
    provider = target.provider()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    first = provider.create_event(
        calendar_id=target.calendar_id, event=_teams_spec(start), idempotency_key="s-agenda"
    )
    provider.update_event(
        calendar_id=target.calendar_id,
        event_id=first.event_id,
        event=_teams_spec(start, description="Mentorship session.\n\nAgenda:\nCareer talk"),
    )
    (event,) = _live(emulator)
    assert event["conference_link"] == first.conference_url
    assert "Career talk" in event["description"]
    assert first.conference_url in event["description"]
