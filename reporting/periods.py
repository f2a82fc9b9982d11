"""The date range a report covers, read in the viewer's time zone.

A program admin in Toronto who asks for 1–31 March means March as the clocks on their wall
show it: from local midnight on the 1st to local midnight after the 31st. Every instant is
still compared in UTC in the database; only the boundaries are placed in the viewer's zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ReportPeriod:
    """Whole local days `first_day`..`last_day` (both included) in `zone`."""

    first_day: dt.date
    last_day: dt.date
    zone: ZoneInfo

    @property
    def start_at(self) -> dt.datetime:
        """The first instant inside the period (local midnight of the first day)."""
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=self.zone)

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the period (local midnight after the last day)."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min, self.zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def weeks(self) -> list[dt.date]:
        """Mondays of every week that overlaps the period, in order."""
        monday = self.first_day - dt.timedelta(days=self.first_day.weekday())
        weeks = []
        while monday <= self.last_day:
            weeks.append(monday)
            monday += dt.timedelta(days=7)
        return weeks

    def months(self) -> list[dt.date]:
        """First days of every month that overlaps the period, in order."""
        month = self.first_day.replace(day=1)
        months = []
        while month <= self.last_day:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months
