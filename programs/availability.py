"""Writes and reads for a person's own bookable hours: their week, date overrides, time off.

Hours are the person's: wall-clock times in their own zone. Every write bumps their busy
version, so an availability answer stored for any open wizard or heat map is stale at once.
How these combine with calendars, sessions and a program's rules is scheduling's (policy).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from programs.busy_versions import bump_busy_versions
from programs.models import (
    AvailabilitySettings,
    BookingRules,
    DateOverride,
    Group,
    GroupMember,
    MailboxHours,
    OptionalMember,
    Organization,
    Program,
    TimeOff,
    User,
    WeeklyHours,
)
from programs.zones import is_known_zone

Window = tuple[dt.time, dt.time]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Time off and overrides further ahead than this are refused: nobody books that far.
FURTHEST_AHEAD = dt.timedelta(days=2 * 366)
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


def parse_windows(text: str) -> list[Window]:
    """``"09:00-12:00, 13:00-17:00"`` as windows; an empty text is no windows.

    Raises ValidationError naming the part that is wrong; windows may not overlap.
    """
    windows: list[Window] = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        found = _WINDOW.match(part)
        if not found:
            raise ValidationError(f"{part!r} is not a time range like 09:00-17:00.")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValidationError(f"{part!r}: times run from 00:00 to 23:59.")
        start, end = dt.time(h1, m1), dt.time(h2, m2)
        if end <= start:
            raise ValidationError(f"{part!r} ends before it starts.")
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in itertools.pairwise(windows):
        if start < end:
            raise ValidationError("Two time ranges overlap; join them into one.")
    return windows


def format_windows(windows: Iterable[Window]) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in windows)


def _check_windows(windows: Sequence[Window]) -> list[Window]:
    # The same rules whether the windows came from a form or from code.
    return parse_windows(format_windows(windows))


def _check_date(day: dt.date, *, what: str, today: dt.date) -> None:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationError(f"{what} must be a date.")
    if day > today + FURTHEST_AHEAD:
        raise ValidationError(f"{what} is too far ahead.")


def _today_of(user: User) -> dt.date:
    from zoneinfo import ZoneInfo

    return timezone.now().astimezone(ZoneInfo(user.time_zone)).date()


@transaction.atomic
def weekly_hours_set(*, user: User, week: Mapping[int, Sequence[Window]]) -> None:
    """Replace the person's week: ``{weekday: [(start, end), ...]}``; a missing day is off."""
    checked: dict[int, list[Window]] = {}
    for weekday, windows in week.items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationError(f"{weekday!r} is not a weekday (0 = Monday ... 6 = Sunday).")
        try:
            checked[weekday] = _check_windows(windows)
        except ValidationError as error:
            raise ValidationError(f"{WEEKDAYS[weekday]}: {error.messages[0]}") from None
    WeeklyHours.objects.filter(user=user).delete()
    WeeklyHours.objects.bulk_create(
        WeeklyHours(user=user, weekday=d, starts_at=a, ends_at=b)
        for d, windows in sorted(checked.items())
        for a, b in windows
    )
    AvailabilitySettings.objects.update_or_create(
        user=user, defaults={"updated_at": timezone.now()}
    )
    bump_busy_versions([user.pk])


@transaction.atomic
def date_override_set(*, user: User, date: dt.date, windows: Sequence[Window]) -> None:
    """The date's hours become ``windows``; no windows means unavailable that day."""
    _check_date(date, what="The date", today=_today_of(user))
    checked = _check_windows(windows)
    DateOverride.objects.filter(user=user, date=date).delete()
    if checked:
        DateOverride.objects.bulk_create(
            DateOverride(user=user, date=date, starts_at=a, ends_at=b) for a, b in checked
        )
    else:
        DateOverride.objects.create(user=user, date=date)
    bump_busy_versions([user.pk])


@transaction.atomic
def date_override_clear(*, user: User, date: dt.date) -> None:
    """The date follows its weekday's hours again."""
    DateOverride.objects.filter(user=user, date=date).delete()
    bump_busy_versions([user.pk])


