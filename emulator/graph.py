"""Microsoft Graph v1.0: users, calendars, getSchedule, events and calendarView/delta.

Every path exists twice, as ``/me/...`` (delegated tokens) and ``/users/{id}/...``
(application tokens, or a delegated token naming its own user). Times are rendered in
UTC unless the request carries ``Prefer: outlook.timezone="..."``, as Graph does.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import re
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from emulator import ids
from emulator.app import Emulator, graph_error
from emulator.recurrence import occurrence_starts
from emulator.store import (
    SHOW_AS,
    AccessToken,
    Account,
    Attendee,
    Calendar,
    Event,
    effective_show_as,
)
from emulator.timefmt import (
    graph_format,
    graph_parse,
    parse_rfc3339,
    utcnow,
    windows_name,
    zone,
)
from emulator.web import Exchange, HTTPError, Request, Response, Router

READ_DELEGATED = {
    "Calendars.Read",
    "Calendars.ReadWrite",
    "Calendars.ReadBasic",
    "Calendars.Read.Shared",
    "Calendars.ReadWrite.Shared",
}
READ_APP = {"Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic.All"}
WRITE_DELEGATED = {"Calendars.ReadWrite", "Calendars.ReadWrite.Shared"}
WRITE_APP = {"Calendars.ReadWrite"}
USER_DELEGATED = {
    "User.Read",
    "User.ReadWrite",
    "User.ReadBasic.All",
    "User.Read.All",
    "Directory.Read.All",
}
USER_APP = {"User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All"}
MAILBOX_SETTINGS = {"MailboxSettings.Read", "MailboxSettings.ReadWrite"}
MAX_SCHEDULES = 20
MAX_SCHEDULE_DAYS = 62
RANK = {"free": "0", "workingElsewhere": "0", "tentative": "1", "busy": "2", "oof": "3"}
RESPONSE_TO_GRAPH = {
    "needsAction": "notResponded",
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentativelyAccepted",
}
GRAPH_TO_RESPONSE = {
    "none": "needsAction",
    "notResponded": "needsAction",
    "accepted": "accepted",
    "declined": "declined",
    "tentativelyAccepted": "tentative",
    "organizer": "accepted",
}
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
RRULE_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)


# The join details Outlook puts at the end of a Teams event's body (see `apply`).
MEETING_BLOB = "_" * 80 + "\nMicrosoft Teams meeting\nJoin on your computer: {join}\n" + "_" * 80


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decode(text: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def prefer(request: Request) -> dict[str, str]:
    """The ``Prefer`` header as a dict: ``odata.maxpagesize``, ``outlook.timezone``."""
    found = {}
    for part in request.headers.get("prefer", "").split(","):
        key, _, value = part.strip().partition("=")
        if key:
            found[key.strip().lower()] = value.strip().strip('"')
    return found


def bad(message: str, code: str = "BadRequest") -> HTTPError:
    return HTTPError(graph_error(400, code, message))


def item_not_found() -> HTTPError:
    return HTTPError(
        graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    )


def rrule_to_pattern(event: Event) -> dict[str, Any] | None:
    """Graph's patternedRecurrence for the simple RRULEs the emulator stores."""
    rule = next((line[6:] for line in event.recurrence if line.startswith("RRULE:")), None)
    if rule is None:
        return None
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    interval = int(parts.get("INTERVAL", "1"))
    local_start = event.start.astimezone(zone(event.time_zone))
    freq = parts.get("FREQ", "WEEKLY")
    pattern: dict[str, Any] = {
        "type": "daily",
        "interval": interval,
        "month": 0,
        "dayOfMonth": 0,
        "firstDayOfWeek": "sunday",
        "index": "first",
    }
    if freq == "WEEKLY":
        days = parts.get("BYDAY", RRULE_DAYS[local_start.weekday()]).split(",")
        pattern.update(
            type="weekly",
            daysOfWeek=[DAYS[RRULE_DAYS.index(d[-2:])] for d in days if d[-2:] in RRULE_DAYS],
        )
    elif freq == "MONTHLY":
        pattern.update(
            type="absoluteMonthly", dayOfMonth=int(parts.get("BYMONTHDAY", local_start.day))
        )
    elif freq == "YEARLY":
        pattern.update(type="absoluteYearly", month=local_start.month, dayOfMonth=local_start.day)
    range_: dict[str, Any] = {
        "type": "noEnd",
        "startDate": local_start.date().isoformat(),
        "endDate": "0001-01-01",
        "recurrenceTimeZone": event.time_zone,
        "numberOfOccurrences": 0,
    }
    if "COUNT" in parts:
        range_.update(type="numbered", numberOfOccurrences=int(parts["COUNT"]))
    elif "UNTIL" in parts:
        until = parts["UNTIL"][:8]
        range_.update(type="endDate", endDate=f"{until[:4]}-{until[4:6]}-{until[6:8]}")
    return {"pattern": pattern, "range": range_}


