"""The busy cache as booking reads it: busy_for, staleness, on-demand sync without stampede."""

from __future__ import annotations

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from calendars import selectors, services
from calendars.models import BusyBlock, ConnectedCalendar
from tests import factories


def _connected(user, synced_minutes_ago=1):
    return factories.calendar_connected(user, synced_minutes_ago=synced_minutes_ago)


def test_busy_for_reads_only_the_cache_in_a_few_queries(
    alice_mentee, bob_mentor, carol_outsider, django_assert_max_num_queries
):
    conn, cal = _connected(alice_mentee)
    start = timezone.now()
    BusyBlock.objects.create(
        user=alice_mentee,
        calendar=cal,
        start=start + dt.timedelta(hours=1),
        end=start + dt.timedelta(hours=2),
        kind="oof",
    )
    with django_assert_max_num_queries(5):
        result = selectors.busy_for(
            [alice_mentee, bob_mentor, carol_outsider], start, start + dt.timedelta(days=1)
        )
    alice = result[alice_mentee.pk]
    assert alice.integrated and not alice.stale and alice.intervals[0].kind == "oof"
    assert result[bob_mentor.pk].integrated is False and result[bob_mentor.pk].intervals == []


def test_a_person_whose_connection_needs_reconnect_is_not_integrated(alice_mentee):
    conn, cal = _connected(alice_mentee)
    conn.status = "needs_reconnect"
    conn.save()
    result = selectors.busy_for(
        [alice_mentee], timezone.now(), timezone.now() + dt.timedelta(days=1)
    )
    assert result[alice_mentee.pk].integrated is False


def test_an_old_cache_is_stale(alice_mentee):
    _connected(alice_mentee, synced_minutes_ago=60)
    result = selectors.busy_for(
        [alice_mentee], timezone.now(), timezone.now() + dt.timedelta(days=1)
    )
    assert result[alice_mentee.pk].stale


def test_many_pages_asking_at_once_enqueue_one_sync(alice_mentee, monkeypatch):
    from calendars import tasks

    _connected(alice_mentee, synced_minutes_ago=60)
    calls = []
    monkeypatch.setattr(tasks.sync_connection, "delay", lambda cid: calls.append(cid))
    with TestCase.captureOnCommitCallbacks(execute=True):
        for _ in range(20):
            services.request_sync_if_stale([alice_mentee])
    assert len(calls) == 1


def test_a_fresh_cache_enqueues_nothing(alice_mentee, monkeypatch):
    from calendars import tasks

    _connected(alice_mentee, synced_minutes_ago=1)
    calls = []
    monkeypatch.setattr(tasks.sync_connection, "delay", lambda cid: calls.append(cid))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.request_sync_if_stale([alice_mentee])
    assert calls == []


def test_the_management_command_syncs_everyone_with_a_summary(emulator, client, alice_mentee):
    import io

    from django.core.management import call_command

    from tests.calendars.test_google_individual import connect_google

    client.force_login(alice_mentee)
    emulator.add_events("alice@northwind.example", [{"start": "+1d 10:00", "duration": "1h"}])
    connect_google(client, emulator)
    BusyBlock.objects.all().delete()
    ConnectedCalendar.objects.update(sync_token="")
    out = io.StringIO()
    call_command("sync_calendars", organization="northwind", stdout=out)
    assert "Synced 1 connections (0 failed)" in out.getvalue()
    assert "1/1" in out.getvalue()
    assert BusyBlock.objects.filter(user=alice_mentee).count() == 1


def test_a_member_the_organization_grant_cannot_read_is_not_integrated(alice_mentee, northwind):
    from calendars.models import MemberSync, OrganizationIntegration

    integration = OrganizationIntegration.objects.create(
        organization=northwind, provider="google", status="active"
    )
    MemberSync.objects.create(
        integration=integration,
        user=alice_mentee,
        ok=False,
        error="notFound",
        last_synced_at=timezone.now(),
    )
    result = selectors.busy_for(
        [alice_mentee], timezone.now(), timezone.now() + dt.timedelta(days=1)
    )
    assert result[alice_mentee.pk].integrated is False


def test_busy_blocks_are_read_as_epoch_seconds_widened_to_whole_seconds(alice_mentee):
    """The database turns each block into whole seconds (start down, end up: a block never
    shrinks), on PostgreSQL and SQLite alike, and the datetimes read back are the same instants."""
    conn, cal = _connected(alice_mentee)
    start = dt.datetime(2026, 3, 29, 0, 59, 59, 250000, tzinfo=dt.UTC)  # the EU's DST night
    end = dt.datetime(2026, 3, 29, 2, 30, 0, 1, tzinfo=dt.UTC)
    whole = dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC)
    BusyBlock.objects.create(user=alice_mentee, calendar=cal, start=start, end=end)
    BusyBlock.objects.create(
        user=alice_mentee, calendar=cal, start=whole, end=whole + dt.timedelta(hours=1)
    )
    alice = selectors.busy_for(
        [alice_mentee], start - dt.timedelta(days=1), whole + dt.timedelta(days=1)
    )[alice_mentee.pk]
    assert alice.starts == (int(start.timestamp()), int(whole.timestamp()))
    assert alice.ends == (int(end.timestamp()) + 1, int(whole.timestamp()) + 3600)
    assert alice.kinds == ("busy", "busy")
    assert [i.start for i in alice.intervals] == [start.replace(microsecond=0), whole]
