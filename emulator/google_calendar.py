"""Google Calendar API v3: calendarList, freeBusy and events, under a configurable root.

google-api-python-client builds URLs as ``api_endpoint + path`` where the bundled
discovery document's paths look like ``calendars/{calendarId}/events``; the endpoint to
hand it is therefore ``<origin><calendar_root>/`` (``http://127.0.0.1:8765/calendar/v3/``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from emulator import ids
from emulator.app import Emulator, google_error
from emulator.ids import GOOGLE_EVENT_ID
from emulator.recurrence import occurrence_starts
from emulator.store import AccessToken, Attendee, Calendar, Event, merge
from emulator.timefmt import local_midnight, parse_rfc3339, rfc3339, utcnow, zone
from emulator.web import Exchange, HTTPError, Response, Router

CAL = "https://www.googleapis.com/auth/calendar"
READ_SCOPES = {CAL, CAL + ".readonly", CAL + ".events", CAL + ".events.readonly"}
LIST_SCOPES = {CAL, CAL + ".readonly", CAL + ".calendarlist", CAL + ".calendarlist.readonly"}
FREEBUSY_SCOPES = {CAL, CAL + ".readonly", CAL + ".freebusy", CAL + ".events.freebusy"}
WRITE_SCOPES = {CAL, CAL + ".events", CAL + ".events.owned"}
MAX_FREEBUSY_CALENDARS = 50
# freeBusy.query refuses longer ranges with 400 timeRangeTooLong, "The requested time range
# is too long."; the span Google allows is 90 days (reported where integrators met the limit:
# https://github.com/calcom/cal.com/pull/11962, https://github.com/calcom/cal.com/pull/11696;
# the reference https://developers.google.com/workspace/calendar/api/v3/reference/freebusy/query
# states no figure).
MAX_FREEBUSY_SPAN = timedelta(days=90)
MEET_ICON = "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)
WRITABLE = ("owner", "writer")


def ms(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def instance_id(master: Event, occurrence: datetime) -> str:
    if master.all_day:
        return f"{master.id}_{occurrence.astimezone(zone(master.time_zone)):%Y%m%d}"
    return f"{master.id}_{occurrence.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def bad_request(message: str, reason: str = "invalid", **extra: str) -> HTTPError:
    return HTTPError(google_error(400, reason, message, **extra))


def not_found() -> HTTPError:
    return HTTPError(google_error(404, "notFound", "Not Found"))


class GoogleCalendar:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.store = emu.store

    def register(self, router: Router) -> None:
        root = self.emu.calendar_root
        add = router.add
        add(
            "GET", f"{root}/users/me/calendarList", "calendar.calendarList.list", self.calendar_list
        )
        add(
            "GET",
            f"{root}/users/me/calendarList/{{calendarId}}",
            "calendar.calendarList.get",
            self.calendar_list_get,
        )
        add("GET", f"{root}/calendars/{{calendarId}}", "calendar.calendars.get", self.calendar_get)
        add("POST", f"{root}/freeBusy", "calendar.freebusy.query", self.freebusy)
        events = f"{root}/calendars/{{calendarId}}/events"
        add("GET", events, "calendar.events.list", self.list_events)
        add("POST", events, "calendar.events.insert", self.insert)
        add("GET", events + "/{eventId}", "calendar.events.get", self.get)
        add("PATCH", events + "/{eventId}", "calendar.events.patch", self.patch)
        add("PUT", events + "/{eventId}", "calendar.events.update", self.update)
        add("DELETE", events + "/{eventId}", "calendar.events.delete", self.delete)

    # -- access ------------------------------------------------------------------------

    def auth(self, ex: Exchange, accepted: set[str]) -> tuple[AccessToken, str | None]:
        """The caller's token and account; raises the 401/403 Google would answer."""
        header = ex.request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise HTTPError(
                google_error(
                    401,
                    "required",
                    "Request is missing required authentication credential. Expected OAuth 2 "
                    "access token, login cookie or other valid authentication credential.",
                    locationType="header",
                    location="Authorization",
                    headers=[("www-authenticate", 'Bearer realm="https://accounts.google.com/"')],
                )
            )
        access = self.store.valid_access(header[7:].strip(), "google")
        if access is None:
            raise HTTPError(
                google_error(
                    401,
                    "authError",
                    "Invalid Credentials",
                    locationType="header",
                    location="Authorization",
                    headers=[
                        (
                            "www-authenticate",
                            'Bearer realm="https://accounts.google.com/", error="invalid_token"',
                        )
                    ],
                )
            )
        account = access.grant.account
        self.emu.fault_gate(ex, account, "google")
        if not self.store.effective_scopes(access) & accepted:
            raise HTTPError(
                Response.json(
                    {
                        "error": {
                            "code": 403,
                            "message": "Request had insufficient authentication scopes.",
                            "errors": [
                                {
                                    "message": "Insufficient Permission",
                                    "domain": "global",
                                    "reason": "insufficientPermissions",
                                }
                            ],
                            "status": "PERMISSION_DENIED",
                        }
                    },
                    403,
                )
            )
        return access, account

    def calendar_for(self, calendar_id: str, viewer: str | None) -> tuple[Calendar, str]:
        if calendar_id == "primary":
            calendar = self.store.primary_calendar(viewer) if viewer else None
        else:
            calendar = self.store.calendars.get(calendar_id) or self.store.calendars.get(
                calendar_id.lower()
            )
        if calendar is None or calendar.provider != "google":
            raise not_found()
        role = self.store.role(calendar, viewer)
        if role is None:
            raise not_found()
        return calendar, role

    # -- calendar list -----------------------------------------------------------------

    def list_entry(self, calendar: Calendar, role: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{zlib.crc32(calendar.id.encode())}"',
            "id": calendar.id,
            "summary": calendar.name,
            "timeZone": calendar.time_zone,
            "colorId": "14",
            "backgroundColor": calendar.color,
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": role,
            "defaultReminders": [],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if calendar.primary and role == "owner":
            entry["primary"] = True
        return entry

    def calendar_list(self, ex: Exchange) -> Response:
        _, viewer = self.auth(ex, LIST_SCOPES)
        order = ["freeBusyReader", "reader", "writer", "owner"]
        minimum = ex.request.arg("minAccessRole")
        items = []
        for calendar in self.store.calendars_of(viewer) if viewer else []:
            if calendar.provider != "google":
                continue
            role = self.store.role(calendar, viewer) or "freeBusyReader"
            if minimum in order and order.index(role) < order.index(minimum):
                continue
            items.append(self.list_entry(calendar, role))
        return Response.json(
            {
                "kind": "calendar#calendarList",
                "etag": f'"p{self.store.seq}"',
                "nextSyncToken": "C" + b64(f"list:{self.store.seq}"),
                "items": items,
            }
        )

    def calendar_list_get(self, ex: Exchange) -> Response:
        _, viewer = self.auth(ex, LIST_SCOPES)
        calendar, role = self.calendar_for(ex.params["calendarId"], viewer)
        return Response.json(self.list_entry(calendar, role))

    def calendar_get(self, ex: Exchange) -> Response:
        _, viewer = self.auth(ex, READ_SCOPES | LIST_SCOPES)
        calendar, _ = self.calendar_for(ex.params["calendarId"], viewer)
        return Response.json(
            {
                "kind": "calendar#calendar",
                "etag": f'"{zlib.crc32(calendar.id.encode())}"',
                "id": calendar.id,
                "summary": calendar.name,
                "timeZone": calendar.time_zone,
                "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
            }
        )

    # -- free/busy ---------------------------------------------------------------------

    def freebusy(self, ex: Exchange) -> Response:
        _, viewer = self.auth(ex, FREEBUSY_SCOPES)
        try:
            body = ex.request.json()
        except ValueError as exc:
            raise bad_request("Parse Error", reason="parseError") from exc
        if not body.get("timeMin"):
            raise bad_request("Missing timeMin.", reason="required")
        if not body.get("timeMax"):
            raise bad_request("Missing timeMax.", reason="required")
        try:
            start, end = parse_rfc3339(body["timeMin"]), parse_rfc3339(body["timeMax"])
        except ValueError as exc:
            raise bad_request("Bad Request", reason="badRequest") from exc
        if end <= start:
            raise HTTPError(
                google_error(
                    400,
                    "timeRangeEmpty",
                    "The specified time range is empty.",
                    domain="calendar",
                    locationType="parameter",
                    location="timeMax",
                )
            )
        if end - start > MAX_FREEBUSY_SPAN:
            raise HTTPError(
                google_error(
                    400,
                    "timeRangeTooLong",
                    "The requested time range is too long.",
                    domain="calendar",
                    locationType="parameter",
                    location="timeMax",
                )
            )
        if int(body.get("calendarExpansionMax") or 0) > MAX_FREEBUSY_CALENDARS:
            raise bad_request("Invalid value for: calendarExpansionMax.")
        if int(body.get("groupExpansionMax") or 0) > 100:
            raise bad_request("Invalid value for: groupExpansionMax.")
        tz = body.get("timeZone") or None
        if tz:
            try:
                zone(tz)
            except KeyError as exc:
                raise bad_request("Invalid time zone definition.") from exc
        items = [str(item.get("id", "")) for item in body.get("items") or []]
        calendars: dict[str, Any] = {}
        if len(items) > MAX_FREEBUSY_CALENDARS:
            # Google does not fail the request: every calendar carries the refusal.
            refusal = {
                "errors": [{"domain": "calendar", "reason": "tooManyCalendarsRequested"}],
                "busy": [],
            }
            calendars = {calendar_id: copy.deepcopy(refusal) for calendar_id in items}
        else:
            for calendar_id in items:
                calendars[calendar_id] = self.busy_of(calendar_id, viewer, start, end, tz)
        return Response.json(
            {
                "kind": "calendar#freeBusy",
                "timeMin": rfc3339(start),
                "timeMax": rfc3339(end),
                "calendars": calendars,
            }
        )

    def busy_of(
        self, calendar_id: str, viewer: str | None, start: datetime, end: datetime, tz: str | None
    ) -> dict[str, Any]:
        key = viewer if calendar_id == "primary" and viewer else calendar_id
        calendar = self.store.calendars.get(key) or self.store.calendars.get(key.lower())
        if (
            calendar is None
            or calendar.provider != "google"
            or self.store.role(calendar, viewer) is None
        ):
            return {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
        blocks = [
            (max(b.start, start), min(b.end, end))
            for b in self.store.busy_blocks(calendar, start, end)
            if b.show_as in ("busy", "tentative", "oof")
        ]
        return {
            "busy": [{"start": rfc3339(s, tz), "end": rfc3339(e, tz)} for s, e in merge(blocks)]
        }

    # -- rendering ---------------------------------------------------------------------

    def when(self, event: Event, instant: datetime) -> dict[str, str]:
        if event.all_day:
            return {"date": instant.astimezone(zone(event.time_zone)).date().isoformat()}
        return {"dateTime": rfc3339(instant, event.time_zone), "timeZone": event.time_zone}

    def render(
        self,
        calendar: Calendar,
        event: Event,
        role: str,
        occurrence: tuple[datetime, datetime] | None = None,
    ) -> dict[str, Any]:
        event_id = instance_id(event, occurrence[0]) if occurrence else event.id
        etag = f'"{3_000_000_000_000_000 + event.seq}"'
        if event.deleted:
            return {"kind": "calendar#event", "etag": etag, "id": event_id, "status": "cancelled"}
        start, end = occurrence or (event.start, event.end)
        if event.all_day and not occurrence:
            end = max(end, start + timedelta(days=1))
        transparent = event.show_as in ("free", "workingElsewhere")
        if role == "freeBusyReader":
            minimal = {
                "kind": "calendar#event",
                "etag": etag,
                "id": event_id,
                "status": event.status,
                "start": self.when(event, start),
                "end": self.when(event, end),
            }
            if transparent:
                minimal["transparency"] = "transparent"
            return minimal
        owner = calendar.owner
        organizer = event.organizer or owner
        body: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": etag,
            "id": event_id,
            "status": event.status,
            "htmlLink": "https://www.google.com/calendar/event?eid=" + b64(f"{event_id} {owner}"),
            "created": ms(event.created),
            "updated": ms(event.updated),
            "summary": event.summary,
            "creator": {"email": organizer, **({"self": True} if organizer == owner else {})},
            "organizer": {"email": organizer, **({"self": True} if organizer == owner else {})},
            "start": self.when(event, start),
            "end": self.when(event, end),
            "iCalUID": event.ical_uid,
            "sequence": event.sequence,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        if event.description:
            body["description"] = event.description
        if event.location:
            body["location"] = event.location
        if transparent:
            body["transparency"] = "transparent"
        if event.show_as == "tentative" and event.response_of(owner) is None:
            body["status"] = "tentative"
        if event.show_as == "oof" or event.event_type == "outOfOffice":
            body["eventType"] = "outOfOffice"
            body["outOfOfficeProperties"] = {"autoDeclineMode": "declineNone"}
        elif event.show_as == "workingElsewhere" or event.event_type == "workingLocation":
            body["eventType"] = "workingLocation"
            body["workingLocationProperties"] = {"type": "homeOffice", "homeOffice": {}}
        elif event.event_type != "default":
            body["eventType"] = event.event_type
        if event.attendees:
            body["attendees"] = [self.attendee(a, organizer, owner) for a in event.attendees]
        if occurrence:
            body["recurringEventId"] = event.id
            body["originalStartTime"] = self.when(event, start)
        elif event.recurring_event_id:
            body["recurringEventId"] = event.recurring_event_id
            body["originalStartTime"] = self.when(event, event.original_start or event.start)
        elif event.recurrence:
            body["recurrence"] = list(event.recurrence)
        if event.conference:
            body["conferenceData"] = event.conference
            for entry in event.conference.get("entryPoints", []):
                if entry.get("entryPointType") == "video" and "meet.google.com" in entry.get(
                    "uri", ""
                ):
                    body["hangoutLink"] = entry["uri"]
        body.update(event.extra)
        return body

    @staticmethod
    def attendee(a: Attendee, organizer: str, owner: str) -> dict[str, Any]:
        item: dict[str, Any] = {"email": a.email, "responseStatus": a.response}
        if a.name:
            item["displayName"] = a.name
        if a.email == organizer:
            item["organizer"] = True
        if a.email == owner:
            item["self"] = True
        if a.optional:
            item["optional"] = True
        return item

    # -- events.list -------------------------------------------------------------------

    def list_events(self, ex: Exchange) -> Response:
        _, viewer = self.auth(ex, READ_SCOPES)
        calendar, role = self.calendar_for(ex.params["calendarId"], viewer)
        req = ex.request
        single = req.arg("singleEvents") == "true"
        show_deleted = req.arg("showDeleted") == "true"
        order = req.arg("orderBy")
        if order == "startTime" and not single:
            raise bad_request("The requested ordering is not available for the particular query.")
        try:
            max_results = max(1, min(int(req.arg("maxResults") or 250), 2500))
        except ValueError as exc:
            raise bad_request("Invalid value for: maxResults") from exc
        sync_token = req.arg("syncToken")
        page_token = req.arg("pageToken")
        fingerprint = hashlib.sha1(  # noqa: S324 - a cache key, not a secret
            json.dumps(sorted((k, v) for k, v in req.query.items() if k != "pageToken")).encode()
        ).hexdigest()[:12]
        offset, snapshot_seq = 0, self.store.seq
        if page_token:
            try:
                page = json.loads(unb64(page_token))
                offset, snapshot_seq = int(page["o"]), int(page["s"])
                if page["f"] != fingerprint:
                    raise ValueError
            except (ValueError, KeyError, TypeError) as exc:
                raise bad_request("Invalid page token value.") from exc
        if sync_token:
            for name in ("timeMin", "timeMax", "orderBy", "updatedMin", "q", "iCalUID"):
                if req.arg(name):
                    raise bad_request(f"Sync token cannot be used with {name}.")
            since = self.decode_sync(sync_token, calendar)
            items = self.changed_items(calendar, role, since, single)
        else:
            try:
                tmin = parse_rfc3339(req.arg("timeMin")) if req.arg("timeMin") else None
                tmax = parse_rfc3339(req.arg("timeMax")) if req.arg("timeMax") else None
                updated_min = (
                    parse_rfc3339(req.arg("updatedMin")) if req.arg("updatedMin") else None
                )
            except ValueError as exc:
                raise bad_request("Bad Request", reason="badRequest") from exc
            if tmin and tmax and tmax <= tmin:
                raise HTTPError(
                    google_error(
                        400,
                        "timeRangeEmpty",
                        "The specified time range is empty.",
                        domain="calendar",
                        locationType="parameter",
                        location="timeMax",
                    )
                )
            items = self.window_items(calendar, role, tmin, tmax, single, show_deleted, order)
            text = (req.arg("q") or "").lower()
            if text:
                items = [
                    i
                    for i in items
                    if text in (i.get("summary", "") + " " + i.get("description", "")).lower()
                ]
            if updated_min:
                stamp = updated_min.strftime("%Y-%m-%dT%H:%M:%S")
                items = [i for i in items if i.get("updated", "9999") >= stamp]
        chunk = items[offset : offset + max_results]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"p{snapshot_seq}"',
            "summary": calendar.name,
            "description": "",
            "updated": ms(utcnow()),
            "timeZone": calendar.time_zone,
            "accessRole": role,
            "defaultReminders": [],
            "items": chunk,
        }
        if offset + max_results < len(items):
            body["nextPageToken"] = b64(
                json.dumps({"o": offset + max_results, "s": snapshot_seq, "f": fingerprint})
            )
        else:
            body["nextSyncToken"] = self.encode_sync(calendar, snapshot_seq)
        return Response.json(body)

    def window_items(
        self,
        calendar: Calendar,
        role: str,
        tmin: datetime | None,
        tmax: datetime | None,
        single: bool,
        show_deleted: bool,
        order: str | None,
    ) -> list[dict[str, Any]]:
        lo = tmin or FAR_PAST
        hi = tmax or utcnow() + timedelta(days=730)
        rows: list[tuple[datetime, str, dict[str, Any]]] = []
        if single:
            for event, start, end in self.store.instances(
                calendar, lo, hi, with_cancelled=show_deleted
            ):
                is_occurrence = bool(event.recurrence) and not event.recurring_event_id
                rendered = self.render(
                    calendar, event, role, (start, end) if is_occurrence else None
                )
                rows.append((start, rendered["id"], rendered))
            if show_deleted:
                for event in calendar.events.values():
                    if event.deleted:
                        rows.append((event.start, event.id, self.render(calendar, event, role)))
        else:
            for event in calendar.events.values():
                if event.deleted and not show_deleted:
                    continue
                if (
                    event.status == "cancelled"
                    and not show_deleted
                    and not event.recurring_event_id
                ):
                    continue
                if event.recurrence and not event.recurring_event_id:
                    duration = event.end - event.start
                    window = (tmin or tmax) is not None
                    if window and next(occurrence_starts(event, lo - duration, hi), None) is None:
                        continue
                elif (tmin or tmax) and not (event.start < hi and event.end > lo):
                    continue
                rows.append((event.start, event.id, self.render(calendar, event, role)))
        if order == "updated":
            rows.sort(key=lambda row: (row[2].get("updated", ""), row[1]))
        else:
            rows.sort(key=lambda row: (row[0], row[1]))
        return [row[2] for row in rows]

    def changed_items(
        self, calendar: Calendar, role: str, since: int, single: bool
    ) -> list[dict[str, Any]]:
        items = []
        changed = sorted(
            (e for e in calendar.events.values() if e.seq > since), key=lambda e: e.seq
        )
        for event in changed:
            if single and event.recurrence and not event.recurring_event_id:
                # With singleEvents=true a series is its instances, and so is its deletion:
                # "deleting a recurring series returns its single instances as cancelled" —
                # events.list: singleEvents "Whether to expand recurring events into
                # instances and only return single one-off events and instances of recurring
                # events" https://developers.google.com/workspace/calendar/api/v3/reference/events/list
                # and https://developers.google.com/workspace/calendar/api/guides/recurringevents
                hi = utcnow() + timedelta(days=730)
                exceptions = [
                    e for e in calendar.events.values() if e.recurring_event_id == event.id
                ]
                overridden = {e.original_start for e in exceptions if not e.deleted}
                for occ in occurrence_starts(event, event.start, hi):
                    if event.deleted or occ not in overridden:
                        span = (occ, occ + (event.end - event.start))
                        items.append(self.render(calendar, event, role, span))
                continue
            items.append(self.render(calendar, event, role))
        return items

    def encode_sync(self, calendar: Calendar, seq: int) -> str:
        return "CP" + b64(f"{seq}:{calendar.id}")

    def decode_sync(self, token: str, calendar: Calendar) -> int:
        try:
            seq_text, _, calendar_id = unb64(token[2:]).partition(":")
            seq = int(seq_text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("Invalid sync token value.") from exc
        if not token.startswith("CP") or calendar_id != calendar.id:
            raise bad_request("Invalid sync token value.")
        if seq < calendar.sync_floor:
            raise HTTPError(
                google_error(
                    410,
                    "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.",
                    domain="calendar",
                    locationType="parameter",
                    location="syncToken",
                )
            )
        return seq

    # -- writes ------------------------------------------------------------------------

    def parse_when(self, obj: Any, field: str, fallback_tz: str) -> tuple[datetime, str, bool]:
        """(instant, zone, all_day) from an event's ``start`` or ``end`` object."""
        if not isinstance(obj, dict):
            raise bad_request(f"Missing {field} time.", reason="required")
        tz = obj.get("timeZone") or fallback_tz
        try:
            zone(tz)
        except KeyError as exc:
            raise bad_request("Invalid time zone definition for start time.") from exc
        if obj.get("date"):
            try:
                day = date.fromisoformat(obj["date"])
            except ValueError as exc:
                raise bad_request("Invalid value for date.") from exc
            return local_midnight(day, tz), tz, True
        text = obj.get("dateTime")
        if not text:
            raise bad_request(f"Missing {field} time.", reason="required")
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise bad_request("Invalid value for dateTime.") from exc
        if value.tzinfo is None:
            if not obj.get("timeZone"):
                raise bad_request(
                    f"Missing time zone definition for {field} time.", reason="required"
                )
            value = value.replace(tzinfo=zone(tz))
        return value.astimezone(UTC), tz, False

    def apply_body(
        self, event: Event, body: dict[str, Any], calendar: Calendar, conference_version: int
    ) -> None:
        """Copy a (partial) event resource onto `event`; validates as Google does."""
        times_changed = False
        if "start" in body or "end" in body:
            start, tz, all_day = (
                self.parse_when(body["start"], "start", calendar.time_zone)
                if "start" in body
                else (event.start, event.time_zone, event.all_day)
            )
            end, _, _ = (
                self.parse_when(body["end"], "end", tz)
                if "end" in body
                else (event.end, tz, all_day)
            )
            if end < start:
                raise HTTPError(
                    google_error(
                        400,
                        "timeRangeEmpty",
                        "The specified time range is empty.",
                        domain="calendar",
                    )
                )
            times_changed = (start, end) != (event.start, event.end)
            event.start, event.end, event.time_zone, event.all_day = start, end, tz, all_day
        for name in ("summary", "description", "location"):
            if name in body:
                setattr(event, name, body[name] or "")
        if "transparency" in body:
            event.show_as = "free" if body["transparency"] == "transparent" else "busy"
        if "status" in body and body["status"] in ("confirmed", "tentative", "cancelled"):
            event.status = body["status"]
        if body.get("eventType") == "outOfOffice":
            event.event_type, event.show_as = "outOfOffice", "oof"
        if "attendees" in body:
            event.attendees = [
                Attendee(
                    email=str(a.get("email", "")).lower(),
                    name=a.get("displayName", ""),
                    response=a.get("responseStatus", "needsAction"),
                    optional=bool(a.get("optional")),
                )
                for a in body["attendees"] or []
                if a.get("email")
            ]
        if "recurrence" in body:
            event.recurrence = list(body["recurrence"] or [])
        if conference_version >= 1 and "conferenceData" in body:
            event.conference = self.conference(body["conferenceData"], calendar.owner)
        modeled = {
            "id",
            "start",
            "end",
            "summary",
            "description",
            "location",
            "transparency",
            "status",
            "eventType",
            "attendees",
            "recurrence",
            "conferenceData",
            "kind",
            "etag",
            "htmlLink",
            "created",
            "updated",
            "creator",
            "organizer",
            "iCalUID",
            "sequence",
            "hangoutLink",
            "recurringEventId",
            "originalStartTime",
        }
        for name, value in body.items():
            if name not in modeled:
                event.extra[name] = value
        if times_changed:
            event.sequence += 1

    def conference(self, data: Any, owner: str) -> dict[str, Any] | None:
        """Conference data to store; a ``createRequest`` makes (or finds) a Meet."""
        if not data:
            return None
        create = data.get("createRequest")
        if not create:
            return data
        request_id = create.get("requestId")
        if not request_id:
            raise bad_request("Missing conference request id.", reason="required")
        kind = (create.get("conferenceSolutionKey") or {}).get("type", "hangoutsMeet")
        if kind != "hangoutsMeet":
            raise bad_request("Invalid conference type value.")
        existing = self.store.conferences.get((owner, request_id))
        if existing is not None:
            return copy.deepcopy(existing)
        code = ids.meet_code()
        conference = {
            "createRequest": {
                "requestId": request_id,
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
                "status": {"statusCode": "success"},
            },
            "entryPoints": [
                {
                    "entryPointType": "video",
                    "uri": f"https://meet.google.com/{code}",
                    "label": f"meet.google.com/{code}",
                }
            ],
            "conferenceSolution": {
                "key": {"type": "hangoutsMeet"},
                "name": "Google Meet",
                "iconUri": MEET_ICON,
            },
            "conferenceId": code,
        }
        self.store.conferences[(owner, request_id)] = conference
        return copy.deepcopy(conference)

    def writable(self, ex: Exchange) -> tuple[Calendar, str, dict[str, Any], int, str]:
        _, viewer = self.auth(ex, WRITE_SCOPES)
        calendar, role = self.calendar_for(ex.params["calendarId"], viewer)
        if role not in WRITABLE:
            raise HTTPError(
                google_error(
                    403, "requiredAccessLevel", "You need to have writer access to this calendar."
                )
            )
        body: dict[str, Any] = {}
        if ex.request.method != "DELETE":
            try:
                body = ex.request.json()
            except ValueError as exc:
                raise bad_request("Parse Error", reason="parseError") from exc
            if not isinstance(body, dict):
                raise bad_request("Parse Error", reason="parseError")
        try:
            version = int(ex.request.arg("conferenceDataVersion") or 0)
        except ValueError as exc:
            raise bad_request("Invalid value for: conferenceDataVersion") from exc
        send_updates = ex.request.arg("sendUpdates") or "none"
        if send_updates not in ("all", "externalOnly", "none"):
            raise bad_request("Invalid value for: sendUpdates")
        return calendar, role, body, version, send_updates

    def insert(self, ex: Exchange) -> Response:
        calendar, role, body, version, send_updates = self.writable(ex)
        event_id = body.get("id") or ids.google_event_id()
        if not GOOGLE_EVENT_ID.match(event_id):
            raise bad_request("Invalid resource id value.")
        if event_id in calendar.events:
            raise HTTPError(
                google_error(409, "duplicate", "The requested identifier already exists.")
            )
        if "start" not in body:
            raise bad_request("Missing start time.", reason="required")
        if "end" not in body:
            raise bad_request("Missing end time.", reason="required")
        event = Event(
            id=event_id,
            calendar_id=calendar.id,
            summary="",
            start=utcnow(),
            end=utcnow(),
            time_zone=calendar.time_zone,
            organizer=calendar.owner,
            ical_uid=f"{event_id}@google.com",
            written_by=self.client_of(ex),
            send_updates=send_updates,
        )
        self.apply_body(event, body, calendar, version)
        event.sequence = 0
        calendar.events[event.id] = event
        self.store.touch(event)
        event.writes.append({"op": "insert", "at": ms(event.updated), "sendUpdates": send_updates})
        self.notify(event, calendar, send_updates, "REQUEST")
        self.sync_invitations(calendar, event)
        return Response.json(self.render(calendar, event, role))

    def client_of(self, ex: Exchange) -> str:
        header = ex.request.headers.get("authorization", "")
        access = self.store.access_tokens.get(header[7:].strip())
        return access.grant.client_id if access else "unknown"

    def target(self, calendar: Calendar, event_id: str) -> Event:
        """The event to change; an instance id of a series becomes a new exception."""
        event = calendar.events.get(event_id)
        if event is not None:
            return event
        master_id = event_id.rpartition("_")[0]
        master = calendar.events.get(master_id)
        if master is None or not master.recurrence or master.deleted:
            raise not_found()
        for event_, start, end in self.store.instances(
            calendar, FAR_PAST, utcnow() + timedelta(days=3650)
        ):
            if event_ is master and instance_id(master, start) == event_id:
                exception = copy.deepcopy(master)
                exception.id = event_id
                exception.recurrence = []
                exception.recurring_event_id = master.id
                exception.original_start = start
                exception.start, exception.end = start, end
                exception.written_by = None
                calendar.events[event_id] = exception
                return exception
        raise not_found()

    def patch(self, ex: Exchange, replace: bool = False) -> Response:
        calendar, role, body, version, send_updates = self.writable(ex)
        event = self.target(calendar, ex.params["eventId"])
        if replace:
            if "start" not in body or "end" not in body:
                raise bad_request("Missing end time.", reason="required")
            event.summary = event.description = event.location = ""
            event.attendees = []
            event.extra = {}
            event.show_as = "busy"
        if event.deleted:
            event.deleted = False
            event.status = "confirmed"
        self.apply_body(event, body, calendar, version)
        self.store.touch(event)
        event.writes.append(
            {
                "op": "update" if replace else "patch",
                "at": ms(event.updated),
                "sendUpdates": send_updates,
            }
        )
        self.notify(event, calendar, send_updates, "REQUEST")
        self.sync_invitations(calendar, event)
        return Response.json(self.render(calendar, event, role))

    def update(self, ex: Exchange) -> Response:
        return self.patch(ex, replace=True)

    def delete(self, ex: Exchange) -> Response:
        calendar, _, _, _, send_updates = self.writable(ex)
        event = self.target(calendar, ex.params["eventId"])
        if event.deleted or (event.recurring_event_id and event.status == "cancelled"):
            raise HTTPError(google_error(410, "deleted", "Resource has been deleted"))
        if event.recurring_event_id:
            # Deleting one instance of a series leaves a cancelled exception behind.
            event.status = "cancelled"
        else:
            event.deleted = True
            event.status = "cancelled"
        self.store.touch(event)
        event.writes.append({"op": "delete", "at": ms(event.updated), "sendUpdates": send_updates})
        self.notify(event, calendar, send_updates, "CANCEL")
        self.sync_invitations(calendar, event)
        return Response.empty(204)

    def get(self, ex: Exchange) -> Response:
        _, viewer = self.auth(ex, READ_SCOPES)
        calendar, role = self.calendar_for(ex.params["calendarId"], viewer)
        event_id = ex.params["eventId"]
        event = calendar.events.get(event_id)
        if event is not None:
            return Response.json(self.render(calendar, event, role))
        master_id = event_id.rpartition("_")[0]
        master = calendar.events.get(master_id)
        if master is not None and master.recurrence:
            for event_, start, end in self.store.instances(
                calendar, FAR_PAST, utcnow() + timedelta(days=3650)
            ):
                if event_ is master and instance_id(master, start) == event_id:
                    return Response.json(self.render(calendar, master, role, (start, end)))
        raise not_found()

    # -- invitations -------------------------------------------------------------------

    def notify(self, event: Event, calendar: Calendar, send_updates: str, method: str) -> None:
        owner_org = self.store.org_of(self.store.account(calendar.owner))
        for attendee in event.attendees:
            if attendee.email == calendar.owner:
                continue
            external = (
                self.store.org_for_domain(attendee.email) is not owner_org or owner_org is None
            )
            sent = send_updates == "all" or (send_updates == "externalOnly" and external)
            event.notifications.append(
                {"to": attendee.email, "method": method, "sent": sent, "at": ms(utcnow())}
            )

    def sync_invitations(self, calendar: Calendar, event: Event) -> None:
        """Put (or update, or cancel) the event on emulated Google attendees' calendars.

        Google keeps the same event id on every guest's calendar, so a guest's free/busy
        shows the session as soon as it is written.
        """
        if event.invited_from is not None:
            return
        for attendee in event.attendees:
            account = self.store.account(attendee.email)
            if account is None or account.provider != "google" or account.email == calendar.owner:
                continue
            primary = self.store.primary_calendar(account.email)
            if primary is None:
                continue
            existing = primary.events.get(event.id)
            guest_copy = copy.deepcopy(event)
            guest_copy.calendar_id = primary.id
            guest_copy.invited_from = (calendar.id, event.id)
            guest_copy.written_by = None
            guest_copy.writes = []
            guest_copy.notifications = []
            if existing is not None:
                guest_copy.created = existing.created
            primary.events[event.id] = guest_copy
            self.store.touch(guest_copy)