def pattern_to_rrule(recurrence: dict[str, Any]) -> list[str]:
    pattern = recurrence.get("pattern") or {}
    range_ = recurrence.get("range") or {}
    kind = pattern.get("type")
    parts = [f"INTERVAL={int(pattern.get('interval') or 1)}"]
    if kind == "daily":
        parts.insert(0, "FREQ=DAILY")
    elif kind == "weekly":
        days = [RRULE_DAYS[DAYS.index(d.lower())] for d in pattern.get("daysOfWeek") or []]
        parts.insert(0, "FREQ=WEEKLY")
        if days:
            parts.append("BYDAY=" + ",".join(days))
    elif kind == "absoluteMonthly":
        parts.insert(0, "FREQ=MONTHLY")
        parts.append(f"BYMONTHDAY={int(pattern.get('dayOfMonth') or 1)}")
    elif kind == "absoluteYearly":
        parts.insert(0, "FREQ=YEARLY")
    else:
        raise bad(f"Recurrence pattern type '{kind}' is not supported by the emulator.")
    if range_.get("type") == "numbered":
        parts.append(f"COUNT={int(range_.get('numberOfOccurrences') or 1)}")
    elif range_.get("type") == "endDate" and range_.get("endDate"):
        parts.append("UNTIL=" + range_["endDate"].replace("-", "") + "T235959")
    return ["RRULE:" + ";".join(parts)]


