"""Parsing what the wizard sends. Validation of the booking itself lives in services."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from programs import dates, zones
from programs.models import Session, SessionSeries
from scheduling.services import Conferencing


class WizardForm(forms.Form):
    """The wizard's choices; every field is optional and falls back to a sensible default."""

    duration = forms.TypedChoiceField(coerce=int, required=False)
    # Typed, not chosen from a list: a zone name (aliases normalised), or a city or country
    # with one zone (programs.zones.validate_zone); the picker suggests canonical zones.
    tz = forms.CharField(label="Time zone", required=False, max_length=64)
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", required=False)
    day = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    week = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    conferencing = forms.ChoiceField(choices=Session.Conferencing.choices, required=False)
    url = forms.CharField(required=False, max_length=500)
    location = forms.CharField(required=False, max_length=300)
    reschedule = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, durations: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duration"].choices = [(d, f"{d} minutes") for d in durations]

    def _in_range(self, name: str) -> dt.date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not dates.in_range(value):
            raise forms.ValidationError(dates.range_message())
        return value

    def clean_day(self) -> dt.date | None:
        return self._in_range("day")

    def clean_week(self) -> dt.date | None:
        return self._in_range("week")

    def clean_month(self) -> str:
        value = self.cleaned_data.get("month") or ""
        if value and not (
            1 <= int(value[5:]) <= 12 and dates.in_range(dt.date(int(value[:4]), 1, 1))
        ):
            raise forms.ValidationError(dates.range_message("Months"))
        return value

    def clean_tz(self) -> str:
        value = self.cleaned_data["tz"]
        if not value:
            return ""
        try:
            return zones.validate_zone(value, at=timezone.now())
        except zones.UnknownZone as error:
            raise forms.ValidationError(str(error)) from None


class ConfirmForm(forms.Form):
    start = forms.CharField(max_length=40)
    duration = forms.IntegerField(min_value=1, max_value=1440)
    tz = forms.CharField(max_length=64)
    conferencing = forms.ChoiceField(choices=Session.Conferencing.choices, required=False)
    url = forms.CharField(required=False, max_length=500)
    location = forms.CharField(required=False, max_length=300)
    agenda = forms.CharField(required=False, max_length=5000, widget=forms.Textarea)
    repeat = forms.ChoiceField(
        choices=[("", "Just this once"), *SessionSeries.Frequency.choices], required=False
    )
    count = forms.IntegerField(required=False, min_value=1, max_value=52)
    reschedule = forms.IntegerField(required=False, min_value=1)

    def clean_start(self) -> dt.datetime:
        return parse_occurrences([self.cleaned_data["start"]])[0]

    def conferencing_value(self) -> Conferencing:
        data = self.cleaned_data
        return Conferencing(
            kind=data.get("conferencing") or Session.Conferencing.NONE,
            url=data.get("url") or "",
            location=data.get("location") or "",
        )


def parse_occurrences(values: list[str], *, wall_zone: str | None = None) -> list[dt.datetime]:
    """ISO 8601 date-times with an offset; with ``wall_zone``, wall-clock times in that zone
    are accepted too (the series preview posts what the person typed)."""
    out = []
    for value in values:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(f"{value!r} is not a date and time.") from None
        if parsed.tzinfo is None:
            if wall_zone is None:
                raise forms.ValidationError("Times need a time zone offset, e.g. +00:00.")
            # RFC 5545's reading of a wall time: the first of two in a fall-back hour.
            parsed = parsed.replace(tzinfo=ZoneInfo(wall_zone), fold=0)
        if not dates.in_range(parsed):
            raise forms.ValidationError(dates.range_message("Session dates"))
        out.append(parsed)
    return out
