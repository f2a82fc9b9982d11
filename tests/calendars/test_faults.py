"""Faults at the provider boundary: lost answers to writes, withdrawn admin consent, reconnect
resuming waiting invite writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from calendars import selectors, services
from calendars.errors import TemporaryProviderError
from calendars.models import CalendarConnection, OrganizationIntegration
from calendars.providers.base import EventSpec
from tests.calendars.test_domain_wide import admin_consent
from tests.calendars.test_google_individual import connect_google, follow_back, start_connect


def _spec(start):
    return EventSpec(
        title="Mentoring",
        description="Agenda",
        start=start,
        end=start + dt.timedelta(minutes=30),
        time_zone="UTC",
        attendees=["bob@northwind.example"],
        conferencing="video",
    )


def test_a_google_write_whose_answer_is_lost_is_not_doubled(
    emulator, client, alice_mentee, settings
):
    client.force_login(alice_mentee)
    connect_google(client, emulator)
    settings.CALENDAR_HTTP_TIMEOUT = 1
    target = selectors.write_target_for(alice_mentee)
    provider = target.provider()
    emulator.fault(
        kind="timeout_after_write", times=1, seconds=3, account="alice@northwind.example"
    )
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    # Writes are not retried inline (the invite task is the one retry layer): the lost answer
    # is a temporary failure, and the task's next attempt finds the event already there.
    with pytest.raises(TemporaryProviderError):
        provider.create_event(
            calendar_id=target.calendar_id, event=_spec(start), idempotency_key="lost-1"
        )
    written = provider.create_event(
        calendar_id=target.calendar_id, event=_spec(start), idempotency_key="lost-1"
    )
    assert written.event_id
    events = [e for e in emulator.written() if not e["deleted"]]
    assert len(events) == 1 and events[0]["id"] == written.event_id


def test_a_graph_write_whose_answer_is_lost_is_not_doubled(
    emulator, client, carol_outsider, settings
):
    from tests.calendars.test_microsoft_individual import connect_outlook

    client.force_login(carol_outsider)
    connect_outlook(client, emulator)
    settings.CALENDAR_HTTP_TIMEOUT = 1
    target = selectors.write_target_for(carol_outsider)
    provider = target.provider()
    emulator.fault(kind="timeout_after_write", times=1, seconds=3, account="carol@contoso.example")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    with pytest.raises(TemporaryProviderError):
        provider.create_event(
            calendar_id=target.calendar_id, event=_spec(start), idempotency_key="lost-2"
        )
    provider.create_event(
        calendar_id=target.calendar_id, event=_spec(start), idempotency_key="lost-2"
    )
    assert len([e for e in emulator.written() if not e["deleted"]]) == 1


def test_withdrawn_admin_consent_marks_the_microsoft_integration_failed(
    emulator, client, carol_it, contoso
):
    from calendars.providers import microsoft

    admin_consent(client, emulator, carol_it, "carol@contoso.example")
    integration = OrganizationIntegration.objects.get(organization=contoso)
    emulator.control(
        "POST", "/faults", {"kind": "revoke_admin_consent", "tenant": integration.tenant_id}
    )
    microsoft._msal_app.cache_clear()  # issued app tokens outlive consent until they expire
    services.sync_organization(integration_id=integration.pk)
    integration.refresh_from_db()
    assert integration.status == "failed"


def test_reconnecting_resumes_invite_writes_that_waited(
    emulator, client, alice_mentee, monkeypatch
):
    import scheduling.services

    resumed = []
    monkeypatch.setattr(
        scheduling.services, "invites_resume", lambda *, user_ids: resumed.extend(user_ids) or 0
    )
    client.force_login(alice_mentee)
    connect_google(client, emulator)
    connection = CalendarConnection.objects.get(user=alice_mentee)
    CalendarConnection.objects.filter(pk=connection.pk).update(status="needs_reconnect")
    resumed.clear()  # every connect resumes (harmless when nothing waits); this one matters
    back = emulator.consent(
        start_connect(client, reconnect=connection.pk), account="alice@northwind.example"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        follow_back(client, back)
    assert resumed == [alice_mentee.pk]


def test_org_staff_see_connections_in_admin_without_tokens(
    emulator, client, alice_mentee, northwind
):
    from tests import factories

    client.force_login(alice_mentee)
    connect_google(client, emulator)
    priya = factories.person(northwind, "priya", staff=True)
    client.force_login(priya)
    page = client.get(reverse("admin:calendars_calendarconnection_changelist"))
    assert page.status_code == 200 and b"alice@northwind.example" in page.content
    conn = CalendarConnection.objects.get(user=alice_mentee)
    detail = client.get(reverse("admin:calendars_calendarconnection_change", args=[conn.pk]))
    assert conn.refresh_token.encode() not in detail.content