@transaction.atomic
def time_off_add(*, user: User, first_day: dt.date, last_day: dt.date, note: str = "") -> TimeOff:
    today = _today_of(user)
    _check_date(first_day, what="The first day", today=today)
    _check_date(last_day, what="The last day", today=today)
    if last_day < first_day:
        raise ValidationError("Time off ends before it starts.")
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError("Keep the note to 200 characters.")
    row = TimeOff.objects.create(user=user, first_day=first_day, last_day=last_day, note=note)
    bump_busy_versions([user.pk])
    return row


@transaction.atomic
def time_off_remove(*, user: User, time_off_id: int) -> None:
    deleted, _ = TimeOff.objects.filter(user=user, pk=time_off_id).delete()
    if not deleted:
        raise ValidationError("That time off is not yours or no longer exists.")
    bump_busy_versions([user.pk])


@transaction.atomic
def mailbox_hours_set(
    *, user: User, weekdays: Sequence[int], start: dt.time, end: dt.time, time_zone: str
) -> None:
    """Remember the working hours the person's mailbox has (for the calendars app to call
    when it reads them). Refuses hours that make no sense and keeps what was stored."""
    days = sorted(set(weekdays))
    if not days or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        raise ValidationError(f"Working days must be weekdays 0-6, not {list(weekdays)!r}.")
    if end <= start:
        raise ValidationError("Working hours end before they start.")
    if not is_known_zone(time_zone):
        raise ValidationError(f"{time_zone!r} is not a known IANA time zone.")
    MailboxHours.objects.update_or_create(
        user=user,
        defaults={
            "weekdays": days,
            "starts_at": start,
            "ends_at": end,
            "time_zone": time_zone,
            "fetched_at": timezone.now(),
        },
    )
    bump_busy_versions([user.pk])


# --- Reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredHours:
    """A person's stored availability for a date range; ``week`` is None if never set."""

    week: dict[int, list[Window]] | None
    overrides: dict[dt.date, list[Window]]  # [] = unavailable all day
    time_off: list[tuple[dt.date, dt.date]]  # inclusive ranges
    # The mailbox's working hours (week, zone they apply in), the default when week is None.
    mailbox: tuple[dict[int, list[Window]], str] | None = None


def stored_hours(
    user_ids: Sequence[int], first_day: dt.date, last_day: dt.date
) -> dict[int, StoredHours]:
    """Everyone's stored hours in five queries, whatever the number of people.

    ``first_day``/``last_day`` bound the overrides and time off read (dates in each person's
    own zone, so callers pass a day of margin either side)."""
    ids = list(user_ids)
    has_week = set(
        AvailabilitySettings.objects.filter(user__in=ids).values_list("user_id", flat=True)
    )
    weeks: dict[int, dict[int, list[Window]]] = {pk: {} for pk in has_week}
    for user_id, weekday, a, b in WeeklyHours.objects.filter(user__in=ids).values_list(
        "user_id", "weekday", "starts_at", "ends_at"
    ):
        weeks.setdefault(user_id, {}).setdefault(weekday, []).append((a, b))
    overrides: dict[int, dict[dt.date, list[Window]]] = {}
    for user_id, day, a, b in DateOverride.objects.filter(
        user__in=ids, date__gte=first_day, date__lte=last_day
    ).values_list("user_id", "date", "starts_at", "ends_at"):
        windows = overrides.setdefault(user_id, {}).setdefault(day, [])
        if a is not None:
            windows.append((a, b))
    mailbox = {
        row.user_id: ({day: [(row.starts_at, row.ends_at)] for day in row.weekdays}, row.time_zone)
        for row in MailboxHours.objects.filter(user__in=ids)
    }
    away: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for user_id, a, b in TimeOff.objects.filter(
        user__in=ids, first_day__lte=last_day, last_day__gte=first_day
    ).values_list("user_id", "first_day", "last_day"):
        away.setdefault(user_id, []).append((a, b))
    return {
        pk: StoredHours(
            week=weeks.get(pk) if pk in has_week else None,
            overrides=overrides.get(pk, {}),
            time_off=away.get(pk, []),
            mailbox=mailbox.get(pk),
        )
        for pk in ids
    }


