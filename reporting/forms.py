"""The report's date range form."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms

from programs.models import Program
from reporting.periods import ReportPeriod

# A report over more than a few years is a mistake in the form, not a question anyone asks.
LONGEST_PERIOD_DAYS = 3 * 366


class ReportPeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end date must not be before the start date.")
            if (end - start).days > LONGEST_PERIOD_DAYS:
                raise forms.ValidationError("Choose a period of at most three years.")
        return cleaned


def period_from_request(request, program: Program) -> tuple[ReportPeriodForm, ReportPeriod]:
    """The period asked for in the query string, or the program's whole run by default.

    Days are the viewer's local days (their profile's time zone), so a session at 23:30 on the
    last day, local time, is inside the period even when it is already the next day in UTC.
    """
    zone = ZoneInfo(getattr(request.user, "time_zone", "") or "UTC")
    default = {"start": program.starts_on.isoformat(), "end": program.ends_on.isoformat()}
    data = request.GET if "start" in request.GET or "end" in request.GET else default
    form = ReportPeriodForm(data)
    if form.is_valid():
        first: dt.date = form.cleaned_data["start"]
        last: dt.date = form.cleaned_data["end"]
    else:
        first, last = program.starts_on, program.ends_on
    return form, ReportPeriod(first, last, zone)
