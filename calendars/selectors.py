"""Reads for calendar integrations. Nothing here calls a provider: only the database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from calendars.models import (
    BusyBlock,
    CalendarConnection,
    ConnectedCalendar,
    MemberSync,
    OrganizationIntegration,
)
from calendars.providers.base import BusyInterval
from programs.selectors import TodoItem, todo_source

if TYPE_CHECKING:
    from calendars.providers.base import CalendarProvider
    from programs.models import User


@dataclass(frozen=True)
class PersonBusy:
    user_id: int
    integrated: bool
    intervals: list[BusyInterval]
    stale: bool


@dataclass(frozen=True)
class WriteTarget:
    """Where a person's sessions are written: provider, destination calendar, and how to act."""

    provider_name: str  # "google" | "microsoft" | "caldav"
    calendar_id: str
    account_email: str
    time_zone: str = "UTC"
    connection_id: int | None = None
    integration_id: int | None = None

    def provider(self) -> CalendarProvider:
        from calendars.services import provider_for_target

        return provider_for_target(self)


def _active_integrations_by_user(users: list[User]) -> dict[int, OrganizationIntegration]:
    org_ids = {u.organization_id for u in users if u.organization_id}
    if not org_ids:
        return {}
    integrations = {
        i.organization_id: i
        for i in OrganizationIntegration.objects.filter(
            organization_id__in=org_ids, status=OrganizationIntegration.Status.ACTIVE
        ).prefetch_related("organization__domains")
    }
    covered = {}
    for user in users:
        integration = integrations.get(user.organization_id)
        if integration is None:
            continue
        domains = {d.domain for d in integration.organization.domains.all()}
        if user.email_domain in domains:
            covered[user.pk] = integration
    return covered


def busy_for(users, start: dt.datetime, end: dt.datetime) -> dict[int, PersonBusy]:
    """Each person's cached busy intervals overlapping [start, end), keyed by user id.

    Intervals are as synced (sorted by start, not merged, kinds "busy" | "tentative" |
    "oof"); only calendars the person checks for conflicts, and only working sources, count.

    `integrated` is False when the person has no working connection (none, or every one
    needs reconnecting) and no active organization integration covers them; their intervals
    are then empty. `stale` is True when an integrated person's cache is older than
    CALENDAR_STALE_AFTER_SECONDS (or never filled): call services.request_sync_if_stale.
    Reads only the database (a handful of queries whatever the number of people).
    """
    users = list(users)
    if not users:
        return {}
    ids = [u.pk for u in users]
    org_cover = _active_integrations_by_user(users)
    active_conns = defaultdict(list)
    for conn in CalendarConnection.objects.filter(
        user_id__in=ids, status=CalendarConnection.Status.ACTIVE
    ).only("pk", "user_id", "last_synced_at"):
        active_conns[conn.user_id].append(conn)
    member_syncs = {
        m.user_id: m
        for m in MemberSync.objects.filter(
            user_id__in=ids, integration_id__in={i.pk for i in org_cover.values()}
        )
    }
    intervals: dict[int, list[BusyInterval]] = defaultdict(list)
    blocks = BusyBlock.objects.filter(user_id__in=ids, start__lt=end, end__gt=start).filter(
        Q(
            calendar__connection__status=CalendarConnection.Status.ACTIVE,
            calendar__check_conflicts=True,
        )
        | Q(integration__status=OrganizationIntegration.Status.ACTIVE)
    )
    for user_id, b_start, b_end, kind in blocks.order_by("start").values_list(
        "user_id", "start", "end", "kind"
    ):
        intervals[user_id].append(BusyInterval(start=b_start, end=b_end, kind=kind))
    cutoff = timezone.now() - dt.timedelta(seconds=settings.CALENDAR_STALE_AFTER_SECONDS)
    result = {}
    for user in users:
        # A member the organization's grant cannot read (last sync failed) has no insight.
        failed_member = user.pk in member_syncs and not member_syncs[user.pk].ok
        org_ok = user.pk in org_cover and not failed_member
        integrated = bool(active_conns.get(user.pk)) or org_ok
        stale = False
        if integrated:
            times = [c.last_synced_at for c in active_conns.get(user.pk, [])]
            if org_ok:
                ms = member_syncs.get(user.pk)
                times.append(ms.last_synced_at if ms else None)
            stale = any(t is None or t < cutoff for t in times)
        result[user.pk] = PersonBusy(
            user_id=user.pk,
            integrated=integrated,
            intervals=intervals.get(user.pk, []) if integrated else [],
            stale=stale,
        )
    return result


