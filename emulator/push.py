"""Google Calendar push notifications: events.watch channels, channels.stop, and delivery.

As documented in https://developers.google.com/workspace/calendar/api/guides/push and
https://developers.google.com/workspace/calendar/api/v3/reference/events/watch:

- ``POST /calendars/{calendarId}/events/watch`` with ``id`` (at most 64 characters, unique),
  ``type: "web_hook"``, ``address`` (HTTPS), optional ``token`` (echoed in every message as
  ``X-Goog-Channel-Token``, at most 256 characters) and optional ``expiration`` (ms). The
  answer carries ``resourceId`` and the ``expiration`` actually granted, which the client must
  read back. Channels are never renewed: a new channel overlaps the old one.
- ``POST /channels/stop`` with ``id`` and ``resourceId`` stops one; there is no way to list
  channels, so callers keep their own record.
- Messages are POSTs with no body; headers ``X-Goog-Channel-ID``, ``X-Goog-Channel-Token``,
  ``X-Goog-Channel-Expiration``, ``X-Goog-Resource-ID``, ``X-Goog-Resource-URI``,
  ``X-Goog-Resource-State`` (``sync`` first, then ``exists``) and ``X-Goog-Message-Number``.
  A 200/201/202/204/102 answer is success; 500/502/503/504 are retried with exponential
  backoff; nothing is delivered after the channel expires.

Google requires an HTTPS address with a valid certificate. A local test server has no public
certificate, so the emulator also accepts plain ``http://`` to a loopback host; any other
address must be HTTPS. The control surface can drop messages (``POST
/_emulator/push/drop``: "not 100% reliable") and expire channels early (``POST
/_emulator/push/expire``) so callers prove their polling backstop and renewal.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from emulator import ids
from emulator.app import Emulator, google_error
from emulator.store import Calendar
from emulator.timefmt import utcnow
from emulator.web import Exchange, HTTPError, Response, Router

log = logging.getLogger("emulator.push")

CHANNEL_ID = re.compile(r"^[A-Za-z0-9\-_+/=]{1,64}$")
# The guide states no default lifetime for Calendar channels; one week is what they get.
DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=30)
SUCCESS = {102, 200, 201, 202, 204}
RETRIED = {500, 502, 503, 504}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Channel:
    id: str
    resource_id: str
    calendar: Calendar
    address: str
    token: str
    expiration: datetime
    seen_seq: int
    number: int = 0
    stopped: bool = False
    delivered: list[str] = field(default_factory=list)


class GooglePush:
    def __init__(self, emu: Emulator, calendar_api: Any) -> None:
        self.emu = emu
        self.api = calendar_api
        self.channels: dict[str, Channel] = {}
        self.drop = 0
        self.dropped = 0
        self.in_flight = 0
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.http = requests.Session()
        self.http.trust_env = False

    def register(self, router: Router) -> None:
        root = self.emu.calendar_root
        router.add(
            "POST",
            f"{root}/calendars/{{calendarId}}/events/watch",
            "calendar.events.watch",
            self.watch,
        )
        router.add("POST", f"{root}/channels/stop", "calendar.channels.stop", self.stop)
        router.add("POST", "/_emulator/push/drop", "admin.push.drop", self.control_drop)
        router.add("POST", "/_emulator/push/expire", "admin.push.expire", self.control_expire)
        router.add("GET", "/_emulator/push/channels", "admin.push.channels", self.control_list)

    # -- the API -------------------------------------------------------------------------

    def watch(self, ex: Exchange) -> Response:
        from emulator.google_calendar import READ_SCOPES, bad_request

        _, viewer = self.api.auth(ex, READ_SCOPES)
        calendar, _ = self.api.calendar_for(ex.params["calendarId"], viewer)
        try:
            body = ex.request.json()
        except ValueError as exc:
            raise bad_request("Parse Error", reason="parseError") from exc
        channel_id = str(body.get("id") or "")
        if not CHANNEL_ID.match(channel_id):
            raise bad_request("Invalid channel id.", reason="invalid")
        if channel_id in self.channels and not self.channels[channel_id].stopped:
            raise HTTPError(google_error(400, "channelIdNotUnique", "Channel id not unique."))
        if body.get("type") not in ("web_hook", "webhook"):
            raise bad_request("Invalid value for: type.")
        address = str(body.get("address") or "")
        parts = urlsplit(address)
        if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)):
            raise HTTPError(
                google_error(
                    400, "push.webhookUrlNotHttps", "WebHook callback must be HTTPS: " + address
                )
            )
        token = str(body.get("token") or "")
        if len(token) > 256:
            raise bad_request("Invalid value for: token.")
        now = utcnow()
        expiration = now + DEFAULT_TTL
        if body.get("expiration"):
            asked = datetime.fromtimestamp(int(body["expiration"]) / 1000, UTC)
            expiration = min(max(asked, now + timedelta(seconds=1)), now + MAX_TTL)
        channel = Channel(
            id=channel_id,
            resource_id=ids.google_event_id()[:27],
            calendar=calendar,
            address=address,
            token=token,
            expiration=expiration,
            seen_seq=self._latest(calendar),
        )
        self.channels[channel_id] = channel
        self._queue(channel, "sync")
        self._start()
        return Response.json(
            {
                "kind": "api#channel",
                "id": channel_id,
                "resourceId": channel.resource_id,
                "resourceUri": self._resource_uri(ex, calendar),
                "token": token,
                "expiration": str(int(expiration.timestamp() * 1000)),
            }
        )

    def stop(self, ex: Exchange) -> Response:
        from emulator.google_calendar import READ_SCOPES

        self.api.auth(ex, READ_SCOPES)
        body = ex.request.json()
        channel = self.channels.get(str(body.get("id") or ""))
        if channel is None or channel.resource_id != body.get("resourceId") or channel.stopped:
            raise HTTPError(
                google_error(404, "notFound", f"Channel '{body.get('id')}' not found for project")
            )
        channel.stopped = True
        return Response.empty(204)

    # -- control -------------------------------------------------------------------------

    def control_drop(self, ex: Exchange) -> Response:
        self.drop += int(ex.request.json().get("count", 1))
        return Response.json({"drop": self.drop})

    def control_expire(self, ex: Exchange) -> Response:
        for channel in self.channels.values():
            channel.expiration = utcnow() - timedelta(seconds=1)
        return Response.json({"expired": len(self.channels)})

    def control_list(self, ex: Exchange) -> Response:
        live = [
            {
                "id": c.id,
                "resourceId": c.resource_id,
                "calendar": c.calendar.id,
                "expiration": c.expiration.isoformat(),
                "messages": c.number,
            }
            for c in self.channels.values()
            if self._live(c)
        ]
        pending = self.in_flight + sum(
            1
            for c in self.channels.values()
            if self._live(c) and (c.delivered or self._latest(c.calendar) > c.seen_seq)
        )
        return Response.json({"channels": live, "dropped": self.dropped, "pending": pending})

    # -- delivery ------------------------------------------------------------------------

    @staticmethod
    def _latest(calendar: Calendar) -> int:
        return max((e.seq for e in calendar.events.values()), default=0)

    def _resource_uri(self, ex: Exchange, calendar: Calendar) -> str:
        return f"{ex.request.base_url}{self.emu.calendar_root}/calendars/{calendar.id}/events"

    def _live(self, channel: Channel) -> bool:
        current = self.emu.store.calendars.get(channel.calendar.id)
        return not channel.stopped and current is channel.calendar and channel.expiration > utcnow()

    def _queue(self, channel: Channel, state: str) -> None:
        channel.delivered.append(state)
        self._wake.set()

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="google-push", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(0.05)
            self._wake.clear()
            due: list[tuple[Channel, str]] = []
            with self.emu.store.lock:
                for channel in list(self.channels.values()):
                    if not self._live(channel):
                        channel.delivered.clear()
                        continue
                    latest = self._latest(channel.calendar)
                    if latest > channel.seen_seq:
                        channel.seen_seq = latest
                        channel.delivered.append("exists")
                    while channel.delivered:
                        due.append((channel, channel.delivered.pop(0)))
                self.in_flight += len(due)
            for channel, state in due:
                try:
                    self._deliver(channel, state)
                finally:
                    with self.emu.store.lock:
                        self.in_flight -= 1

    def _deliver(self, channel: Channel, state: str) -> None:
        with self.emu.store.lock:
            channel.number += 1
            number = channel.number
            if state != "sync" and self.drop > 0:
                self.drop -= 1
                self.dropped += 1
                return
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Token": channel.token,
            "X-Goog-Channel-Expiration": channel.expiration.strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": f"{self.emu.calendar_root}/calendars/{channel.calendar.id}/events",
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(number),
            "Content-Length": "0",
            # One connection per message, as independent deliveries are.
            "Connection": "close",
        }
        delay = 0.2
        for _ in range(4):
            try:
                answer = self.http.post(
                    channel.address, headers=headers, timeout=10, verify=self.emu.ca_path or True
                )
            except requests.RequestException as exc:
                log.info("push to %s failed: %s", channel.address, type(exc).__name__)
                status = 503
            else:
                status = answer.status_code
            if status in SUCCESS or status not in RETRIED:
                return
            time.sleep(delay)
            delay *= 2
