"""CalDAV (Apple iCloud, Fastmail, Nextcloud) through the `caldav` library.

Accounts sign in with an app password; there is no token to refresh or revoke. Busy time is
read by expanding events in the window (CalDAV free-busy reports are patchily supported) and
reducing each to start, end and kind; nothing else leaves this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from urllib.parse import urlsplit, urlunsplit

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


_CALENDARS_PROPFIND = """<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop>
    <d:displayname/>
    <d:resourcetype/>
    <c:supported-calendar-component-set/>
    <d:current-user-privilege-set/>
  </d:prop>
</d:propfind>"""

_DAV = "{DAV:}"
_CALDAV = "{urn:ietf:params:xml:ns:caldav}"
_WRITE_PRIVILEGES = {"write", "write-content", "bind", "all"}


def _calendars_in(home_url, tree) -> list[tuple[str, str, bool]]:
    """(url, name, writable) for each event calendar in a depth-1 PROPFIND of the home."""
    found = []
    if tree is None:
        return found
    for response in tree.iter(f"{_DAV}response"):
        href = response.findtext(f"{_DAV}href") or ""
        props = {}
        for propstat in response.iter(f"{_DAV}propstat"):
            if "200" not in (propstat.findtext(f"{_DAV}status") or ""):
                continue
            for prop in propstat.iter(f"{_DAV}prop"):
                for child in prop:
                    props[child.tag] = child
        kind = props.get(f"{_DAV}resourcetype")
        if kind is None or kind.find(f"{_CALDAV}calendar") is None:
            continue
        components = props.get(f"{_CALDAV}supported-calendar-component-set")
        if components is not None and len(components):
            names = {(c.get("name") or "").upper() for c in components}
            if "VEVENT" not in names:
                continue
        privileges = props.get(f"{_DAV}current-user-privilege-set")
        if privileges is None:
            writable = True
        else:
            held = {
                granted.tag.split("}")[-1]
                for privilege in privileges.iter(f"{_DAV}privilege")
                for granted in privilege
            }
            writable = bool(held & _WRITE_PRIVILEGES)
        url = str(home_url.join(href))
        name = (props[f"{_DAV}displayname"].text if f"{_DAV}displayname" in props else "") or url
        found.append((url, name.strip() or url, writable))
    return found


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

    @classmethod
    def discover(cls, *, url: str, username: str, password: str, timeout: int = 20) -> str:
        """The CalDAV address that works for this account: ``url`` itself when it serves a
        principal, else what its host's ``/.well-known/caldav`` leads to (RFC 6764 section 5,
        https://datatracker.ietf.org/doc/html/rfc6764#section-5: a server's root need not be
        its CalDAV context; the well-known address redirects there, as Fastmail's does).

        Raises, so a person reads what really went wrong: TemporaryProviderError when no
        server answered (a typo in the address, the server down), NeedsReconnectError when it
        refused the username and app password, PermanentProviderError when what answered is
        not a CalDAV server.
        """
        candidates = [url]
        origin = urlsplit(url)
        well_known = urlunsplit((origin.scheme, origin.netloc, "/.well-known/caldav", "", ""))
        if url.rstrip("/") != well_known:
            candidates.append(well_known)
        not_caldav: Exception | None = None
        for candidate in candidates:
            provider = cls(url=candidate, username=username, password=password, timeout=timeout)
            try:
                principal = provider._client.principal()
            except caldav_error.AuthorizationError as exc:
                if "401" in str(exc.reason) or "Unauthorized" in str(exc.reason):
                    raise NeedsReconnectError("CalDAV server refused the credentials") from None
                not_caldav = exc  # 403: signed in, but this path is not the account's
                continue
            except (caldav_error.DAVError, niquests.exceptions.RequestException, OSError) as exc:
                mapped = _mapped(exc)
                if isinstance(mapped, (NeedsReconnectError, TemporaryProviderError)):
                    raise mapped from None
                not_caldav = exc
                continue
            except Exception as exc:  # an answer the library cannot read as WebDAV at all
                not_caldav = exc
                continue
            # The principal's own address: later requests skip the redirect.
            return str(principal.url)
        raise PermanentProviderError(f"no CalDAV service at {url}: {not_caldav}")

    def _call(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (caldav_error.DAVError, niquests.exceptions.RequestException, OSError) as exc:
            raise _mapped(exc) from None

    def _calendar(self, calendar_id: str) -> caldav.Calendar:
        return self._client.calendar(url=calendar_id)

    def list_calendars(self) -> list[CalendarInfo]:
        """The calendars that can hold events, each writable only where the server grants it.

        One PROPFIND (depth 1) on the calendar home asks for what each collection holds and
        what we may do there: a tasks-only list (iCloud's Reminders, Nextcloud's task lists)
        has no VEVENT in supported-calendar-component-set (RFC 4791 section 5.2.3,
        https://datatracker.ietf.org/doc/html/rfc4791#section-5.2.3) and is left out; a shared
        read-only calendar lacks write / write-content in current-user-privilege-set (RFC 3744
        section 5.4, https://datatracker.ietf.org/doc/html/rfc3744#section-5.4) and is never a
        destination. A server that reports no privileges is taken at its word as writable.
        """

        def fetch():
            home = self._client.principal().calendar_home_set
            response = self._client.propfind(str(home.url), _CALENDARS_PROPFIND, depth=1)
            return home.url, response.tree

        home_url, tree = self._call(fetch)
        found = _calendars_in(home_url, tree)
        return [
            CalendarInfo(calendar_id=url, name=name, primary=i == 0, can_write=can_write)
            for i, (url, name, can_write) in enumerate(found)
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

    def _event_at(self, calendar_id: str, uid: str) -> caldav.Event:
        """The event resource Together wrote for ``uid``, by its address, not a UID search.

        Together chooses each event's address itself (``<calendar>/<uid>.ics``, RFC 4791
        section 5.3.2: the client names the resource it PUTs,
        https://datatracker.ietf.org/doc/html/rfc4791#section-5.3.2), so it never has to find
        its own events by UID: iCloud answers calendar-query UID lookups unreliably, and a
        "not found" from one could leave a cancelled session in the calendar. A GET or DELETE
        on the known address is exact, and a 404 there means the event is really gone.
        """
        calendar = self._calendar(calendar_id)
        return caldav.Event(self._client, url=calendar.url.join(f"{uid}.ics"), parent=calendar)

    def create_event(
        self, *, calendar_id: str, event: EventSpec, idempotency_key: str
    ) -> WrittenEvent:
        # Writing the latest version to the key's own address is idempotent by itself: a
        # second attempt after a lost answer overwrites the first with what the session is
        # now, so a reschedule after a lost create still lands.
        return self.update_event(
            calendar_id=calendar_id, event_id=self._uid(idempotency_key), event=event
        )

    def update_event(self, *, calendar_id: str, event_id: str, event: EventSpec) -> WrittenEvent:
        resource = self._event_at(calendar_id, event_id)
        resource.data = self._ical(event_id, event)
        self._call(resource.save)
        return WrittenEvent(event_id=event_id, conference_url=event.conference_url)

    def delete_event(self, *, calendar_id: str, event_id: str) -> None:
        self._call(self._event_at(calendar_id, event_id).delete)

    def delete_by_key(self, *, calendar_id: str, idempotency_key: str, event: EventSpec) -> None:
        self.delete_event(calendar_id=calendar_id, event_id=self._uid(idempotency_key))

    def revoke(self) -> None:
        # App passwords are revoked by the person at their provider; we only forget ours.
        return None


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