@dataclass
class StaleSources:
    connection_ids: list[int] = field(default_factory=list)
    integration_members: dict[int, list[int]] = field(default_factory=dict)


def stale_sources(users) -> StaleSources:
    users = list(users)
    cutoff = timezone.now() - dt.timedelta(seconds=settings.CALENDAR_STALE_AFTER_SECONDS)
    out = StaleSources()
    out.connection_ids = list(
        CalendarConnection.objects.filter(user__in=users, status=CalendarConnection.Status.ACTIVE)
        .filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=cutoff))
        .values_list("pk", flat=True)
    )
    covered = _active_integrations_by_user(users)
    fresh = set(
        MemberSync.objects.filter(
            user_id__in=list(covered), last_synced_at__gte=cutoff
        ).values_list("user_id", flat=True)
    )
    for user_id, integration in covered.items():
        if user_id not in fresh:
            out.integration_members.setdefault(integration.pk, []).append(user_id)
    return out


def write_target_for(user: User) -> WriteTarget | None:
    """Where this person's booked sessions go, or None (booking then emails .ics invites).

    An individual connection's chosen destination wins (the person picked it); otherwise an
    active organization integration writes into the member's primary calendar.
    """
    dest = (
        ConnectedCalendar.objects.filter(
            connection__user=user,
            connection__status=CalendarConnection.Status.ACTIVE,
            is_destination=True,
            can_write=True,
        )
        .select_related("connection")
        .first()
    )
    if dest:
        return WriteTarget(
            provider_name=dest.connection.provider,
            calendar_id=dest.calendar_id,
            account_email=dest.connection.account_email,
            time_zone=user.time_zone,
            connection_id=dest.connection_id,
        )
    integration = _active_integrations_by_user([user]).get(user.pk)
    if integration:
        return WriteTarget(
            provider_name=integration.provider,
            # Google's alias and Graph's default calendar both live behind "primary"-ish ids;
            # Graph needs the mailbox's default calendar, addressed as /calendar.
            calendar_id="primary" if integration.provider == "google" else "calendar",
            account_email=user.email,
            time_zone=user.time_zone,
            integration_id=integration.pk,
        )
    return None


def organization_integration_for(user: User) -> OrganizationIntegration | None:
    return _active_integrations_by_user([user]).get(user.pk)


def insight_for(user: User) -> str:
    """ "organization" | "individual" | "none": how this person's busy time is known."""
    if organization_integration_for(user):
        return "organization"
    if CalendarConnection.objects.filter(
        user=user, status=CalendarConnection.Status.ACTIVE
    ).exists():
        return "individual"
    return "none"


def connection_label(user: User) -> str:
    """A sentence for the My Calendar page and the booking wizard."""
    integration = organization_integration_for(user)
    if integration:
        return f"Connected by your organization via {integration.get_provider_display()}"
    conns = list(
        CalendarConnection.objects.filter(user=user, status=CalendarConnection.Status.ACTIVE)
    )
    if conns:
        names = sorted({c.get_provider_display() for c in conns})
        return f"Connected via {' and '.join(names)}"
    return "Not connected"


def connections_for(user: User):
    return (
        CalendarConnection.objects.filter(user=user)
        .prefetch_related("calendars")
        .order_by("created_at")
    )


def broken_connections_for(user: User):
    return CalendarConnection.objects.filter(
        user=user, status=CalendarConnection.Status.NEEDS_RECONNECT
    )


@todo_source
def reconnect_todos(user: User) -> list[TodoItem]:
    """One To-Do item while any of the person's connections needs reconnecting."""
    broken = list(broken_connections_for(user))
    if not broken:
        return []
    accounts = ", ".join(c.account_email for c in broken)
    return [
        TodoItem(
            key="reconnect-calendar",
            title="Reconnect your calendar",
            detail=f"We can no longer read {accounts}. Reconnect so your availability stays accurate.",
            url=reverse("calendars:my_calendar"),
            urgent=True,
        )
    ]


@todo_source
def organization_integration_todos(user: User) -> list[TodoItem]:
    """Org staff: one item while the organization's domain-wide integration is broken."""
    if not (user.is_staff and user.organization_id):
        return []
    failed = OrganizationIntegration.objects.filter(
        organization_id=user.organization_id, status=OrganizationIntegration.Status.FAILED
    ).first()
    if failed is None:
        return []
    return [
        TodoItem(
            key="reconnect-organization-calendar",
            title="Fix your organization's calendar integration",
            detail=f"{failed.get_provider_display()} no longer lets Together read members' calendars.",
            url=reverse("calendars:org_integration"),
            urgent=True,
        )
    ]
