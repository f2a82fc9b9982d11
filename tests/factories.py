"""Small builders for test data, going through the services like the product does."""

from __future__ import annotations

import datetime as dt

from programs import services
from programs.models import Organization, Program, User
from programs.roles import OrganizationRole

PASSWORD = "correct-horse-battery"


def organization(name: str, domain: str) -> Organization:
    return services.organization_create(name=name, slug=name.lower(), domains=[domain])


def person(
    org: Organization,
    local: str,
    *,
    time_zone: str = "UTC",
    staff: bool = False,
    roles_held: tuple[str, ...] = (),
) -> User:
    """A member of ``org``; ``staff=True`` makes them its admin who also runs its IT."""
    domain = org.domains.first().domain
    user = services.user_create(
        email=f"{local}@{domain}",
        organization=org,
        time_zone=time_zone,
        first_name=local.capitalize(),
        last_name="Example",
        password=PASSWORD,
    )
    if staff:
        roles_held = (OrganizationRole.ADMIN, OrganizationRole.IT)
    if roles_held:
        services.organization_roles_set(
            user=user, roles_held={OrganizationRole(r) for r in roles_held}, granted_by=None
        )
    return user


def one_to_one_program(org: Organization, name: str = "Mentoring", **kwargs) -> Program:
    return services.program_create(
        organization=org,
        name=name,
        kind=Program.Kind.ONE_TO_ONE,
        starts_on=kwargs.pop("starts_on", dt.date(2026, 1, 1)),
        ends_on=kwargs.pop("ends_on", dt.date(2026, 12, 31)),
        **kwargs,
    )


def group_program(org: Organization, name: str = "Circles", **kwargs) -> Program:
    return services.program_create(
        organization=org,
        name=name,
        kind=Program.Kind.GROUP,
        starts_on=kwargs.pop("starts_on", dt.date(2026, 1, 1)),
        ends_on=kwargs.pop("ends_on", dt.date(2026, 12, 31)),
        **kwargs,
    )


def calendar_connected(
    person: User,
    busy: list[tuple[dt.datetime, dt.datetime]] = (),
    *,
    synced_minutes_ago: int = 0,
):
    """Give ``person`` a connected calendar synced that long ago, holding these busy blocks;
    returns (connection, calendar)."""
    from django.utils import timezone

    from calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar

    synced = timezone.now() - dt.timedelta(minutes=synced_minutes_ago)
    connection = CalendarConnection.objects.create(
        user=person,
        provider="caldav",
        account_email=person.email,
        caldav_url="http://127.0.0.1:5232/",
        last_synced_at=synced,
    )
    calendar = ConnectedCalendar.objects.create(
        connection=connection,
        calendar_id="work",
        name="Work",
        primary=True,
        can_write=True,
        check_conflicts=True,
        is_destination=True,
        last_synced_at=synced,
    )
    BusyBlock.objects.bulk_create(
        BusyBlock(user=person, calendar=calendar, start=start, end=end, kind="busy")
        for start, end in busy
    )
    return connection, calendar
