"""The one small interface every calendar provider implements.

Google (google-api-python-client), Microsoft (msal + Graph over HTTP) and CalDAV (caldav)
each live in their own module here. Instants are timezone-aware UTC datetimes throughout.
Implementations raise only calendars.errors exceptions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class CalendarInfo:
    calendar_id: str
    name: str
    primary: bool
    can_write: bool


@dataclass(frozen=True)
class BusyInterval:
    """A period that blocks the person: busy, tentative or out-of-office. No titles, ever."""

    start: dt.datetime
    end: dt.datetime
    kind: str = "busy"  # "busy" | "tentative" | "oof"


@dataclass(frozen=True)
class EventSpec:
    """What Together writes: one session as a calendar invite."""

    title: str
    description: str
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    attendees: list[str]
    # "video" asks the provider for a Meet/Teams link; otherwise location/url go in as text.
    conferencing: str = "none"
    location: str = ""
    conference_url: str = ""
    # Who the event is from (the booker), and people's names by email, for iCalendar's
    # ORGANIZER and ATTENDEE;CN (calendars.ics).
    organizer: str = ""
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WrittenEvent:
    event_id: str
    conference_url: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EventChange:
    """One event seen by an incremental sync, reduced to what blocks time.

    `event_key` is a hash of the provider's event id (never the title). `blocks` is None when
    the event no longer blocks (deleted, cancelled, declined, free/transparent).
    """

    event_key: str
    blocks: list[BusyInterval] | None
    # True when the provider reported a whole recurring series as gone: every block of the
    # series (see calendars.busy.series_prefix) goes, whatever its occurrence.
    whole_series: bool = False


@dataclass(frozen=True)
class SyncResult:
    changes: list[EventChange]
    next_token: str
    # True when this was a full listing: blocks not in `changes` must be dropped.
    full: bool


class CalendarProvider(Protocol):
    def list_calendars(self) -> list[CalendarInfo]: ...

    def free_busy(
        self, calendar_ids: list[str], start: dt.datetime, end: dt.datetime
    ) -> dict[str, list[BusyInterval]]:
        """Busy intervals per calendar id, batched at the provider API's floor."""
        ...

    def create_event(
        self, *, calendar_id: str, event: EventSpec, idempotency_key: str
    ) -> WrittenEvent:
        """Create the event once: calling again with the same key must not make a second one."""
        ...

    def update_event(
        self, *, calendar_id: str, event_id: str, event: EventSpec
    ) -> WrittenEvent: ...

    def delete_event(self, *, calendar_id: str, event_id: str) -> None:
        """Delete; an event that is already gone counts as deleted."""
        ...

    def delete_by_key(self, *, calendar_id: str, idempotency_key: str, event: EventSpec) -> None:
        """Delete whatever an earlier ``create_event`` with this key may have made, when its
        answer (and so the event's id) was lost; nothing there counts as deleted."""
        ...

    def revoke(self) -> None: ...


class IncrementalProvider(CalendarProvider, Protocol):
    """Providers that can list event changes since a cursor (Google syncToken, Graph delta)."""

    def sync_events(
        self,
        *,
        calendar_id: str,
        start: dt.datetime,
        end: dt.datetime,
        sync_token: str,
        primary: bool = False,
    ) -> SyncResult:
        """Changes since `sync_token` (a full listing when it is empty). ``primary`` says the
        calendar is the account's default (Graph has a delta cursor only for that one).

        Raises SyncTokenExpiredError when the provider refuses the token.
        """
        ...
