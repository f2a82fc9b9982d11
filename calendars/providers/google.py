"""Google Calendar through google-api-python-client and google-auth.

Both individual OAuth credentials and a domain-wide service account (impersonating a member)
end up as google-auth credentials; every request goes through one `_execute` that maps
Google's errors to ours and retries temporary ones.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import json
import logging
from collections.abc import Callable

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from django.conf import settings
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from calendars import busy
from calendars.errors import (
    ApplicationCredentialsError,
    CalendarInputInvalid,
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
from calendars.retry import call_with_retries

log = logging.getLogger(__name__)

SCOPES = ["https://www.googleapis.com/auth/calendar"]
# freeBusy accepts at most 50 calendars per query.
FREEBUSY_BATCH = 50
# freeBusy refuses ranges longer than 90 days ("The requested time range is too long"), so a
# longer window is read in spans of at most this (see emulator/google_calendar.py).
FREEBUSY_SPAN = dt.timedelta(days=90)
TEMPORARY_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "backendError"}


def _retry_after(resp) -> float | None:
    value = resp.get("retry-after") if resp is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def map_http_error(exc: HttpError) -> Exception:
    status = exc.resp.status
    try:
        body = json.loads(exc.content or b"{}")
        errors = body.get("error", {}).get("errors", [])
        reason = errors[0].get("reason", "") if errors else ""
    except (ValueError, AttributeError):
        reason = ""
    if status == 410:
        return SyncTokenExpiredError("Google sync token expired")
    if status == 429 or status >= 500 or reason in TEMPORARY_REASONS:
        return TemporaryProviderError(
            f"Google {status} {reason}".strip(), retry_after=_retry_after(exc.resp)
        )
    if status == 401:
        return NeedsReconnectError("Google refused the credentials (401)")
    if status == 403 and reason in {"insufficientPermissions", "forbiddenForServiceAccounts"}:
        return NeedsReconnectError(f"Google permissions missing ({reason})")
    if status == 403 and "insufficient" in str(exc).lower():
        return NeedsReconnectError("Google permissions missing")
    return PermanentProviderError(f"Google {status} {reason}".strip())


def map_refresh_error(exc: google.auth.exceptions.RefreshError) -> Exception:
    text = str(exc)
    if getattr(exc, "retryable", False):
        return TemporaryProviderError("Google token refresh failed temporarily")
    if "Invalid email or User ID" in text:
        # A service account impersonating an address Google Workspace does not know: the
        # grant is fine, this one member is not there, and retrying or reconnecting will not
        # change that (token endpoint error "invalid_grant: Invalid email or User ID", listed
        # under "Error codes" of developers.google.com/identity/protocols/oauth2/service-account;
        # the emulator answers the same).
        return PermanentProviderError("Google Workspace does not know this member")
    if "invalid_client" in text:
        # Together's own OAuth client (id or secret) is refused: the application's problem,
        # not this person's grant (token endpoint errors, RFC 6749 §5.2).
        return ApplicationCredentialsError("Google refused the app's OAuth client")
    if any(
        k in text
        for k in ("invalid_grant", "unauthorized_client", "access_denied", "invalid_scope")
    ):
        return NeedsReconnectError("Google grant no longer valid")
    if any(k in text for k in ("500", "502", "503", "429", "temporarily")):
        return TemporaryProviderError("Google token refresh failed temporarily")
    return NeedsReconnectError("Google token refresh failed")


def event_id_for(idempotency_key: str) -> str:
    """A client-supplied event id: base32hex (0-9a-v), 5-1024 chars, derived from the key."""
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return base64.b32hexencode(digest).decode().lower().rstrip("=")


def user_credentials_for(
    *, access_token: str, refresh_token: str, expires_at: dt.datetime | None
) -> user_credentials.Credentials:
    expiry = expires_at.astimezone(dt.UTC).replace(tzinfo=None) if expires_at else None
    return user_credentials.Credentials(
        token=access_token or None,
        refresh_token=refresh_token or None,
        token_uri=settings.GOOGLE_OAUTH_TOKEN_URI,
        client_id=settings.GOOGLE_OAUTH_CLIENT_ID,
        client_secret=settings.GOOGLE_OAUTH_CLIENT_SECRET,
        scopes=SCOPES,
        expiry=expiry,
    )


def parse_service_account_key(key_json: str) -> dict:
    """The key as a dict, or ValueError with a message fit for the admin."""
    try:
        info = json.loads(key_json)
    except ValueError:
        raise CalendarInputInvalid(
            "That is not a JSON key file. Download a JSON key for the service account."
        ) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise CalendarInputInvalid(
            'The key file must be a service-account key ("type": "service_account").'
        )
    for field in ("client_email", "client_id", "private_key"):
        if not info.get(field):
            raise CalendarInputInvalid(f"The key file has no {field}.")
    try:
        # Also proves the private key parses.
        service_account.Credentials.from_service_account_info(_pinned(info), scopes=SCOPES)
    except (ValueError, TypeError, KeyError):
        raise CalendarInputInvalid("The key file's private key could not be read.") from None
    return info


def _pinned(info: dict) -> dict:
    # Never let a key file choose where we send signed assertions.
    return {**info, "token_uri": settings.GOOGLE_OAUTH_TOKEN_URI}


def service_account_credentials(info: dict, subject: str):
    return service_account.Credentials.from_service_account_info(
        _pinned(info), scopes=SCOPES, subject=subject
    )


class GoogleProvider:
    """Google Calendar for one identity (a person's OAuth grant, or a member impersonated)."""

    def __init__(
        self,
        credentials,
        *,
        time_zone: str = "UTC",
        on_refresh: Callable[[object], None] | None = None,
    ) -> None:
        self.credentials = credentials
        self.time_zone = time_zone
        self.on_refresh = on_refresh
        self.last_errors: dict[str, str] = {}
        self._token_before = getattr(credentials, "token", None)
        http = httplib2.Http(
            timeout=settings.CALENDAR_HTTP_TIMEOUT, ca_certs=settings.CALENDAR_CA_BUNDLE or None
        )
        self._http = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
        self._service = build(
            "calendar",
            "v3",
            http=self._http,
            cache_discovery=False,
            static_discovery=True,
            client_options={"api_endpoint": settings.GOOGLE_CALENDAR_API_ENDPOINT},
        )

    def _execute(self, request, *, retries: int | None = None):
        def once():
            try:
                return request.execute(num_retries=0)
            except HttpError as exc:
                raise map_http_error(exc) from None
            except google.auth.exceptions.RefreshError as exc:
                raise map_refresh_error(exc) from None
            except google.auth.exceptions.TransportError:
                raise TemporaryProviderError("Google unreachable") from None
            except (
                TimeoutError,
                httplib2.HttpLib2Error,
                OSError,
                # A connection dropped mid-answer (IncompleteRead, RemoteDisconnected's
                # relatives): the write may or may not have happened; the next attempt finds out.
                http.client.HTTPException,
            ) as exc:
                raise TemporaryProviderError(f"Google unreachable: {type(exc).__name__}") from None

        result = call_with_retries(once, retries=retries)
        token = getattr(self.credentials, "token", None)
        if self.on_refresh and token != self._token_before:
            self._token_before = token
            self.on_refresh(self.credentials)
        return result

    # --- reads ------------------------------------------------------------------------

    def account_email(self) -> str:
        return self._execute(self._service.calendars().get(calendarId="primary"))["id"]

    def list_calendars(self) -> list[CalendarInfo]:
        items, page = [], None
        while True:
            resp = self._execute(self._service.calendarList().list(pageToken=page))
            items.extend(resp.get("items", []))
            page = resp.get("nextPageToken")
            if not page:
                break
        return [
            CalendarInfo(
                calendar_id=c["id"],
                name=c.get("summaryOverride") or c.get("summary") or c["id"],
                primary=bool(c.get("primary")),
                can_write=c.get("accessRole") in {"owner", "writer"},
            )
            for c in items
        ]

    def free_busy(
        self, calendar_ids: list[str], start: dt.datetime, end: dt.datetime
    ) -> dict[str, list[BusyInterval]]:
        """One freeBusy query per 50 calendars and per 90 days of the range. Calendars Google
        could not read (in any span) are left out and their reason is in `last_errors`."""
        result: dict[str, list[BusyInterval]] = {}
        self.last_errors = {}
        spans = []
        lo = start
        while lo < end:
            spans.append((lo, min(end, lo + FREEBUSY_SPAN)))
            lo = spans[-1][1]
        for i in range(0, len(calendar_ids), FREEBUSY_BATCH):
            chunk = calendar_ids[i : i + FREEBUSY_BATCH]
            for lo, hi in spans:
                body = {
                    "timeMin": lo.astimezone(dt.UTC).isoformat(),
                    "timeMax": hi.astimezone(dt.UTC).isoformat(),
                    "timeZone": "UTC",
                    "items": [{"id": c} for c in chunk],
                }
                resp = self._execute(self._service.freebusy().query(body=body))
                for cal_id, data in resp.get("calendars", {}).items():
                    if data.get("errors"):
                        self.last_errors[cal_id] = data["errors"][0].get("reason", "error")
                        continue
                    result.setdefault(cal_id, []).extend(
                        BusyInterval(start=_parse(b["start"]), end=_parse(b["end"]), kind="busy")
                        for b in data.get("busy", [])
                    )
        for cal_id in self.last_errors:
            result.pop(cal_id, None)
        return result

    def sync_events(
        self,
        *,
        calendar_id: str,
        start: dt.datetime,
        end: dt.datetime,
        sync_token: str,
        primary: bool = False,
    ) -> SyncResult:
        changes: list[EventChange] = []
        page = None
        while True:
            params = {"calendarId": calendar_id, "singleEvents": True, "pageToken": page}
            if sync_token:
                params["syncToken"] = sync_token
            else:
                params["timeMin"] = start.astimezone(dt.UTC).isoformat()
                params["timeMax"] = end.astimezone(dt.UTC).isoformat()
                params["showDeleted"] = False
            resp = self._execute(self._service.events().list(**params, maxResults=250))
            # All-day events are dates on the calendar's own clock: events.list says which
            # zone that is ("timeZone: The time zone of the calendar",
            # https://developers.google.com/workspace/calendar/api/v3/reference/events/list),
            # whatever zone the person's Together profile is in.
            calendar_zone = busy.known_zone(resp.get("timeZone")) or self.time_zone
            for item in resp.get("items", []):
                blocks = self._blocks_of(item, calendar_zone)
                # With singleEvents=true an occurrence's id is "<series id>_<start>" (event
                # ids are base32hex, so "_" only ever separates the two); a deleted series
                # comes back as its cancelled occurrences, or as the series id alone.
                # https://developers.google.com/workspace/calendar/api/v3/reference/events
                series = item.get("recurringEventId") or item["id"].split("_", 1)[0]
                changes.append(
                    EventChange(
                        event_key=busy.event_key(item["id"], series),
                        blocks=busy.clip(blocks, start, end) if blocks else None,
                        whole_series=item.get("status") == "cancelled" and "_" not in item["id"],
                    )
                )
            page = resp.get("nextPageToken")
            if not page:
                return SyncResult(
                    changes=changes, next_token=resp.get("nextSyncToken", ""), full=not sync_token
                )

    # --- push channels (https://developers.google.com/workspace/calendar/api/guides/push) --

    def watch_events(
        self, *, calendar_id: str, channel_id: str, address: str, token: str
    ) -> tuple[str, dt.datetime]:
        """Open a channel on the calendar's events; returns (resourceId, expiration) as Google
        granted them (the expiration must be read back: Google may shorten it)."""
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token}
        resp = self._execute(self._service.events().watch(calendarId=calendar_id, body=body))
        expires = dt.datetime.fromtimestamp(int(resp["expiration"]) / 1000, dt.UTC)
        return resp["resourceId"], expires

    def stop_channel(self, *, channel_id: str, resource_id: str) -> None:
        """channels.stop; a channel Google no longer knows counts as stopped."""
        body = {"id": channel_id, "resourceId": resource_id}
        try:
            self._execute(self._service.channels().stop(body=body))
        except PermanentProviderError as exc:
            if "404" not in str(exc):
                raise

    def _blocks_of(self, item: dict, calendar_zone: str = "") -> list[BusyInterval] | None:
        if item.get("status") == "cancelled" or item.get("transparency") == "transparent":
            return None
        kind = "busy"
        for attendee in item.get("attendees", []):
            if attendee.get("self"):
                response = attendee.get("responseStatus")
                if response == "declined":
                    return None
                if response == "tentative":
                    kind = "tentative"
        if item.get("status") == "tentative":
            kind = "tentative"
        if item.get("eventType") == "outOfOffice":
            kind = "oof"
        s, e = item.get("start", {}), item.get("end", {})
        if "date" in s:
            start, end = busy.day_span(
                dt.date.fromisoformat(s["date"]),
                dt.date.fromisoformat(e["date"]),
                calendar_zone or self.time_zone,
            )
        else:
            start, end = _parse(s["dateTime"]), _parse(e["dateTime"])
        return busy.interval(start, end, kind)

    # --- writes -----------------------------------------------------------------------

    def _body(self, event: EventSpec) -> dict:
        body = {
            "summary": event.title,
            "description": event.description,
            "start": {"dateTime": event.start.isoformat(), "timeZone": event.time_zone},
            "end": {"dateTime": event.end.isoformat(), "timeZone": event.time_zone},
            "attendees": [{"email": a} for a in event.attendees],
        }
        if event.location:
            body["location"] = event.location
        if event.conference_url and event.conferencing != "video":
            # The link is in the description already (scheduling's one "Join:" line).
            body.setdefault("location", event.conference_url)
        return body

    @staticmethod
    def _written(resp: dict) -> WrittenEvent:
        url = resp.get("hangoutLink", "")
        for entry in resp.get("conferenceData", {}).get("entryPoints", []):
            if entry.get("entryPointType") == "video" and not url:
                url = entry.get("uri", "")
        return WrittenEvent(event_id=resp["id"], conference_url=url)

    def create_event(
        self, *, calendar_id: str, event: EventSpec, idempotency_key: str
    ) -> WrittenEvent:
        event_id = event_id_for(idempotency_key)
        body = {**self._body(event), "id": event_id}
        if event.conferencing == "video":
            body["conferenceData"] = {
                "createRequest": {
                    "requestId": event_id[:40],
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            }
        try:
            resp = self._execute(
                self._service.events().insert(
                    calendarId=calendar_id, body=body, conferenceDataVersion=1, sendUpdates="all"
                ),
                retries=0,
            )
        except PermanentProviderError as exc:
            # 409: an earlier attempt already created it (perhaps its answer was lost), maybe
            # with what the session was then. Write what it is now, so the calendar converges
            # on the latest version (a reschedule after a lost create still lands).
            if "409" not in str(exc):
                raise
            return self.update_event(calendar_id=calendar_id, event_id=event_id, event=event)
        return self._written(resp)

    def update_event(self, *, calendar_id: str, event_id: str, event: EventSpec) -> WrittenEvent:
        resp = self._execute(
            self._service.events().patch(
                calendarId=calendar_id,
                eventId=event_id,
                body=self._body(event),
                conferenceDataVersion=1,
                sendUpdates="all",
            ),
            retries=0,
        )
        return self._written(resp)

    def delete_event(self, *, calendar_id: str, event_id: str) -> None:
        try:
            self._execute(
                self._service.events().delete(
                    calendarId=calendar_id, eventId=event_id, sendUpdates="all"
                ),
                retries=0,
            )
        except PermanentProviderError as exc:
            if "404" in str(exc) or "410" in str(exc):
                return
            raise
        except SyncTokenExpiredError:  # 410 Gone on delete: already deleted
            return

    def delete_by_key(self, *, calendar_id: str, idempotency_key: str, event: EventSpec) -> None:
        # The id is ours (derived from the key), so a lost create is found without a search.
        self.delete_event(calendar_id=calendar_id, event_id=event_id_for(idempotency_key))

    def revoke(self) -> None:
        token = getattr(self.credentials, "refresh_token", None) or getattr(
            self.credentials, "token", None
        )
        if not token:
            return
        http = httplib2.Http(
            timeout=settings.CALENDAR_HTTP_TIMEOUT, ca_certs=settings.CALENDAR_CA_BUNDLE or None
        )
        from urllib.parse import urlencode

        try:
            resp, _ = http.request(
                settings.GOOGLE_REVOKE_URI,
                method="POST",
                body=urlencode({"token": token}),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        except (OSError, httplib2.HttpLib2Error):
            raise TemporaryProviderError("Google revoke endpoint unreachable") from None
        if resp.status >= 500:
            raise TemporaryProviderError(f"Google revoke {resp.status}")
        # 400 invalid_token: already revoked, which is what we wanted.


def _parse(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)
