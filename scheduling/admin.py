"""Django admin for booking: program booking rules (written through the programs service) and
the troubleshooter, which shows a program admin why a match's slots are or are not bookable
on a day: each person's windows, time off, busy blocks, the rules, and the wizard's own rows
with the wizard's own reasons."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone

from programs import availability as hours
from programs.admin_scoping import OrgScopedAdmin, admin_scope, register_org_lookup, scope_queryset
from programs.models import BookingRules, Match
from programs.viewing_zone import view_in
from scheduling import availability, policy, presenters

register_org_lookup(BookingRules, "program__organization")

_RULES = (
    "min_notice_minutes",
    "booking_window_days",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "max_sessions_per_day",
    "max_sessions_per_week",
)


class BookingRulesForm(forms.ModelForm):
    class Meta:
        model = BookingRules
        fields = ["program", *_RULES]

    def clean(self):
        cleaned = super().clean()
        try:
            hours.check_booking_rules(**{name: cleaned.get(name) for name in _RULES})
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        if not cleaned.get("program"):
            raise forms.ValidationError("Choose the program these rules are for.")
        return cleaned


@admin.register(BookingRules)
class BookingRulesAdmin(OrgScopedAdmin):
    """A program's booking rules; programs without any follow their organization's."""

    org_lookup = "program__organization"
    form = BookingRulesForm
    list_display = ["program", *_RULES]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(program__isnull=False)

    def save_model(self, request, obj, form, change):
        # Through the service, like every other write: it checks and bumps versions.
        saved = hours.booking_rules_set(
            program=form.cleaned_data["program"],
            **{name: form.cleaned_data[name] for name in _RULES},
        )
        obj.pk = saved.pk

    def get_urls(self):
        return [
            path(
                "troubleshoot/",
                self.admin_site.admin_view(self.troubleshoot),
                name="scheduling_troubleshoot",
            ),
            *super().get_urls(),
        ]

    def troubleshoot(self, request):
        """Why a match's slots are or are not bookable on one day (?match=&day=&duration=)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        matches = scope_queryset(
            Match.objects.select_related("program", "mentee", "mentor"),
            "program__organization",
            admin_scope(request),
            "program",
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Why not? A match's day, explained",
            "matches": matches.order_by("program__name", "pk"),
        }
        raw = request.GET.get("match")
        if raw:
            try:
                match = matches.get(pk=int(raw))
            except (ValueError, Match.DoesNotExist):
                raise Http404("No such match.") from None
            # The page shows the mentee's times, so it renders on the mentee's clock.
            view_in(match.mentee.time_zone)
            context.update(explain_day(match=match, query=request.GET))
        return render(request, "admin/scheduling/troubleshoot.html", context)


def explain_day(*, match: Match, query) -> dict:
    """The troubleshooter's facts for one match and day, seen as the mentee books: the
    wizard's rows and reasons (the same presenter), each person's windows, time off and busy
    blocks, and the program's rules."""
    viewer = match.mentee
    tz = ZoneInfo(viewer.time_zone)
    try:
        day = dt.date.fromisoformat(query.get("day", ""))
    except ValueError:
        day = timezone.now().astimezone(tz).date()
    durations = match.program.allowed_durations
    try:
        duration = int(query.get("duration", ""))
    except ValueError:
        duration = policy.default_duration(durations)
    if duration not in durations:
        duration = durations[0]
    wizard = availability.match_wizard(
        match=match,
        viewer=viewer,
        time_zone=viewer.time_zone,
        duration=duration,
        first_day=day,
        last_day=day,
        day=day,
    )
    users = [match.mentee, match.mentor]
    rules = policy.policy_for(program=match.program, users=users, first_day=day, last_day=day)
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz) - dt.timedelta(days=1)
    calendars = availability.calendars_of(users, start, start + dt.timedelta(days=3))
    sessions = availability.booked_sessions_of(users, start, start + dt.timedelta(days=3))
    people = []
    for user in users:
        own_tz = ZoneInfo(user.time_zone)
        own_day = dt.datetime.combine(day, dt.time(12), tzinfo=tz).astimezone(own_tz).date()
        person = rules.people[user.pk]
        windows = person.hours.windows_on((own_day - dt.date(1970, 1, 1)).days)
        lo, hi = start, start + dt.timedelta(days=3)
        people.append(
            {
                "user": user,
                "time_zone": user.time_zone,
                "day": own_day,
                "own_week": person.own_week,
                "away": own_day in person.away,
                "windows": [
                    f"{a // 3600:02d}:{a % 3600 // 60:02d}-{b // 3600:02d}:{b % 3600 // 60:02d}"
                    for a, b in windows
                ],
                "integrated": calendars[user.pk].integrated,
                "busy": [(s, e) for s, e in calendars[user.pk].busy if s < hi and e > lo],
                "sessions": sessions.get(user.pk, []),
            }
        )
    return {
        "match": match,
        "day": day,
        "duration": duration,
        "time_zone": viewer.time_zone,
        "rules": rules.rules,
        "people": people,
        "rows": presenters.time_rows(
            wizard.slots,
            insight=wizard.insight,
            partner_name=match.mentor.first_name or "partner",
        ),
        "wizard_url": reverse("match_book", args=[match.pk]),
    }