class Graph:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.store = emu.store

    def register(self, router: Router) -> None:
        root = self.emu.graph_root

        def both(method: str, suffix: str, endpoint: str, handler: Any) -> None:
            router.add(method, f"{root}/me{suffix}", endpoint, handler)
            router.add(method, f"{root}/users/{{user}}{suffix}", endpoint, handler)

        both("GET", "", "graph.users.get", self.user)
        router.add("GET", f"{root}/users", "graph.users.list", self.users)
        both("GET", "/calendars", "graph.calendars.list", self.calendars)
        both("GET", "/calendar", "graph.calendars.get", self.calendar_get)
        both("GET", "/calendars/{calendarId}", "graph.calendars.get", self.calendar_get)
        both("POST", "/calendar/getSchedule", "graph.getSchedule", self.get_schedule)
        both("GET", "/mailboxSettings", "graph.mailboxSettings", self.mailbox_settings)
        for container in ("/events", "/calendar/events", "/calendars/{calendarId}/events"):
            both("POST", container, "graph.events.create", self.create)
            both("GET", container + "/{eventId}", "graph.events.get", self.get)
            both("PATCH", container + "/{eventId}", "graph.events.update", self.update)
            both("DELETE", container + "/{eventId}", "graph.events.delete", self.delete)
        for container in ("", "/calendar", "/calendars/{calendarId}"):
            both("GET", container + "/calendarView", "graph.calendarView", self.calendar_view)
        # v1.0 documents calendarView delta on the user only (GET /me/calendarView/delta,
        # GET /users/{id}/calendarView/delta: the default calendar), not on a calendar:
        # https://learn.microsoft.com/en-us/graph/api/event-delta?view=graph-rest-1.0
        # Production has no other path, so the emulator refuses them as Graph refuses an
        # unknown segment, and tests cannot pass on a path that does not exist.
        both("GET", "/calendarView/delta", "graph.calendarView.delta", self.delta)
        for container in ("/calendar", "/calendars/{calendarId}"):
            both("GET", container + "/calendarView/delta", "graph.unsupported", self.no_segment)

    # -- access ------------------------------------------------------------------------

    def auth(
        self, ex: Exchange, delegated: set[str], app: set[str], *, others: bool = False
    ) -> tuple[AccessToken, Account]:
        """The token and the user the path names; raises Graph's 401/403/404.

        A delegated token may only name its own user unless `others` is set (lookups of
        colleagues' profiles).
        """
        header = ex.request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise HTTPError(
                graph_error(
                    401,
                    "InvalidAuthenticationToken",
                    "Access token is empty.",
                    [("www-authenticate", 'Bearer realm=""')],
                )
            )
        token = header[7:].strip()
        access = self.store.valid_access(token, "microsoft")
        if access is None:
            known = self.store.access_tokens.get(token)
            message = (
                "Lifetime validation failed, the token is expired."
                if known is not None and not known.grant.revoked
                else "Access token validation failure. Invalid audience or revoked token."
            )
            raise HTTPError(
                graph_error(
                    401,
                    "InvalidAuthenticationToken",
                    message,
                    [("www-authenticate", 'Bearer realm="", error="invalid_token"')],
                )
            )
        who = ex.params.get("user", "me")
        grant = access.grant
        if who == "me":
            if grant.kind == "app":
                raise bad("/me request is only valid with delegated authentication flow.")
            account = self.store.account(grant.account)
        else:
            account = self.store.ms_user(who)
            if account is not None and grant.kind == "app":
                org = self.store.org_of(account)
                if org is None or org.tenant_id != grant.tenant_id:
                    account = None
            if account is None:
                raise HTTPError(
                    graph_error(404, "ErrorInvalidUser", f"The requested user '{who}' is invalid.")
                )
            if grant.kind != "app" and account.email != grant.account and not others:
                raise HTTPError(
                    graph_error(
                        403,
                        "ErrorAccessDenied",
                        "Access is denied. Check credentials and try again.",
                    )
                )
        assert account is not None
        self.emu.fault_gate(ex, account.email, "microsoft")
        needed = app if grant.kind == "app" else delegated
        if not self.store.effective_scopes(access) & needed:
            raise HTTPError(
                graph_error(
                    403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
                )
            )
        return access, account

    def calendar_of(self, ex: Exchange, account: Account) -> Calendar:
        calendar_id = ex.params.get("calendarId")
        if calendar_id is None:
            calendar = self.store.primary_calendar(account.email)
        else:
            calendar = self.store.calendars.get(calendar_id)
            if calendar is not None and self.store.role(calendar, account.email) in (
                None,
                "freeBusyReader",
            ):
                calendar = None
        if calendar is None or calendar.provider != "microsoft":
            raise item_not_found()
        return calendar

    def base(self, ex: Exchange) -> str:
        return ex.request.base_url + self.emu.graph_root

    # -- users -------------------------------------------------------------------------

    def user_json(self, account: Account) -> dict[str, Any]:
        given, _, family = account.name.partition(" ")
        return {
            "businessPhones": [],
            "displayName": account.name,
            "givenName": given,
            "jobTitle": None,
            "mail": account.email,
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": "en-US",
            "surname": family,
            "userPrincipalName": account.email,
            "id": account.user_id,
        }

    def user(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, USER_DELEGATED, USER_APP, others=True)
        body = {
            "@odata.context": f"{self.base(ex)}/$metadata#users/$entity",
            **self.user_json(account),
        }
        return Response.json(body)

    def users(self, ex: Exchange) -> Response:
        """The tenant's users (used to see how many members resolve)."""
        header = ex.request.headers.get("authorization", "")
        access = self.store.valid_access(header[7:].strip(), "microsoft")
        if access is None:
            raise HTTPError(
                graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
            )
        self.emu.fault_gate(ex, access.grant.account, "microsoft")
        if not self.store.effective_scopes(access) & (USER_APP | {"User.ReadBasic.All"}):
            raise HTTPError(
                graph_error(
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )
            )
        tenant_id = access.grant.tenant_id
        members = sorted(
            (
                a
                for a in self.store.accounts.values()
                if a.provider == "microsoft"
                and (org := self.store.org_of(a))
                and org.tenant_id == tenant_id
            ),
            key=lambda a: a.email,
        )
        return self.paged(ex, [self.user_json(a) for a in members], "#users", default_top=100)

    def paged(
        self, ex: Exchange, items: list[dict[str, Any]], context: str, default_top: int
    ) -> Response:
        req = ex.request
        try:
            top = max(1, min(int(req.arg("$top") or default_top), 1000))
            skip = int(req.arg("$skip") or 0)
        except ValueError as exc:
            raise bad("Invalid $top or $skip.") from exc
        body: dict[str, Any] = {
            "@odata.context": f"{self.base(ex)}/$metadata{context}",
            "value": items[skip : skip + top],
        }
        if skip + top < len(items):
            query = {k: v[0] for k, v in req.query.items()} | {"$skip": str(skip + top)}
            body["@odata.nextLink"] = f"{req.base_url}{req.path}?{urlencode(query)}"
        return Response.json(body)

    # -- calendars ---------------------------------------------------------------------

    def calendar_json(self, calendar: Calendar, viewer: Account) -> dict[str, Any]:
        role = self.store.role(calendar, viewer.email)
        owner = self.store.account(calendar.owner)
        return {
            "id": calendar.id,
            "name": calendar.name,
            "color": "auto",
            "hexColor": "",
            "isDefaultCalendar": calendar.primary and calendar.owner == viewer.email,
            "changeKey": base64.b64encode(calendar.id[-12:].encode()).decode(),
            "canShare": role == "owner",
            "canViewPrivateItems": role == "owner",
            "canEdit": role in ("owner", "writer"),
            "isRemovable": not calendar.primary,
            "isTallyingResponses": True,
            "allowedOnlineMeetingProviders": ["teamsForBusiness"],
            "defaultOnlineMeetingProvider": "teamsForBusiness",
            "owner": {"name": owner.name if owner else calendar.owner, "address": calendar.owner},
        }

    def calendars(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, READ_DELEGATED, READ_APP)
        items = [
            self.calendar_json(c, account)
            for c in self.store.calendars_of(account.email)
            if c.provider == "microsoft" and self.store.role(c, account.email) != "freeBusyReader"
        ]
        return Response.json(
            {
                "@odata.context": f"{self.base(ex)}/$metadata#users('{quote(account.email)}')/calendars",
                "value": items,
            }
        )

    def calendar_get(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, READ_DELEGATED, READ_APP)
        calendar = self.calendar_of(ex, account)
        return Response.json(self.calendar_json(calendar, account))

    # -- getSchedule -------------------------------------------------------------------

    def get_schedule(self, ex: Exchange) -> Response:
        _, requester = self.auth(ex, READ_DELEGATED, READ_APP)
        try:
            body = ex.request.json()
        except ValueError as exc:
            raise bad("Unable to read JSON request payload.") from exc
        schedules = body.get("schedules") or body.get("Schedules")
        if not schedules or not isinstance(schedules, list):
            raise bad("Schedules must be provided.", "ErrorInvalidParameter")
        if len(schedules) > MAX_SCHEDULES:
            raise bad(
                "There are too many target users in the EmailAddress array. The allowed "
                f"size = {MAX_SCHEDULES}; the actual size = {len(schedules)}.",
                "ErrorMailboxDataArrayTooBig",
            )
        try:
            start = graph_parse(body.get("startTime") or body.get("StartTime"))
            end = graph_parse(body.get("endTime") or body.get("EndTime"))
        except (ValueError, KeyError) as exc:
            raise bad(
                "startTime and endTime must be valid dateTimeTimeZone values.",
                "ErrorInvalidParameter",
            ) from exc
        if end <= start:
            raise bad("The end time must be after the start time.", "ErrorInvalidTimeInterval")
        if end - start >= timedelta(days=MAX_SCHEDULE_DAYS):
            raise bad(
                f"The requested time duration must be less than {MAX_SCHEDULE_DAYS} days.",
                "ErrorTimeIntervalTooBig",
            )
        try:
            interval = int(body.get("availabilityViewInterval") or 30)
        except (TypeError, ValueError) as exc:
            raise bad(
                "availabilityViewInterval must be a number.", "ErrorInvalidParameter"
            ) from exc
        if not 5 <= interval <= 1440:
            raise bad(
                "availabilityViewInterval must be between 5 and 1440 minutes.",
                "ErrorInvalidParameter",
            )
        tz = (
            prefer(ex.request).get("outlook.timezone")
            or (body.get("startTime") or {}).get("timeZone")
            or "UTC"
        )
        try:
            zone(tz)
        except KeyError as exc:
            raise bad(
                f"A valid TimeZone value must be specified: {tz}.", "TimeZoneNotSupportedException"
            ) from exc
        value = [self.schedule(str(s), requester, start, end, interval, tz) for s in schedules]
        return Response.json(
            {
                "@odata.context": f"{self.base(ex)}/$metadata#Collection(microsoft.graph.scheduleInformation)",
                "value": value,
            }
        )

    def schedule(
        self,
        schedule_id: str,
        requester: Account,
        start: datetime,
        end: datetime,
        interval: int,
        tz: str,
    ) -> dict[str, Any]:
        account = self.store.ms_user(schedule_id)
        if account is None:
            return {
                "scheduleId": schedule_id,
                "availabilityView": "",
                "scheduleItems": [],
                "error": {
                    "message": "The specified email address could not be resolved.",
                    "responseCode": "ErrorMailRecipientNotFound",
                },
            }
        # Free/busy is shared inside a tenant; a personal account only sees itself.
        org = self.store.org_of(account)
        if account.email != requester.email and (
            org is None or org is not self.store.org_of(requester)
        ):
            return {
                "scheduleId": schedule_id,
                "availabilityView": "",
                "scheduleItems": [],
                "error": {
                    "message": "Free/busy information isn't available for this user.",
                    "responseCode": "ErrorNoFreeBusyAccess",
                },
            }
        calendar = self.store.primary_calendar(account.email)
        blocks = list(self.store.busy_blocks(calendar, start, end)) if calendar else []
        blocks.sort(key=lambda b: b.start)
        step = timedelta(minutes=interval)
        slots = math.ceil((end - start) / step)
        view = ["0"] * slots
        for block in blocks:
            # Every slot the block overlaps takes the block's rank if it is stronger.
            first = max(0, int((block.start - start) // step))
            last = min(slots, math.ceil((block.end - start) / step))
            rank = RANK[block.show_as]
            for n in range(first, last):
                if rank > view[n]:
                    view[n] = rank
        items = []
        for block in blocks:
            event = block.event
            items.append(
                {
                    "isPrivate": False,
                    "status": block.show_as,
                    "subject": event.summary,
                    "location": event.location,
                    "isMeeting": bool(event.attendees),
                    "isRecurring": bool(event.recurrence or event.recurring_event_id),
                    "isException": bool(event.recurring_event_id),
                    "isReminderSet": True,
                    "start": graph_format(block.start, tz),
                    "end": graph_format(block.end, tz),
                }
            )
        return {
            "scheduleId": schedule_id,
            "availabilityView": "".join(view),
            "scheduleItems": items,
            "workingHours": self.working_hours(account),
        }

    @staticmethod
    def working_hours(account: Account) -> dict[str, Any]:
        """A workingHours resource: one start and end for a set of days, with the zone they
        apply in, which Exchange names the Windows way by default
        (https://learn.microsoft.com/en-us/graph/api/resources/workinghours,
        https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings)."""
        day_start, day_end = account.working_hours
        return {
            "daysOfWeek": list(account.working_days),
            "startTime": f"{day_start}:00.0000000",
            "endTime": f"{day_end}:00.0000000",
            "timeZone": {"name": account.working_time_zone or windows_name(account.time_zone)},
        }

    # -- mailboxSettings ---------------------------------------------------------------

    def mailbox_settings(self, ex: Exchange) -> Response:
        """GET /me/mailboxSettings and /users/{id}/mailboxSettings: the mailbox's time zone
        (Windows name by default) and working hours; needs MailboxSettings.Read
        (https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings)."""
        _, account = self.auth(ex, MAILBOX_SETTINGS, MAILBOX_SETTINGS)
        return Response.json(
            {
                "@odata.context": f"{self.base(ex)}/$metadata#users('{account.user_id}')/mailboxSettings",
                "timeZone": windows_name(account.time_zone),
                "workingHours": self.working_hours(account),
            }
        )

    # -- events ------------------------------------------------------------------------

    def render(
        self,
        ex: Exchange,
        calendar: Calendar,
        event: Event,
        tz: str,
        occurrence: tuple[datetime, datetime] | None = None,
    ) -> dict[str, Any]:
        event_id = self.occurrence_id(event, occurrence[0]) if occurrence else event.id
        if event.deleted or (
            occurrence is None and event.status == "cancelled" and event.recurring_event_id
        ):
            return {
                "@odata.type": "#microsoft.graph.event",
                "id": event_id,
                "@removed": {"reason": "deleted"},
            }
        start, end = occurrence or (event.start, event.end)
        owner = calendar.owner
        organizer = event.organizer or owner
        organizer_account = self.store.account(organizer)
        own = event.response_of(owner)
        if organizer == owner:
            response = {"response": "organizer", "time": "0001-01-01T00:00:00Z"}
        else:
            response = {
                "response": RESPONSE_TO_GRAPH.get(own or "needsAction", "notResponded"),
                "time": "0001-01-01T00:00:00Z",
            }
        show_as = effective_show_as(event, owner)
        if own == "declined":
            show_as = "free"
        if occurrence:
            kind = "occurrence"
        elif event.recurring_event_id:
            kind = "exception"
        elif event.recurrence:
            kind = "seriesMaster"
        else:
            kind = "singleInstance"
        out_tz = event.time_zone if event.all_day else tz
        change_key = base64.b64encode(f"{event.seq:012d}".encode()).decode()
        body_content = event.extra.get("body") or {
            "contentType": "html",
            "content": event.description,
        }
        body: dict[str, Any] = {
            "@odata.etag": f'W/"{change_key}"',
            "id": event_id,
            "createdDateTime": stamp(event.created),
            "lastModifiedDateTime": stamp(event.updated),
            "changeKey": change_key,
            "categories": event.extra.get("categories", []),
            "transactionId": event.transaction_id,
            "originalStartTimeZone": event.time_zone,
            "originalEndTimeZone": event.time_zone,
            "iCalUId": event.ical_uid,
            "reminderMinutesBeforeStart": 15,
            "isReminderOn": True,
            "hasAttachments": False,
            "subject": event.summary,
            "bodyPreview": re.sub(r"<[^>]+>", "", str(body_content.get("content", "")))[:255],
            "importance": event.extra.get("importance", "normal"),
            "sensitivity": event.extra.get("sensitivity", "normal"),
            "isAllDay": event.all_day,
            "isCancelled": event.status == "cancelled",
            "isOrganizer": organizer == owner,
            "responseRequested": True,
            "seriesMasterId": event.id if occurrence else event.recurring_event_id,
            "showAs": show_as,
            "type": kind,
            "webLink": f"https://outlook.office365.com/owa/?itemid={quote(event_id)}&exvsurl=1&path=/calendar/item",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": event.conference is not None,
            "onlineMeetingProvider": "teamsForBusiness" if event.conference else "unknown",
            "allowNewTimeProposals": True,
            "isDraft": False,
            "hideAttendees": False,
            "responseStatus": response,
            "body": body_content,
            "start": graph_format(start, out_tz),
            "end": graph_format(end, out_tz),
            "location": {
                "displayName": event.location,
                "locationType": "default",
                "uniqueIdType": "unknown",
            }
            if event.location
            else {"displayName": ""},
            "locations": [],
            "recurrence": rrule_to_pattern(event) if kind == "seriesMaster" else None,
            "attendees": [
                {
                    "type": "optional" if a.optional else "required",
                    "status": {
                        "response": "none"
                        if a.response == "needsAction"
                        else RESPONSE_TO_GRAPH.get(a.response, "none"),
                        "time": "0001-01-01T00:00:00Z",
                    },
                    "emailAddress": {"name": a.name or a.email, "address": a.email},
                }
                for a in event.attendees
            ],
            "organizer": {
                "emailAddress": {
                    "name": organizer_account.name if organizer_account else organizer,
                    "address": organizer,
                }
            },
            "onlineMeeting": dict(event.conference) if event.conference else None,
        }
        for name in ("singleValueExtendedProperties",):
            if name in event.extra:
                body[name] = event.extra[name]
        return body

    @staticmethod
    def occurrence_id(master: Event, start: datetime) -> str:
        return f"{master.id}_{start.astimezone(UTC):%Y%m%dT%H%M%S}"

    def out_tz(self, ex: Exchange, default: str = "UTC") -> str:
        tz = prefer(ex.request).get("outlook.timezone") or default
        try:
            zone(tz)
        except KeyError:
            return "UTC"
        return tz

    def find(self, ex: Exchange, account: Account) -> tuple[Calendar, Event]:
        """The event a path names; ``/events/{id}`` searches every calendar of the user."""
        calendar = self.calendar_of(ex, account)
        event_id = ex.params["eventId"]
        event = calendar.events.get(event_id)
        if event is None and "calendarId" not in ex.params:
            for other in self.store.calendars_of(account.email):
                if other.provider == "microsoft" and event_id in other.events:
                    calendar, event = other, other.events[event_id]
                    break
        if event is None or event.deleted:
            raise item_not_found()
        return calendar, event

    def apply(self, event: Event, body: dict[str, Any], calendar: Calendar) -> None:
        """Copy a (partial) Graph event onto `event`, validating as Graph does."""
        if "start" in body or "end" in body:
            try:
                start = graph_parse(body["start"]) if "start" in body else event.start
                end = graph_parse(body["end"]) if "end" in body else event.end
            except (ValueError, KeyError, TypeError) as exc:
                raise bad(
                    "The start or end time is not a valid dateTimeTimeZone.", "ErrorInvalidRequest"
                ) from exc
            if "start" in body:
                tz = (body["start"] or {}).get("timeZone") or "UTC"
                try:
                    zone(tz)
                except KeyError as exc:
                    raise bad(
                        f"A valid TimeZone value must be specified: {tz}.",
                        "TimeZoneNotSupportedException",
                    ) from exc
                event.time_zone = tz
            if end < start:
                raise bad("The end time must be after the start time.", "ErrorInvalidRequest")
            if (start, end) != (event.start, event.end):
                event.sequence += 1
            event.start, event.end = start, end
        if "isAllDay" in body:
            event.all_day = bool(body["isAllDay"])
            local = event.start.astimezone(zone(event.time_zone))
            if event.all_day and (local.hour, local.minute) != (0, 0):
                raise bad("All-day events must start and end at midnight.", "ErrorInvalidRequest")
        if "subject" in body:
            event.summary = body["subject"] or ""
        blob_dropped = False
        if "body" in body and isinstance(body["body"], dict):
            event.extra["body"] = body["body"]
            event.description = str(body["body"].get("content", ""))
            blob = event.extra.get("meeting_blob")
            if event.conference is not None and blob and blob not in event.description:
                # "Before updating the body of an event that has been set up as an online
                # meeting, be sure to first get the body property, apply the appropriate
                # changes to the content, and preserve the meeting blob for online meeting.
                # Inadvertently removing the meeting blob from the body would disable meeting
                # online." https://learn.microsoft.com/en-us/graph/api/event-update
                # (Notes: body property and online meetings). A body without the blob turns
                # the Teams meeting off, even with isOnlineMeeting true in the same PATCH.
                event.conference = None
                event.extra.pop("meeting_blob", None)
                blob_dropped = True
        if "location" in body:
            event.location = (body["location"] or {}).get("displayName", "")
        if "showAs" in body:
            if body["showAs"] not in SHOW_AS:
                raise bad(f"Invalid showAs value '{body['showAs']}'.", "ErrorInvalidRequest")
            event.show_as = body["showAs"]
        if "attendees" in body:
            event.attendees = []
            for item in body["attendees"] or []:
                address = ((item.get("emailAddress") or {}).get("address") or "").lower()
                if not address:
                    raise bad("Attendee email address is required.", "ErrorInvalidRequest")
                status = (item.get("status") or {}).get("response", "none")
                event.attendees.append(
                    Attendee(
                        email=address,
                        name=(item.get("emailAddress") or {}).get("name", ""),
                        response=GRAPH_TO_RESPONSE.get(status, "needsAction"),
                        optional=item.get("type") == "optional",
                    )
                )
        if "recurrence" in body:
            event.recurrence = pattern_to_rrule(body["recurrence"]) if body["recurrence"] else []
        for name in ("categories", "importance", "sensitivity", "singleValueExtendedProperties"):
            if name in body:
                event.extra[name] = body[name]
        wants_meeting = body.get("isOnlineMeeting")
        if wants_meeting and event.conference is None:
            provider = body.get("onlineMeetingProvider", "teamsForBusiness")
            if provider not in ("teamsForBusiness", "skypeForBusiness", "skypeForConsumer"):
                raise bad(f"Invalid onlineMeetingProvider '{provider}'.", "ErrorInvalidRequest")
            if blob_dropped:
                return
            event.conference = self.teams_meeting(calendar)
            # Outlook writes the join details into the body as the "meeting blob".
            blob = MEETING_BLOB.format(join=event.conference["joinUrl"])
            event.extra["meeting_blob"] = blob
            content = event.description + ("\n\n" if event.description else "") + blob
            event.extra["body"] = {
                **(event.extra.get("body") or {"contentType": "text"}),
                "content": content,
            }
            event.description = content
        elif wants_meeting is False:
            event.conference = None
            event.extra.pop("meeting_blob", None)

    def teams_meeting(self, calendar: Calendar) -> dict[str, Any]:
        owner = self.store.account(calendar.owner)
        org = self.store.org_of(owner)
        thread = base64.urlsafe_b64encode(ids.token("").encode()[:36]).decode().rstrip("=")
        context = quote(
            json.dumps(
                {"Tid": org.tenant_id if org else "", "Oid": owner.user_id if owner else ""},
                separators=(",", ":"),
            ),
            safe="",
        )
        return {
            "joinUrl": f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}"
            f"%40thread.v2/0?context={context}",
            "conferenceId": str(zlib.crc32(thread.encode())),
            "tollNumber": None,
        }

    def create(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, WRITE_DELEGATED, WRITE_APP)
        calendar = self.calendar_of(ex, account)
        if self.store.role(calendar, account.email) not in ("owner", "writer"):
            raise HTTPError(
                graph_error(
                    403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
                )
            )
        try:
            body = ex.request.json()
        except ValueError as exc:
            raise bad("Unable to read JSON request payload.") from exc
        if not isinstance(body, dict):
            raise bad("Unable to read JSON request payload.")
        transaction_id = body.get("transactionId")
        if transaction_id:
            for existing in calendar.events.values():
                if existing.transaction_id == transaction_id and not existing.deleted:
                    # Graph's promise for transactionId: a retried POST creates nothing new.
                    return Response.json(
                        self.render(ex, calendar, existing, self.out_tz(ex, existing.time_zone)),
                        201,
                    )
        if "start" not in body or "end" not in body:
            raise bad(
                "Your request can't be completed. The start and end dates are required.",
                "ErrorInvalidRequest",
            )
        event = Event(
            id=ids.graph_id(),
            calendar_id=calendar.id,
            summary="",
            start=utcnow(),
            end=utcnow(),
            time_zone="UTC",
            organizer=calendar.owner,
            ical_uid="040000008200E00074C5B7101A82E008" + ids.guid().replace("-", "").upper(),
            written_by=self.client_of(ex),
            transaction_id=transaction_id,
        )
        self.apply(event, body, calendar)
        event.sequence = 0
        calendar.events[event.id] = event
        self.store.touch(event)
        event.writes.append({"op": "create", "at": stamp(event.updated)})
        self.notify(event, calendar, "REQUEST")
        self.sync_invitations(calendar, event)
        return Response.json(
            self.render(ex, calendar, event, self.out_tz(ex, event.time_zone)), 201
        )

    def client_of(self, ex: Exchange) -> str:
        header = ex.request.headers.get("authorization", "")
        access = self.store.access_tokens.get(header[7:].strip())
        return access.grant.client_id if access else "unknown"

    def get(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, READ_DELEGATED, READ_APP)
        calendar, event = self.find(ex, account)
        return Response.json(self.render(ex, calendar, event, self.out_tz(ex)))

    def update(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, WRITE_DELEGATED, WRITE_APP)
        calendar, event = self.find(ex, account)
        if self.store.role(calendar, account.email) not in ("owner", "writer"):
            raise HTTPError(
                graph_error(
                    403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
                )
            )
        try:
            body = ex.request.json()
        except ValueError as exc:
            raise bad("Unable to read JSON request payload.") from exc
        self.apply(event, body, calendar)
        self.store.touch(event)
        event.writes.append({"op": "update", "at": stamp(event.updated)})
        self.notify(event, calendar, "REQUEST")
        self.sync_invitations(calendar, event)
        return Response.json(self.render(ex, calendar, event, self.out_tz(ex, event.time_zone)))

    def delete(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, WRITE_DELEGATED, WRITE_APP)
        calendar, event = self.find(ex, account)
        if self.store.role(calendar, account.email) not in ("owner", "writer"):
            raise HTTPError(
                graph_error(
                    403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
                )
            )
        event.deleted = True
        event.status = "cancelled"
        self.store.touch(event)
        event.writes.append({"op": "delete", "at": stamp(event.updated)})
        self.notify(event, calendar, "CANCEL")
        self.sync_invitations(calendar, event)
        return Response.empty(204)

    def notify(self, event: Event, calendar: Calendar, method: str) -> None:
        # Exchange always mails attendees when the organizer creates, changes or cancels.
        if (event.organizer or calendar.owner) != calendar.owner:
            return
        for attendee in event.attendees:
            if attendee.email != calendar.owner:
                event.notifications.append(
                    {"to": attendee.email, "method": method, "sent": True, "at": stamp(utcnow())}
                )

    def sync_invitations(self, calendar: Calendar, event: Event) -> None:
        """Exchange drops an invitation on each emulated Microsoft attendee's calendar,
        tentatively, so their getSchedule shows the meeting at once."""
        if event.invited_from is not None:
            return
        for attendee in event.attendees:
            account = self.store.account(attendee.email)
            if (
                account is None
                or account.provider != "microsoft"
                or account.email == calendar.owner
            ):
                continue
            primary = self.store.primary_calendar(account.email)
            if primary is None:
                continue
            existing = next(
                (e for e in primary.events.values() if e.invited_from == (calendar.id, event.id)),
                None,
            )
            guest_copy = copy.deepcopy(event)
            guest_copy.id = existing.id if existing else ids.graph_id()
            guest_copy.calendar_id = primary.id
            guest_copy.invited_from = (calendar.id, event.id)
            guest_copy.written_by = None
            guest_copy.writes, guest_copy.notifications = [], []
            guest_copy.transaction_id = None
            if existing is None:
                for a in guest_copy.attendees:
                    if a.email == account.email and a.response == "needsAction":
                        a.response = "tentative"
            else:
                guest_copy.created = existing.created
                guest_copy.attendees = (
                    existing.attendees if not event.deleted else guest_copy.attendees
                )
            if event.deleted:
                guest_copy.deleted = False
                guest_copy.status = "cancelled"
            primary.events[guest_copy.id] = guest_copy
            self.store.touch(guest_copy)

    # -- calendarView and delta --------------------------------------------------------

    def window(self, req: Request) -> tuple[datetime, datetime]:
        lo, hi = (
            req.arg("startDateTime") or req.arg("StartDateTime"),
            req.arg("endDateTime") or req.arg("EndDateTime"),
        )
        if not lo or not hi:
            raise bad(
                "This request requires a time window specified by the query string "
                "parameters StartDateTime and EndDateTime.",
                "ErrorInvalidParameter",
            )
        try:
            return self.parse_instant(lo), self.parse_instant(hi)
        except ValueError as exc:
            raise bad(
                "The value of StartDateTime or EndDateTime is not valid.", "ErrorInvalidParameter"
            ) from exc

    @staticmethod
    def parse_instant(text: str) -> datetime:
        try:
            return parse_rfc3339(text)
        except ValueError:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)

    def snapshot(
        self, ex: Exchange, calendar: Calendar, lo: datetime, hi: datetime, tz: str
    ) -> list[dict[str, Any]]:
        rows = []
        for event, start, end in self.store.instances(calendar, lo, hi):
            is_occurrence = bool(event.recurrence) and not event.recurring_event_id
            rows.append(
                (
                    start,
                    self.render(ex, calendar, event, tz, (start, end) if is_occurrence else None),
                )
            )
        rows.sort(key=lambda row: (row[0], row[1]["id"]))
        return [row[1] for row in rows]

    def calendar_view(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, READ_DELEGATED, READ_APP)
        calendar = self.calendar_of(ex, account)
        lo, hi = self.window(ex.request)
        items = self.snapshot(ex, calendar, lo, hi, self.out_tz(ex))
        return self.paged(ex, items, "#Collection(event)", default_top=10)

    def no_segment(self, ex: Exchange) -> Response:
        raise bad("Resource not found for the segment 'delta'.")

    def delta(self, ex: Exchange) -> Response:
        _, account = self.auth(ex, READ_DELEGATED, READ_APP)
        calendar = self.calendar_of(ex, account)
        req = ex.request
        tz = self.out_tz(ex)
        try:
            page_size = max(1, min(int(prefer(req).get("odata.maxpagesize") or 50), 1000))
        except ValueError:
            page_size = 50
        skip_token, delta_token = req.arg("$skiptoken"), req.arg("$deltatoken")
        try:
            if skip_token:
                state = decode(skip_token)
            elif delta_token:
                state = decode(delta_token) | {"b": decode(delta_token)["s"], "o": 0}
                state["s"] = self.store.seq
            else:
                lo, hi = self.window(req)
                state = {
                    "w": [lo.isoformat(), hi.isoformat()],
                    "o": 0,
                    "s": self.store.seq,
                    "b": None,
                }
            if state.get("c", calendar.id) != calendar.id:
                raise ValueError("token of another calendar")
            lo, hi = (datetime.fromisoformat(x) for x in state["w"])
        except (ValueError, KeyError, TypeError) as exc:
            raise bad("The delta or skip token is not valid.", "ErrorInvalidParameter") from exc
        base_seq = state.get("b")
        if base_seq is not None and base_seq < calendar.sync_floor:
            raise HTTPError(
                graph_error(
                    410,
                    "SyncStateNotFound",
                    f"The sync state generation is not found; generation={base_seq};"
                    f"[highest={self.store.seq}].",
                )
            )
        if base_seq is None:
            items = self.snapshot(ex, calendar, lo, hi, tz)
        else:
            items = self.changes(ex, calendar, lo, hi, tz, base_seq, state["s"])
        offset = state["o"]
        chunk = items[offset : offset + page_size]
        path = req.path
        body: dict[str, Any] = {
            "@odata.context": f"{self.base(ex)}/$metadata#Collection(event)",
            "value": chunk,
        }
        common = {"c": calendar.id, "w": state["w"], "s": state["s"]}
        if offset + page_size < len(items):
            token = encode(common | {"o": offset + page_size, "b": base_seq})
            body["@odata.nextLink"] = f"{req.base_url}{path}?$skiptoken={token}"
        else:
            body["@odata.deltaLink"] = f"{req.base_url}{path}?$deltatoken={encode(common)}"
        return Response.json(body)

    def changes(
        self,
        ex: Exchange,
        calendar: Calendar,
        lo: datetime,
        hi: datetime,
        tz: str,
        since: int,
        until: int,
    ) -> list[dict[str, Any]]:
        items = []
        for event in sorted(calendar.events.values(), key=lambda e: e.seq):
            if not since < event.seq <= until:
                continue
            if event.recurrence and not event.recurring_event_id:
                duration = event.end - event.start
                for occ in occurrence_starts(event, lo - duration, hi):
                    items.append(self.render(ex, calendar, event, tz, (occ, occ + duration)))
                continue
            if (
                event.deleted
                or event.status == "cancelled"
                or (event.start < hi and event.end > lo)
            ):
                items.append(self.render(ex, calendar, event, tz))
        return items
