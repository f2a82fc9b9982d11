"""Refusals a person can act on, shared by every app: each app's domain errors subclass these
(scheduling's BookingRefused, calendars' IntegrationRefused, ...).

A refusal says what is wrong in a sentence and, where one input is to blame, names it
(``field``). Which HTTP status each kind becomes is decided once, in together/errors.py, for
the API and the pages alike; the domain code never speaks HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    kind = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    """The input is malformed: not a value of the kind asked for."""

    kind = "invalid"


class Refused(DomainError):
    """Well-formed, but the rules say no: a slot outside someone's hours, a date outside the
    years Together schedules in, a link built to mislead. No schema can say these."""

    kind = "refused"


class NotFound(DomainError):
    """No such thing for this person (also when it exists but is someone else's)."""

    kind = "not_found"


class Conflict(DomainError):
    """Valid, but the world changed: the slot was just taken, the session already moved."""

    kind = "conflict"


class Forbidden(DomainError):
    """This person may not do that here (their role does not cover it)."""

    kind = "forbidden"
