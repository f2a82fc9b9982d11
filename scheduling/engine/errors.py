"""The engine's errors: one base class, one subclass per kind of bad input.

Every public function validates all of its input before it computes anything, so a caller
gets either a complete result or exactly one of these, never a half-computed answer.
They derive from ``ValueError`` so code that already treats bad values as ``ValueError``
keeps working; the JSON API can map ``SchedulingError`` to a 400 with ``str(error)``.
"""

from __future__ import annotations


class SchedulingError(ValueError):
    """Base class of every error the slot engine raises on bad input."""


class InvalidInterval(SchedulingError):
    """An interval ends before it starts (busy block, date range, bookable-hours window)."""


class NaiveDatetime(SchedulingError):
    """A datetime without a time zone was given where an instant is required."""


class UnknownTimeZone(SchedulingError):
    """A time zone name that the IANA time zone database does not know."""


class DurationNotAllowed(SchedulingError):
    """The session duration is not one of the program's allowed durations."""


class RangeTooLong(SchedulingError):
    """The date range (or a recurring series) is longer than the engine accepts."""


class InvalidRequest(SchedulingError):
    """Any other malformed request: a bad step, a negative buffer, an unknown viewer, ..."""
