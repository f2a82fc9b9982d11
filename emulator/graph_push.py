"""Microsoft Graph change notifications on Outlook events: subscriptions, the validation
handshake, delivery over real HTTP and lifecycle notifications.

As documented:

- ``POST /subscriptions`` (https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions)
  with ``changeType`` (created, updated, deleted, comma-separated), ``notificationUrl``,
  ``resource`` (``/me/events`` delegated, ``/users/{id}/events`` delegated for oneself or
  with an application permission), ``expirationDateTime`` (required) and ``clientState``
  (at most 128 characters, echoed in every notification). Before accepting, Graph POSTs
  ``?validationToken=…`` to the notificationUrl (and to ``lifecycleNotificationUrl``) and
  needs 200 with the token as ``text/plain`` within 10 seconds; otherwise the create fails
  with 400 (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks).
- The longest lifetime for an Outlook event subscription is 10,080 minutes, under 7 days
  (https://learn.microsoft.com/en-us/graph/api/resources/subscription, "Subscription
  lifetime"); a longer expirationDateTime is refused with 400.
- ``PATCH /subscriptions/{id}`` renews (same maximum); ``DELETE`` removes (204);
  ``POST /subscriptions/{id}/reauthorize`` answers a reauthorizationRequired challenge
  (https://learn.microsoft.com/en-us/graph/api/subscription-reauthorize).
- Notifications are POSTed as ``{"value": [changeNotification…]}`` with subscriptionId,
  clientState, changeType, resource, subscriptionExpirationDateTime and tenantId; a 2xx
  is delivery, anything else is retried with backoff
  (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks).
- Lifecycle notifications go to lifecycleNotificationUrl with ``lifecycleEvent``
  reauthorizationRequired, subscriptionRemoved or missed
  (https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events).

Graph requires HTTPS; a local test server has none, so plain ``http://`` to a loopback host
is accepted here only (as emulator/push.py does for Google). The control surface
(``/_emulator/graph-push/…``) drops messages, expires subscriptions and sends lifecycle
events so callers prove their backstop and lifecycle handling.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from emulator import ids
from emulator.app import Emulator, graph_error
from emulator.store import Calendar
from emulator.timefmt import utcnow
from emulator.web import Exchange, HTTPError, Response, Router

log = logging.getLogger("emulator.graph_push")

# https://learn.microsoft.com/en-us/graph/api/resources/subscription (Outlook event).
MAX_LIFETIME = timedelta(minutes=10080)
CHANGE_TYPES = {"created", "updated", "deleted"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LIFECYCLE_EVENTS = {"reauthorizationRequired", "subscriptionRemoved", "missed"}


@dataclass
class Subscription:
    id: str
    resource: str
    account: str
    tenant_id: str
    change_types: set[str]
    notification_url: str
    lifecycle_url: str
    client_state: str
    expiration: datetime
    seen: dict[str, int]
    application_id: str
    removed: bool = False
    queue: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _bad(message: str) -> HTTPError:
    return HTTPError(graph_error(400, "InvalidRequest", message))


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _parse(text: str) -> datetime:
    from emulator.graph import Graph

    try:
        return Graph.parse_instant(text)
    except (ValueError, TypeError) as exc:
        raise _bad("expirationDateTime is not a valid date.") from exc


class GraphPush:
    def __init__(self, emu: Emulator, graph: Any) -> None:
        self.emu = emu
        self.graph = graph
        self.subscriptions: dict[str, Subscription] = {}
        self.drop = 0
        self.dropped = 0
        self.in_flight = 0
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.http = requests.Session()
        self.http.trust_env = False

    def register(self, router: Router) -> None:
        root = self.emu.graph_root
        router.add("POST", f"{root}/subscriptions", "graph.subscriptions.create", self.create)
        router.add("GET", f"{root}/subscriptions/{{sid}}", "graph.subscriptions.get", self.get)
        router.add(
            "PATCH", f"{root}/subscriptions/{{sid}}", "graph.subscriptions.update", self.update
        )
        router.add(
            "DELETE", f"{root}/subscriptions/{{sid}}", "graph.subscriptions.delete", self.delete
        )
        router.add(
            "POST",
            f"{root}/subscriptions/{{sid}}/reauthorize",
            "graph.subscriptions.reauthorize",
            self.reauthorize,
        )
        p = "/_emulator/graph-push"
        router.add("POST", f"{p}/drop", "admin.graph_push.drop", self.control_drop)
        router.add("POST", f"{p}/expire", "admin.graph_push.expire", self.control_expire)
        router.add("POST", f"{p}/lifecycle", "admin.graph_push.lifecycle", self.control_lifecycle)
        router.add("GET", f"{p}/subscriptions", "admin.graph_push.list", self.control_list)

    # -- the API -------------------------------------------------------------------------

    def _auth(self, ex: Exchange, resource: str):
        from emulator.graph import READ_APP, READ_DELEGATED

        parts = [p for p in resource.strip("/").split("/") if p]
        if parts[:1] == ["me"] and parts[1:] == ["events"]:
            ex.params["user"] = "me"
        elif len(parts) == 3 and parts[0].lower() == "users" and parts[2] == "events":
            ex.params["user"] = parts[1]
        else:
            raise _bad(f"Resource '{resource}' is not supported.")
        return self.graph.auth(ex, READ_DELEGATED, READ_APP)

    def _owner_auth(self, ex: Exchange, sub: Subscription) -> None:
        self._auth(ex, sub.resource)

    def _url_ok(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)

    def _validate(self, url: str) -> bool:
        """The handshake: 200, text/plain, the token echoed, within 10 seconds."""
        token = secrets.token_urlsafe(24)
        try:
            answer = self.http.post(
                url,
                params={"validationToken": token},
                headers={"Content-Type": "text/plain; charset=utf-8", "Connection": "close"},
                timeout=10,
                verify=self.emu.ca_path or True,
            )
        except requests.RequestException:
            return False
        return (
            answer.status_code == 200
            and answer.headers.get("content-type", "").startswith("text/plain")
            and answer.text == token
        )

    def _expiration(self, text: Any) -> datetime:
        if not text:
            raise _bad("expirationDateTime is required.")
        asked = _parse(str(text))
        now = utcnow()
        if asked <= now:
            raise _bad("Subscription expiration can only be in the future.")
        if asked > now + MAX_LIFETIME:
            raise _bad("Subscription expiration can only be 10080 minutes in the future.")
        return asked

    def create(self, ex: Exchange) -> Response:
        try:
            body = ex.request.json()
        except ValueError as exc:
            raise _bad("Invalid JSON.") from exc
        resource = str(body.get("resource") or "")
        access, account = self._auth(ex, resource)
        changes = {c.strip() for c in str(body.get("changeType") or "").split(",") if c.strip()}
        if not changes or not changes <= CHANGE_TYPES:
            raise _bad("changeType must be created, updated or deleted.")
        url = str(body.get("notificationUrl") or "")
        lifecycle = str(body.get("lifecycleNotificationUrl") or "")
        for u in filter(None, (url, lifecycle)):
            if not self._url_ok(u):
                raise _bad("The notification URL must use HTTPS.")
        if not url:
            raise _bad("notificationUrl is required.")
        client_state = str(body.get("clientState") or "")
        if len(client_state) > 128:
            raise _bad("clientState must be at most 128 characters.")
        expiration = self._expiration(body.get("expirationDateTime"))
        for u in filter(None, (url, lifecycle)):
            if not self._validate(u):
                raise _bad(
                    "Subscription validation request failed. Notification endpoint must "
                    "respond with 200 OK to validation request."
                )
        org = self.emu.store.org_of(account)
        sub = Subscription(
            id=ids.guid(),
            resource=resource,
            account=account.email,
            tenant_id=org.tenant_id if org else "",
            change_types=changes,
            notification_url=url,
            lifecycle_url=lifecycle,
            client_state=client_state,
            expiration=expiration,
            seen=self._latest(account.email),
            application_id=getattr(access.grant, "client_id", ""),
        )
        with self.emu.store.lock:
            self.subscriptions[sub.id] = sub
        self._start()
        return Response.json(self._json(ex, sub), status=201)

    def _json(self, ex: Exchange, sub: Subscription) -> dict[str, Any]:
        return {
            "@odata.context": f"{ex.request.base_url}{self.emu.graph_root}/$metadata#subscriptions/$entity",
            "id": sub.id,
            "resource": sub.resource,
            "applicationId": sub.application_id,
            "changeType": ",".join(sorted(sub.change_types)),
            "clientState": sub.client_state or None,
            "notificationUrl": sub.notification_url,
            "lifecycleNotificationUrl": sub.lifecycle_url or None,
            "expirationDateTime": _stamp(sub.expiration),
        }

    def _find(self, ex: Exchange) -> Subscription:
        sub = self.subscriptions.get(ex.params["sid"])
        if sub is None or not self._live(sub):
            raise HTTPError(
                graph_error(
                    404, "ResourceNotFound", f"The object '{ex.params['sid']}' doesn't exist."
                )
            )
        self._owner_auth(ex, sub)
        return sub

    def get(self, ex: Exchange) -> Response:
        return Response.json(self._json(ex, self._find(ex)))

    def update(self, ex: Exchange) -> Response:
        sub = self._find(ex)
        body = ex.request.json()
        sub.expiration = self._expiration(body.get("expirationDateTime"))
        return Response.json(self._json(ex, sub))

    def delete(self, ex: Exchange) -> Response:
        sub = self._find(ex)
        sub.removed = True
        return Response.empty(204)

    def reauthorize(self, ex: Exchange) -> Response:
        self._find(ex)
        return Response.empty(200)

    # -- control -------------------------------------------------------------------------

    def reset(self) -> None:
        with self.emu.store.lock:
            self.subscriptions.clear()
            self.drop = self.dropped = 0

    def control_drop(self, ex: Exchange) -> Response:
        self.drop += int(ex.request.json().get("count", 1))
        return Response.json({"drop": self.drop})

    def control_expire(self, ex: Exchange) -> Response:
        for sub in self.subscriptions.values():
            sub.expiration = utcnow() - timedelta(seconds=1)
        return Response.json({"expired": len(self.subscriptions)})

    def control_lifecycle(self, ex: Exchange) -> Response:
        """Send a lifecycle event to every live subscription (that asked for them);
        subscriptionRemoved also ends the subscription, as Graph does."""
        event = str(ex.request.json().get("event") or "")
        if event not in LIFECYCLE_EVENTS:
            raise _bad("unknown lifecycle event")
        sent = 0
        with self.emu.store.lock:
            for sub in list(self.subscriptions.values()):
                if not self._live(sub) or not sub.lifecycle_url:
                    continue
                sub.queue.append(("lifecycle", {"lifecycleEvent": event}))
                if event == "subscriptionRemoved":
                    sub.removed = True
                sent += 1
        self._start()
        self._wake.set()
        return Response.json({"sent": sent})

    def control_list(self, ex: Exchange) -> Response:
        with self.emu.store.lock:
            live = [
                {
                    "id": s.id,
                    "resource": s.resource,
                    "account": s.account,
                    "expirationDateTime": _stamp(s.expiration),
                }
                for s in self.subscriptions.values()
                if self._live(s)
            ]
            pending = self.in_flight + sum(
                1
                for s in self.subscriptions.values()
                if s.queue or (self._live(s) and self._changed(s))
            )
        return Response.json({"subscriptions": live, "dropped": self.dropped, "pending": pending})

    # -- delivery ------------------------------------------------------------------------

    def _calendars(self, email: str) -> list[Calendar]:
        return [
            c
            for c in self.emu.store.calendars.values()
            if c.owner == email and c.provider == "microsoft"
        ]

    def _latest(self, email: str) -> dict[str, int]:
        return {
            c.id: max((e.seq for e in c.events.values()), default=0) for c in self._calendars(email)
        }

    def _changed(self, sub: Subscription) -> bool:
        return self._latest(sub.account) != sub.seen

    @staticmethod
    def _live(sub: Subscription) -> bool:
        return not sub.removed and sub.expiration > utcnow()

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="graph-push", daemon=True)
            self._thread.start()

    def _notifications(self, sub: Subscription) -> list[dict[str, Any]]:
        """One change notification per event changed since the last delivery."""
        out = []
        for calendar in self._calendars(sub.account):
            seen = sub.seen.get(calendar.id, 0)
            for event in calendar.events.values():
                if event.seq <= seen:
                    continue
                kind = "deleted" if event.deleted else ("created" if seen == 0 else "updated")
                if kind not in sub.change_types:
                    kind = next(iter(sorted(sub.change_types)))
                out.append({"changeType": kind, "event": event.id})
        sub.seen = self._latest(sub.account)
        return out

    def _run(self) -> None:
        while True:
            self._wake.wait(0.05)
            self._wake.clear()
            due: list[tuple[Subscription, str, dict[str, Any]]] = []
            with self.emu.store.lock:
                for sub in list(self.subscriptions.values()):
                    while sub.queue:
                        kind, data = sub.queue.pop(0)
                        due.append((sub, kind, data))
                    if not self._live(sub):
                        continue
                    changes = self._notifications(sub)
                    if changes:
                        due.append((sub, "change", {"changes": changes}))
                self.in_flight += len(due)
            for sub, kind, data in due:
                try:
                    self._deliver(sub, kind, data)
                finally:
                    with self.emu.store.lock:
                        self.in_flight -= 1

    def _deliver(self, sub: Subscription, kind: str, data: dict[str, Any]) -> None:
        base = {
            "subscriptionId": sub.id,
            "subscriptionExpirationDateTime": _stamp(sub.expiration),
            "clientState": sub.client_state or None,
            "tenantId": sub.tenant_id,
        }
        if kind == "lifecycle":
            url = sub.lifecycle_url
            value = [{**base, "lifecycleEvent": data["lifecycleEvent"], "resource": sub.resource}]
        else:
            with self.emu.store.lock:
                if self.drop > 0:
                    self.drop -= 1
                    self.dropped += 1
                    return
            url = sub.notification_url
            user = sub.resource.strip("/").split("/")[1] if "/users/" in sub.resource else "me"
            value = [
                {
                    **base,
                    "changeType": c["changeType"],
                    "resource": f"Users/{user}/Events/{c['event']}",
                    "resourceData": {
                        "@odata.type": "#Microsoft.Graph.Event",
                        "@odata.id": f"Users/{user}/Events/{c['event']}",
                        "id": c["event"],
                    },
                }
                for c in data["changes"]
            ]
        delay = 0.2
        for _ in range(4):
            try:
                answer = self.http.post(
                    url,
                    json={"value": value},
                    headers={"Connection": "close"},
                    timeout=10,
                    verify=self.emu.ca_path or True,
                )
            except requests.RequestException as exc:
                log.info("notification to %s failed: %s", url, type(exc).__name__)
                status = 503
            else:
                status = answer.status_code
            if 200 <= status < 300:
                return
            if status < 500 and status != 429:
                # Graph keeps retrying for up to 4 hours; a test only needs to see it refused.
                return
            time.sleep(delay)
            delay *= 2
