"""The dates Together schedules in: one rule for every page, API field and service.

Python's dates end at year 9999 and start at year 1, so a date near either end overflows as
soon as anything adds a day or a session's length to it (OverflowError, a 500). Nobody books
or records a mentorship session outside these years; inputs outside them are refused with a
sentence naming the input, before any arithmetic.
"""

from __future__ import annotations

import datetime as dt

from programs.errors import Refused

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


def in_range(value: dt.date | dt.datetime) -> bool:
    day = value.date() if isinstance(value, dt.datetime) else value
    return EARLIEST <= day <= LATEST


def range_message(label: str = "Dates") -> str:
    return f"{label} must fall between {EARLIEST:%Y} and {LATEST:%Y}."


def check_in_range(value: dt.date | dt.datetime, *, field: str, label: str = "Dates") -> None:
    if not in_range(value):
        raise Refused(range_message(label), field=field)
