"""Microsoft 365 / Outlook: tokens from MSAL, calendars from Microsoft Graph over HTTP.

Delegated (a person's grant, refresh tokens rotated and saved on every refresh) and
application (admin consent + client credentials, reading any member of the tenant) access
share one Graph client; errors are mapped here and nowhere deeper.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import msal
import requests
from django.conf import settings

from calendars import busy
from calendars.errors import (
    ApplicationCredentialsError,
    NeedsReconnectError,
    PermanentProviderError,
    SyncTokenExpiredError,
    TemporaryProviderError,
)
from calendars.providers.base import (
    BusyInterval,
    CalendarInfo,
    EventChange,
    EventSpec,
    SyncResult,
    WrittenEvent,
)
from calendars.providers.http import ProviderSession
from calendars.retry import call_with_retries

log = logging.getLogger(__name__)

DELEGATED_SCOPES = ["Calendars.ReadWrite", "User.Read"]
APP_SCOPES = ["https://graph.microsoft.com/.default"]
# getSchedule takes at most 20 schedules per request and a window shorter than 62 days.
SCHEDULE_BATCH = 20
SCHEDULE_WINDOW = dt.timedelta(days=61)
GRAPH_CONCURRENCY = 4
SHOW_AS_KIND = {"busy": "busy", "tentative": "tentative", "oof": "oof"}
NEEDS_RECONNECT_CODES = {
    "invalid_grant",
    "interaction_required",
    "consent_required",
    "unauthorized_client",
}


def msal_app(tenant: str = "common") -> msal.ConfidentialClientApplication:
    return _msal_app(
        tenant,
        settings.MICROSOFT_CLIENT_ID,
        settings.MICROSOFT_CLIENT_SECRET,
        settings.MICROSOFT_AUTHORITY_HOST,
        settings.CALENDAR_CA_BUNDLE,
    )


@cache
def _msal_app(tenant, client_id, secret, host, ca_bundle) -> msal.ConfidentialClientApplication:
    # One app per tenant per process so MSAL's own cache serves client-credentials tokens.
    session = ProviderSession()
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=f"{host}/{tenant}",
        http_client=session,
        instance_discovery=False,
        timeout=settings.CALENDAR_HTTP_TIMEOUT,
    )


def token_error(result: dict) -> Exception:
    code = result.get("error", "")
    # invalid_client (AADSTS7000215 "Invalid client secret provided", 7000222 expired) is
    # the application's secret, not the person's grant:
    # https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
    if code == "invalid_client":
        codes = ",".join(str(c) for c in result.get("error_codes", [])) or code
        return ApplicationCredentialsError(f"Microsoft refused the app's credentials ({codes})")
    if code in NEEDS_RECONNECT_CODES:
        return NeedsReconnectError(f"Microsoft refused the grant ({code})")
    if code in {"temporarily_unavailable", "server_error"} or not code:
        return TemporaryProviderError(f"Microsoft token endpoint: {code or 'no answer'}")
    return PermanentProviderError(f"Microsoft token error ({code})")


def map_response(resp: requests.Response) -> Exception:
    try:
        code = resp.json().get("error", {}).get("code", "")
    except ValueError:
        code = ""
    retry_after = resp.headers.get("Retry-After")
    try:
        retry = float(retry_after) if retry_after else None
    except ValueError:
        retry = None
    if resp.status_code == 410 or code in {
        "SyncStateNotFound",
        "resyncRequired",
        "SyncStateInvalid",
    }:
        return SyncTokenExpiredError("Graph delta token expired")
    if resp.status_code == 429 or resp.status_code >= 500:
        return TemporaryProviderError(f"Graph {resp.status_code} {code}".strip(), retry_after=retry)
    if resp.status_code == 401:
        return NeedsReconnectError(f"Graph refused the token ({code or 401})")
    if resp.status_code == 403 and code in {
        "ErrorAccessDenied",
        "Authorization_RequestDenied",
        "AccessDenied",
    }:
        return NeedsReconnectError(f"Graph permissions missing ({code})")
    return PermanentProviderError(f"Graph {resp.status_code} {code}".strip())


class MicrosoftProvider:
    """Graph for one mailbox: `user` is "me" (delegated) or a member's address (application)."""

    def __init__(
        self,
        *,
        token_getter: Callable[[], str],
        user: str = "me",
        time_zone: str = "UTC",
    ) -> None:
        self._token_getter = token_getter
        self.base = settings.MICROSOFT_GRAPH_URL
        self.root = "/me" if user == "me" else f"/users/{user}"
        self.time_zone = time_zone
        self.last_errors: dict[str, str] = {}
        self._session = ProviderSession()
        self._token: str | None = None

    def _request(self, method: str, url: str, *, retries: int | None = None, **kwargs) -> dict:
        if not url.startswith("http"):
            url = self.base + url
        retried_auth = False

        def once():
            nonlocal retried_auth
            if self._token is None:
                self._token = self._token_getter()
            headers = {
                "Authorization": f"Bearer {self._token}",
                "Prefer": 'outlook.timezone="UTC"',
                **kwargs.pop("headers", {}),
            }
            try:
                resp = self._session.request(
                    method, url, headers=headers, timeout=settings.CALENDAR_HTTP_TIMEOUT, **kwargs
                )
            except requests.RequestException as exc:
                raise TemporaryProviderError(f"Graph unreachable: {type(exc).__name__}") from None
            if resp.status_code == 401 and not retried_auth:
                # The cached token may have expired early: fetch a fresh one once.
                retried_auth = True
                self._token = self._token_getter()
                return once()
            if resp.status_code >= 400:
                raise map_response(resp)
            return resp.json() if resp.content else {}

        return call_with_retries(once, retries=retries)

    def account_email(self) -> str:
        me = self._request("GET", self.root)
        return (me.get("mail") or me.get("userPrincipalName") or "").lower()

    def list_calendars(self) -> list[CalendarInfo]:
        items, url = [], f"{self.root}/calendars"
        while url:
            resp = self._request("GET", url)
            items.extend(resp.get("value", []))
            url = resp.get("@odata.nextLink")
        return [
            CalendarInfo(
                calendar_id=c["id"],
                name=c.get("name", c["id"]),
                primary=bool(c.get("isDefaultCalendar")),
                can_write=bool(c.get("canEdit")),
            )
            for c in items
        ]

    def free_busy(
        self, calendar_ids: list[str], start: dt.datetime, end: dt.datetime
    ) -> dict[str, list[BusyInterval]]:
        """getSchedule for mailboxes (email addresses), 20 per request, windows < 62 days."""
        result: dict[str, list[BusyInterval]] = {c: [] for c in calendar_ids}
        self.last_errors = {}
        requests_to_make = []
        window_start = start
        while window_start < end:
            window_end = min(end, window_start + SCHEDULE_WINDOW)
            for i in range(0, len(calendar_ids), SCHEDULE_BATCH):
                requests_to_make.append(
                    (calendar_ids[i : i + SCHEDULE_BATCH], window_start, window_end)
                )
            window_start = window_end
        if self._token is None:
            self._token = self._token_getter()  # once, before the threads share it
        # A few requests in flight at once (Graph allows 4 concurrent per app and mailbox);
        # each is still one batch at the API's floor.
        with ThreadPoolExecutor(max_workers=GRAPH_CONCURRENCY) as pool:
            answers = list(pool.map(lambda job: (job[0], self._schedule(*job)), requests_to_make))
        for chunk, resp in answers:
            for schedule in resp.get("value", []):
                sid = schedule.get("scheduleId", "")
                key = next((c for c in chunk if c.lower() == sid.lower()), sid)
                if schedule.get("error"):
                    self.last_errors[key] = schedule["error"].get("responseCode", "error")
                    continue
                for item in schedule.get("scheduleItems", []):
                    kind = SHOW_AS_KIND.get(item.get("status", ""))
                    if not kind:
                        continue
                    result.setdefault(key, []).append(
                        BusyInterval(
                            start=_parse(item["start"]), end=_parse(item["end"]), kind=kind
                        )
                    )
        for key in self.last_errors:
            result.pop(key, None)
        return result

    def working_hours(self, mailbox: str) -> dict | None:
        """The mailbox's ``workingHours`` as getSchedule returns them with every schedule
        (https://learn.microsoft.com/en-us/graph/api/calendar-getschedule); None when Graph
        reports an error for that mailbox. calendars.working_hours reads the resource."""
        start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        resp = self._schedule([mailbox], start, start + dt.timedelta(days=1))
        for schedule in resp.get("value", []):
            if schedule.get("error"):
                return None
            return schedule.get("workingHours")
        return None

    def _schedule(self, chunk: list[str], start: dt.datetime, end: dt.datetime) -> dict:
        body = {
            "schedules": chunk,
            "startTime": {"dateTime": _graph_time(start), "timeZone": "UTC"},
            "endTime": {"dateTime": _graph_time(end), "timeZone": "UTC"},
            "availabilityViewInterval": 30,
        }
        return self._request("POST", f"{self.root}/calendar/getSchedule", json=body)

    def sync_events(
        self,
        *,
        calendar_id: str,
        start: dt.datetime,
        end: dt.datetime,
        sync_token: str,
        primary: bool = False,
    ) -> SyncResult:
        """The mailbox's default calendar: calendarView delta, the delta link is the cursor.
        Any other calendar: a full calendarView listing (no cursor).

        v1.0 documents calendarView/delta on the user only (``/me/calendarView/delta``:
        the default calendar), not on ``/calendars/{id}``
        (https://learn.microsoft.com/en-us/graph/api/event-delta?view=graph-rest-1.0), while
        ``/calendars/{id}/calendarView`` is documented
        (https://learn.microsoft.com/en-us/graph/api/calendar-list-calendarview?view=graph-rest-1.0).
        """
        window = {"startDateTime": _graph_time(start) + "Z", "endDateTime": _graph_time(end) + "Z"}
        if not primary:
            return self._list_view(calendar_id, start, end, window)
        if sync_token:
            url = sync_token
            params = None
        else:
            url = f"{self.root}/calendarView/delta"
            params = window
        changes: list[EventChange] = []
        while True:
            resp = self._request("GET", url, params=params)
            params = None
            for item in resp.get("value", []):
                if "@removed" in item:
                    changes.append(EventChange(event_key=busy.event_key(item["id"]), blocks=None))
                    continue
                blocks = self._blocks_of(item)
                changes.append(
                    EventChange(
                        event_key=busy.event_key(item["id"]),
                        blocks=busy.clip(blocks, start, end) if blocks else None,
                    )
                )
            if resp.get("@odata.nextLink"):
                url = resp["@odata.nextLink"]
                continue
            return SyncResult(
                changes=changes, next_token=resp.get("@odata.deltaLink", ""), full=not sync_token
            )

    def _list_view(self, calendar_id, start, end, window) -> SyncResult:
        changes: list[EventChange] = []
        url, params = f"{self.root}/calendars/{calendar_id}/calendarView", {**window, "$top": 500}
        while url:
            resp = self._request("GET", url, params=params)
            params = None
            for item in resp.get("value", []):
                blocks = self._blocks_of(item)
                changes.append(
                    EventChange(
                        event_key=busy.event_key(item["id"]),
                        blocks=busy.clip(blocks, start, end) if blocks else None,
                    )
                )
            url = resp.get("@odata.nextLink")
        return SyncResult(changes=changes, next_token="", full=True)

    def _blocks_of(self, item: dict) -> list[BusyInterval] | None:
        if item.get("isCancelled"):
            return None
        if (item.get("responseStatus") or {}).get("response") == "declined":
            return None
        kind = SHOW_AS_KIND.get(item.get("showAs", "busy"))
        if not kind:
            return None
        if item.get("isAllDay"):
            # An all-day event is midnight to midnight in its own start zone (isAllDay: "start
            # and end time must be set to midnight and be in the same time zone",
            # https://learn.microsoft.com/en-us/graph/api/resources/event?view=graph-rest-1.0),
            # not in the zone of the person's Together profile.
            own = item.get("start") if isinstance(item.get("start"), dict) else {}
            zone = (
                busy.known_zone(own.get("timeZone"))
                or busy.known_zone(item.get("originalStartTimeZone"))
                or self.time_zone
            )
            start, end = busy.day_span(_local_date(item["start"]), _local_date(item["end"]), zone)
        else:
            start, end = _parse(item["start"]), _parse(item["end"])
        return busy.interval(start, end, kind)

    # --- writes -----------------------------------------------------------------------

    def _body(self, event: EventSpec) -> dict:
        # The link is in the description already (scheduling's one "Join:" line).
        content = event.description
        body = {
            "subject": event.title,
            "body": {"contentType": "text", "content": content},
            "start": {"dateTime": _graph_time(event.start), "timeZone": "UTC"},
            "end": {"dateTime": _graph_time(event.end), "timeZone": "UTC"},
            "attendees": [
                {"emailAddress": {"address": a}, "type": "required"} for a in event.attendees
            ],
        }
        if event.location or (event.conference_url and event.conferencing != "video"):
            body["location"] = {"displayName": event.location or event.conference_url}
        if event.conferencing == "video":
            body["isOnlineMeeting"] = True
            body["onlineMeetingProvider"] = "teamsForBusiness"
        return body

    @staticmethod
    def _written(resp: dict) -> WrittenEvent:
        url = (
            (resp.get("onlineMeeting") or {}).get("joinUrl", "")
            or resp.get("onlineMeetingUrl")
            or ""
        )
        return WrittenEvent(event_id=resp["id"], conference_url=url)

    def create_event(
        self, *, calendar_id: str, event: EventSpec, idempotency_key: str
    ) -> WrittenEvent:
        # Graph drops a second create with the same transactionId, returning the first event.
        transaction_id = str(
            uuid.UUID(bytes=hashlib.sha256(idempotency_key.encode()).digest()[:16])
        )
        body = {**self._body(event), "transactionId": transaction_id}
        # Writes are retried by the invite task alone (one retry layer, no inline sleeps).
        resp = self._request("POST", self._events_url(calendar_id), json=body, retries=0)
        if _differs(resp, event):
            # A replayed transactionId answers with the event an earlier attempt made, as the
            # session was then (its answer was lost, and it has been rescheduled since):
            # bring it to what the session is now.
            return self.update_event(calendar_id=calendar_id, event_id=resp["id"], event=event)
        return self._written(resp)

    def delete_by_key(self, *, calendar_id: str, idempotency_key: str, event: EventSpec) -> None:
        # Graph cannot look an event up by transactionId: replaying the create returns the
        # event an earlier attempt made (or makes it now), and then it goes.
        written = self.create_event(
            calendar_id=calendar_id, event=event, idempotency_key=idempotency_key
        )
        self.delete_event(calendar_id=calendar_id, event_id=written.event_id)

    def _events_url(self, calendar_id: str) -> str:
        if calendar_id in {"", "calendar", "primary"}:
            return f"{self.root}/calendar/events"  # the mailbox's default calendar
        return f"{self.root}/calendars/{calendar_id}/events"

    def update_event(self, *, calendar_id: str, event_id: str, event: EventSpec) -> WrittenEvent:
        body = self._body(event)
        if event.conferencing == "video":
            body = self._keeping_meeting_blob(event_id, body)
        resp = self._request("PATCH", f"{self.root}/events/{event_id}", json=body, retries=0)
        return self._written(resp)

    def _keeping_meeting_blob(self, event_id: str, body: dict) -> dict:
        """Graph turns a Teams meeting off when a PATCH's body loses the meeting blob
        (https://learn.microsoft.com/en-us/graph/api/event-update, "body property and online
        meetings"): read the body first, leave it out when our part is unchanged (a time-only
        reschedule), else write our new part followed by the blob as it stands."""
        current = self._request(
            "GET",
            f"{self.root}/events/{event_id}",
            params={"$select": "body,isOnlineMeeting"},
        )
        if not current.get("isOnlineMeeting"):
            return body
        content = str((current.get("body") or {}).get("content", ""))
        ours = body["body"]["content"]
        if content.startswith(ours):
            return {k: v for k, v in body.items() if k != "body"}
        blob = _BLOB_RULE.search(content)
        if blob is None:
            return {k: v for k, v in body.items() if k != "body"}
        return {
            **body,
            "body": {**body["body"], "content": ours + "\n\n" + content[blob.start() :]},
        }

    def delete_event(self, *, calendar_id: str, event_id: str) -> None:
        try:
            self._request("DELETE", f"{self.root}/events/{event_id}", retries=0)
        except PermanentProviderError as exc:
            if "404" in str(exc):
                return
            raise

    # --- change notifications (https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions)

    def subscribe_events(
        self,
        *,
        notification_url: str,
        lifecycle_url: str,
        client_state: str,
        expires: dt.datetime,
    ) -> tuple[str, dt.datetime]:
        """Subscribe to the mailbox's events (``/me/events`` delegated, ``/users/{id}/events``
        with the application permission); returns (id, expirationDateTime) as Graph granted."""
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": notification_url,
            "lifecycleNotificationUrl": lifecycle_url,
            "resource": f"{self.root}/events",
            "expirationDateTime": _graph_time(expires),
            "clientState": client_state,
        }
        resp = self._request("POST", "/subscriptions", json=body, retries=0)
        return resp["id"], _parse(resp["expirationDateTime"])

    def renew_subscription(self, *, subscription_id: str, expires: dt.datetime) -> dt.datetime:
        """PATCH /subscriptions/{id} (https://learn.microsoft.com/en-us/graph/api/subscription-update)."""
        resp = self._request(
            "PATCH",
            f"/subscriptions/{subscription_id}",
            json={"expirationDateTime": _graph_time(expires)},
            retries=0,
        )
        return _parse(resp["expirationDateTime"])

    def delete_subscription(self, *, subscription_id: str) -> None:
        """DELETE /subscriptions/{id}; one Graph no longer knows counts as deleted."""
        try:
            self._request("DELETE", f"/subscriptions/{subscription_id}", retries=0)
        except PermanentProviderError as exc:
            if "404" not in str(exc):
                raise

    def revoke(self) -> None:
        # Graph has no token revocation for an app's delegated grant; revokeSignInSessions
        # would sign the person out everywhere. Disconnect deletes our tokens instead.
        return None


# Teams' meeting blob opens with a rule of underscores (plain text or inside the HTML body).
_BLOB_RULE = re.compile(r"_{20,}")


def _differs(resp: dict, event: EventSpec) -> bool:
    """Whether Graph's answer to a create holds another version of the session."""
    try:
        start, end = _parse(resp["start"]), _parse(resp["end"])
    except (KeyError, ValueError, TypeError):
        return False
    wanted = (event.start.replace(microsecond=0), event.end.replace(microsecond=0), event.title)
    return (start, end, resp.get("subject", event.title)) != wanted


def _graph_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _parse(value: dict | str) -> dt.datetime:
    raw = value["dateTime"] if isinstance(value, dict) else value
    raw = raw.replace("Z", "")
    if "." in raw:
        head, frac = raw.split(".", 1)
        raw = f"{head}.{frac[:6]}"
    parsed = dt.datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _local_date(value: dict | str) -> dt.date:
    """The date an all-day start/end names, as written (midnight in its own zone)."""
    raw = value["dateTime"] if isinstance(value, dict) else value
    return dt.date.fromisoformat(raw[:10])