def booking_rules_for(program: Program) -> BookingRules:
    """The program's own rules, else its organization's defaults, else the product's (an
    unsaved row with the fields' defaults). One query."""
    found = sorted(
        BookingRules.objects.filter(
            Q(program=program) | Q(organization_id=program.organization_id, program=None)
        ),
        key=lambda row: row.program_id is None,
    )
    return found[0] if found else BookingRules(program=program)


_RULE_FIELDS = (
    "min_notice_minutes",
    "booking_window_days",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "max_sessions_per_day",
    "max_sessions_per_week",
)


def check_booking_rules(
    *,
    min_notice_minutes: int = 0,
    booking_window_days: int = 366,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    max_sessions_per_day: int | None = None,
    max_sessions_per_week: int | None = None,
) -> dict:
    """The rules as field values, or a ValidationError saying what is wrong (admin forms ask
    this before saving, the service again inside its transaction)."""
    values = {
        "min_notice_minutes": min_notice_minutes,
        "booking_window_days": booking_window_days,
        "buffer_before_minutes": buffer_before_minutes,
        "buffer_after_minutes": buffer_after_minutes,
        "max_sessions_per_day": max_sessions_per_day,
        "max_sessions_per_week": max_sessions_per_week,
    }
    for name in _RULE_FIELDS:
        value = values[name]
        if value is None and name.startswith("max_"):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(f"{name.replace('_', ' ')} must be a whole number, 0 or more.")
    if booking_window_days < 1:
        raise ValidationError("People must be able to book at least one day ahead.")
    for name in ("max_sessions_per_day", "max_sessions_per_week"):
        if values[name] is not None and values[name] < 1:
            raise ValidationError(f"{name.replace('_', ' ')} must be at least 1, or empty.")
    if min_notice_minutes > booking_window_days * 24 * 60:
        raise ValidationError("The minimum notice is longer than the booking window.")
    return values


@transaction.atomic
def booking_rules_set(
    *, program: Program | None = None, organization: Organization | None = None, **rules
) -> BookingRules:
    """Set a program's rules, or (``organization``) the defaults of its programs that have
    none of their own; ``rules`` as :func:`check_booking_rules` takes them. Refuses
    nonsense with a ValidationError and writes nothing then."""
    if (program is None) == (organization is None):
        raise ValidationError("Booking rules belong to a program or to an organization.")
    values = check_booking_rules(**rules)
    owner = {"program": program} if program is not None else {"organization": organization}
    row, _ = BookingRules.objects.update_or_create(**owner, defaults=values)
    # Every member's stored availability answers depend on these rules.
    if program is not None:
        people = User.objects.filter(memberships__program=program)
    else:
        people = User.objects.filter(organization=organization)
    bump_busy_versions(people.values_list("pk", flat=True))
    return row


@transaction.atomic
def group_member_set_optional(*, group: Group, user: User, optional: bool, by: User) -> None:
    """The facilitator marks a member optional (or required again). Only the facilitator may,
    and only for a member of the group; the facilitator stays required."""
    if by.pk != group.facilitator_id:
        raise ValidationError("Only the group's facilitator can mark members optional.")
    if not GroupMember.objects.filter(group=group, user=user).exists():
        raise ValidationError("That person is not in this group.")
    if user.pk == group.facilitator_id and optional:
        raise ValidationError("The facilitator is always required.")
    if optional:
        OptionalMember.objects.get_or_create(group=group, user=user)
    else:
        OptionalMember.objects.filter(group=group, user=user).delete()
    bump_busy_versions(GroupMember.objects.filter(group=group).values_list("user_id", flat=True))


def optional_member_ids(group: Group) -> frozenset[int]:
    return frozenset(OptionalMember.objects.filter(group=group).values_list("user_id", flat=True))
