"""CalDAV (Apple iCloud, Fastmail, Nextcloud) through the `caldav` library.

Accounts sign in with an app password; there is no token to refresh or revoke. Busy time is
read by expanding events in the window (CalDAV free-busy reports are patchily supported) and
reducing each to start, end and kind; nothing else leaves this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

import caldav
import niquests
from caldav.lib import error as caldav_error

from calendars import busy, ics
from calendars.errors import (
    NeedsReconnectError,
    PermanentProviderError,
    TemporaryProviderError,
)
from calendars.providers.base import BusyInterval, CalendarInfo, EventSpec, WrittenEvent

log = logging.getLogger(__name__)


def _mapped(exc: Exception) -> Exception:
    """Map the library's and the transport's errors to ours."""
    if isinstance(exc, caldav_error.AuthorizationError):
        return NeedsReconnectError("CalDAV server refused the credentials")
    if isinstance(exc, caldav_error.NotFoundError):
        return PermanentProviderError("CalDAV resource not found")
    if isinstance(exc, caldav_error.DAVError):
        reason = str(getattr(exc, "reason", "")) or type(exc).__name__
        if any(code in reason for code in ("500", "502", "503", "504")):
            return TemporaryProviderError(f"CalDAV server error: {reason[:120]}")
        if "401" in reason or "403" in reason:
            return NeedsReconnectError("CalDAV server refused the credentials")
        return PermanentProviderError(f"CalDAV error: {reason[:120]}")
    if isinstance(exc, (niquests.exceptions.RequestException, OSError)):
        return TemporaryProviderError(f"CalDAV server unreachable: {type(exc).__name__}")
    return PermanentProviderError(f"CalDAV failure: {type(exc).__name__}")


class CalDAVProvider:
    def __init__(
        self, *, url: str, username: str, password: str, time_zone: str = "UTC", timeout: int = 20
    ) -> None:
        self.url = url
        self.username = username
        self.time_zone = time_zone
        self._client = caldav.DAVClient(
            url=url,
            username=username,
            password=password,
            timeout=timeout,
            enable_rfc6764=False,
            require_tls=False,
        )

    def _call(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (caldav_error.DAVError, niquests.exceptions.RequestException, OSError) as exc:
            raise _mapped(exc) from None

    def _calendar(self, calendar_id: str) -> caldav.Calendar:
        return self._client.calendar(url=calendar_id)

    def list_calendars(self) -> list[CalendarInfo]:
        def fetch():
            principal = self._client.principal()
            return [(str(c.url), c.get_display_name() or str(c.url)) for c in principal.calendars()]

        found = self._call(fetch)
        return [
            CalendarInfo(calendar_id=url, name=name, primary=i == 0, can_write=True)
            for i, (url, name) in enumerate(found)
        ]

    def free_busy(
        self, calendar_ids: list[str], start: dt.datetime, end: dt.datetime
    ) -> dict[str, list[BusyInterval]]:
        result: dict[str, list[BusyInterval]] = {}
        for calendar_id in calendar_ids:
            objects = self._call(
                self._calendar(calendar_id).search, start=start, end=end, event=True, expand=True
            )
            blocks: list[BusyInterval] = []
            for obj in objects:
                for component in obj.icalendar_instance.walk("VEVENT"):
                    blocks.extend(busy.clip(self._blocks_of(component) or [], start, end))
            result[calendar_id] = sorted(blocks, key=lambda b: b.start)
        return result

    def _blocks_of(self, component) -> list[BusyInterval] | None:
        status = str(component.get("STATUS", "CONFIRMED")).upper()
        transp = str(component.get("TRANSP", "OPAQUE")).upper()
        if status == "CANCELLED" or transp == "TRANSPARENT":
            return None
        for attendee in _as_list(component.get("ATTENDEE")):
            is_owner = str(attendee).lower().removeprefix("mailto:") == self.username.lower()
            if is_owner and str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED":
                return None
        kind = "busy"
        if status == "TENTATIVE":
            kind = "tentative"
        if str(component.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "OOF":
            kind = "oof"
        start = component.decoded("DTSTART")
        if "DTEND" in component:
            end = component.decoded("DTEND")
        elif "DURATION" in component:
            end = start + component.decoded("DURATION")
        else:
            end = start + (
                dt.timedelta(days=1) if not isinstance(start, dt.datetime) else dt.timedelta()
            )
        if not isinstance(start, dt.datetime):
            start, end = busy.day_span(start, end, self.time_zone)
        else:
            if start.tzinfo is None:  # floating time: the owner's wall clock
                start = busy.wall_clock(start, self.time_zone)
            if end.tzinfo is None:
                end = busy.wall_clock(end, self.time_zone)
        return busy.interval(start, end, kind)

    # --- writes -----------------------------------------------------------------------

    @staticmethod
    def _uid(idempotency_key: str) -> str:
        return "together-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]

    def _ical(self, uid: str, event: EventSpec) -> str:
        # The calendar's owner organizes what Together writes into it: their CalDAV address
        # when the account is named by one (iCloud, Fastmail), else their Together address.
        email = self.username if "@" in self.username else (event.organizer or self.username)
        organizer = ics.Organizer(email=email, name=event.names.get(email, ""))
        return ics.event_ical(
            uid=uid, event=event, organizer=organizer, now=dt.datetime.now(dt.UTC)
        ).decode()

    def create_event(
        self, *, calendar_id: str, event: EventSpec, idempotency_key: str
    ) -> WrittenEvent:
        uid = self._uid(idempotency_key)
        calendar = self._calendar(calendar_id)
        try:
            calendar.event_by_uid(uid)
        except caldav_error.NotFoundError:
            pass
        except (caldav_error.DAVError, niquests.exceptions.RequestException, OSError) as exc:
            raise _mapped(exc) from None
        else:
            # An earlier attempt made it, perhaps with what the session was then: write what
            # it is now, so a reschedule after a lost create still lands.
            return self.update_event(calendar_id=calendar_id, event_id=uid, event=event)
        self._call(calendar.save_event, self._ical(uid, event))
        return WrittenEvent(event_id=uid, conference_url=event.conference_url)

    def update_event(self, *, calendar_id: str, event_id: str, event: EventSpec) -> WrittenEvent:
        calendar = self._calendar(calendar_id)
        existing = self._call(calendar.event_by_uid, event_id)
        existing.data = self._ical(event_id, event)
        self._call(existing.save)
        return WrittenEvent(event_id=event_id, conference_url=event.conference_url)

    def delete_event(self, *, calendar_id: str, event_id: str) -> None:
        calendar = self._calendar(calendar_id)
        try:
            calendar.event_by_uid(event_id).delete()
        except caldav_error.NotFoundError:
            return
        except (caldav_error.DAVError, niquests.exceptions.RequestException, OSError) as exc:
            raise _mapped(exc) from None

    def delete_by_key(self, *, calendar_id: str, idempotency_key: str, event: EventSpec) -> None:
        self.delete_event(calendar_id=calendar_id, event_id=self._uid(idempotency_key))

    def revoke(self) -> None:
        # App passwords are revoked by the person at their provider; we only forget ours.
        return None


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
