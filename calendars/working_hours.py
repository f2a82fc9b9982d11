"""Microsoft 365 working hours as a person's default bookable hours.

Graph returns a mailbox's ``workingHours`` with every getSchedule answer (one start and end
for a set of days, and the zone they apply in, which Exchange names the Windows way by
default): https://learn.microsoft.com/en-us/graph/api/calendar-getschedule,
https://learn.microsoft.com/en-us/graph/api/resources/workinghours,
https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings. Reading them through
getSchedule needs only the calendar permission Together already has.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import requests
from django.core.cache import cache
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from calendars.errors import ProviderError
from programs import availability as hours
from programs.models import User
from programs.zones import is_known_zone

logger = logging.getLogger(__name__)

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class WorkingHours:
    weekdays: tuple[int, ...]
    start: dt.time
    end: dt.time
    time_zone: str  # IANA


def iana_zone(name: str) -> str | None:
    """An IANA zone for a Windows or IANA name (CLDR's windowsZones mapping, as icalendar
    ships it), None when it is neither."""
    if not isinstance(name, str) or not name:
        return None
    if is_known_zone(name):
        return name
    mapped = WINDOWS_TO_OLSON.get(name)
    return mapped if is_known_zone(mapped) else None


def _time_of_day(text: object) -> dt.time | None:
    # Edm.TimeOfDay: "08:30:00.0000000".
    if not isinstance(text, str):
        return None
    try:
        return dt.time.fromisoformat(text.split(".")[0])
    except ValueError:
        return None


def parse_working_hours(data: object) -> WorkingHours | None:
    """A workingHours resource as weekdays, times and an IANA zone; None if any part is
    missing or not understood (then nothing is stored)."""
    if not isinstance(data, dict):
        return None
    days = data.get("daysOfWeek")
    if not isinstance(days, list):
        return None
    weekdays = tuple(sorted({DAYS.index(d.lower()) for d in days if str(d).lower() in DAYS}))
    start, end = _time_of_day(data.get("startTime")), _time_of_day(data.get("endTime"))
    zone = iana_zone((data.get("timeZone") or {}).get("name", ""))
    if not weekdays or start is None or end is None or end <= start or zone is None:
        return None
    return WorkingHours(weekdays=weekdays, start=start, end=end, time_zone=zone)


def working_hours_refresh(*, user: User, provider, mailbox: str) -> WorkingHours | None:
    """Read the mailbox's working hours through ``provider`` (a MicrosoftProvider) and keep
    them as the person's default hours. A provider error or hours that make no sense change
    nothing; returns what was stored, or None."""
    try:
        found = parse_working_hours(provider.working_hours(mailbox))
    except (ProviderError, requests.RequestException) as error:
        # MSAL's token request can fail with requests' own errors before Graph is reached.
        logger.warning("working hours of user %s not read: %s", user.pk, type(error).__name__)
        return None
    if found is None:
        return None
    hours.mailbox_hours_set(
        user=user,
        weekdays=found.weekdays,
        start=found.start,
        end=found.end,
        time_zone=found.time_zone,
    )
    return found


# Working hours change rarely: read them again at most this often.
REFRESH_AFTER = dt.timedelta(hours=24)


def refresh_if_stale(*, user: User) -> WorkingHours | None:
    """For someone on Microsoft 365 (their organization's grant, else a connected Outlook
    account) who has not set their own week, read their mailbox's working hours unless they
    were read within ``REFRESH_AFTER``. Anyone else: nothing happens."""
    from django.utils import timezone

    from calendars import selectors, services
    from calendars.models import CalendarConnection, Provider
    from programs.models import AvailabilitySettings, MailboxHours

    if AvailabilitySettings.objects.filter(user=user).exists():
        return None
    last = MailboxHours.objects.filter(user=user).values_list("fetched_at", flat=True).first()
    if last is not None and timezone.now() - last < REFRESH_AFTER:
        return None
    # One attempt a day whatever happens, so a mailbox that cannot be read does not cost
    # every page view a round of retries.
    if not cache.add(f"working-hours-attempt:{user.pk}", 1, REFRESH_AFTER.total_seconds()):
        return None
    integration = selectors.organization_integration_for(user)
    if integration is not None and integration.provider == Provider.MICROSOFT:
        provider = services.provider_for_member(integration, user.email)
        return working_hours_refresh(user=user, provider=provider, mailbox=user.email)
    connection = CalendarConnection.objects.filter(
        user=user, provider=Provider.MICROSOFT, status=CalendarConnection.Status.ACTIVE
    ).first()
    if connection is not None:
        provider = services.provider_for_connection(connection)
        return working_hours_refresh(user=user, provider=provider, mailbox=connection.account_email)
    return None
