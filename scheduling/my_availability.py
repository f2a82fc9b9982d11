"""Profile › My availability: a person's weekly hours, date overrides and time off.

Thin views: parse the form, call one programs.availability service, redirect; the preview
asks the booking policy what a partner's wizard will offer.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from calendars import working_hours
from programs import availability as hours
from programs.models import DateOverride, TimeOff
from scheduling import policy


def _parse_date(raw: str | None, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationError(f"{what}: choose a date.") from None


@login_required
def my_availability(request: HttpRequest) -> HttpResponse:
    user = request.user
    # People on Microsoft 365 start from the working hours their mailbox already has.
    working_hours.refresh_if_stale(user=user)
    today = timezone.now().astimezone(ZoneInfo(user.time_zone)).date()
    stored = hours.stored_hours([user.pk], today, today + hours.FURTHEST_AHEAD)[user.pk]
    week, mailbox_zone = policy.effective_week(stored)
    monday = today - dt.timedelta(days=today.weekday())
    context = {
        "days": [
            (number, name, hours.format_windows(week.get(number, [])))
            for number, name in enumerate(hours.WEEKDAYS)
        ],
        "own_week": stored.week is not None,
        "mailbox_zone": mailbox_zone or "",
        "overrides": _overrides(user, today),
        "time_off": TimeOff.objects.filter(user=user, last_day__gte=today).order_by("first_day"),
        "preview": policy.week_preview(user=user, first_day=monday, days=14),
        "time_zone": user.time_zone,
        "today": today,
    }
    return render(request, "scheduling/my_availability.html", context)


def _overrides(user, today):
    by_date: dict[dt.date, list] = {}
    for row in DateOverride.objects.filter(user=user, date__gte=today).order_by("date"):
        windows = by_date.setdefault(row.date, [])
        if not row.unavailable:
            windows.append((row.starts_at, row.ends_at))
    return [(day, hours.format_windows(w)) for day, w in by_date.items()]


def _done(request, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("my_availability")


def _refused(request, error: ValidationError) -> HttpResponse:
    messages.error(request, " ".join(error.messages))
    return redirect("my_availability")


@login_required
@require_POST
def weekly_hours(request: HttpRequest) -> HttpResponse:
    week = {}
    try:
        for number, name in enumerate(hours.WEEKDAYS):
            try:
                week[number] = hours.parse_windows(request.POST.get(f"day-{number}", ""))
            except ValidationError as error:
                raise ValidationError(f"{name}: {error.messages[0]}") from None
        hours.weekly_hours_set(user=request.user, week=week)
    except ValidationError as error:
        return _refused(request, error)
    return _done(request, "Your weekly hours are saved. Partners see them at once.")


@login_required
@require_POST
def date_override(request: HttpRequest) -> HttpResponse:
    try:
        day = _parse_date(request.POST.get("date"), "Date")
        if request.POST.get("action") == "clear":
            hours.date_override_clear(user=request.user, date=day)
            return _done(request, f"{day:%A %d %B} follows your weekly hours again.")
        windows = hours.parse_windows(request.POST.get("windows", ""))
        hours.date_override_set(user=request.user, date=day, windows=windows)
    except ValidationError as error:
        return _refused(request, error)
    if not windows:
        return _done(request, f"You are unavailable on {day:%A %d %B}.")
    return _done(request, f"{day:%A %d %B}: {hours.format_windows(windows)}.")


@login_required
@require_POST
def time_off(request: HttpRequest) -> HttpResponse:
    try:
        if request.POST.get("action") == "remove":
            hours.time_off_remove(user=request.user, time_off_id=_int(request.POST.get("time_off")))
            return _done(request, "Time off removed.")
        first = _parse_date(request.POST.get("first_day"), "First day")
        last = _parse_date(
            request.POST.get("last_day") or request.POST.get("first_day"), "Last day"
        )
        hours.time_off_add(
            user=request.user, first_day=first, last_day=last, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        return _refused(request, error)
    return _done(request, f"Away {first:%d %b} to {last:%d %b %Y}: nobody can book you then.")


def _int(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError("That time off no longer exists.") from None


@login_required
@require_POST
def group_member_optional(request: HttpRequest, group_id: int) -> HttpResponse:
    """The facilitator marks a member optional or required (the heat map's Members list)."""
    from django.urls import reverse

    from programs.models import User
    from scheduling import selectors

    group = selectors.group_for_member(user=request.user, group_id=group_id)
    try:
        member = User.objects.filter(pk=_int(request.POST.get("member"))).first()
        if member is None:
            raise ValidationError("That person is not in this group.")
        hours.group_member_set_optional(
            group=group,
            user=member,
            optional=request.POST.get("optional") == "yes",
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        state = "optional" if request.POST.get("optional") == "yes" else "required"
        messages.success(request, f"{member.display_name} is {state} now.")
    return redirect(reverse("group_book", args=[group.pk]))
