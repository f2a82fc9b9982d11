"""The emulator as one ASGI application: routing, fault gates and error shapes.

The same application serves the plain-HTTP port and the TLS port; every URL it writes
into a response (Microsoft's discovery document, Graph's nextLink) is built from the
scheme and host the client used, so either port works for any provider.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulator import ids
from emulator.faults import Fault
from emulator.signing import Signer
from emulator.store import Store
from emulator.web import (
    Exchange,
    HTTPError,
    Receive,
    Response,
    Router,
    Scope,
    Send,
    build_request,
    read_body,
    send_response,
)

log = logging.getLogger("emulator")

GOOGLE_ERROR_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
    "dailyLimitExceeded": "Daily Limit Exceeded",
}


def google_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    headers: list[tuple[str, str]] | None = None,
    **extra: str,
) -> Response:
    """Calendar API v3's error body: ``{"error": {"errors": [...], "code", "message"}}``."""
    item = {"domain": domain, "reason": reason, "message": message, **extra}
    body = {"error": {"errors": [item], "code": status, "message": message}}
    return Response.json(body, status, headers)


def graph_error(
    status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None
) -> Response:
    """Graph's error body, with the innerError Graph adds to every failure."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    request_id = ids.guid()
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": now, "request-id": request_id, "client-request-id": request_id},
        }
    }
    return Response.json(body, status, headers)


def oauth_error(
    status: int, error: str, description: str, headers: list[tuple[str, str]] | None = None
) -> Response:
    return Response.json({"error": error, "error_description": description}, status, headers)


class Emulator:
    """Routes, store, signing key and the fault gate every API request passes through."""

    def __init__(
        self,
        *,
        calendar_root: str = "/calendar/v3",
        graph_root: str = "/v1.0",
        state_dir: Path | None = None,
        fixture: dict[str, Any] | None = None,
        browser_base_url: str | None = None,
    ) -> None:
        # Imported here because each provider module imports this one for its helpers.
        from emulator import (
            admin,
            google_calendar,
            google_oauth,
            graph,
            graph_push,
            microsoft_identity,
            push,
        )

        self.store = Store()
        self.signer = Signer()
        self.router = Router()
        self.calendar_root = "/" + calendar_root.strip("/")
        self.graph_root = "/" + graph_root.strip("/")
        self.state_dir = state_dir
        self.ca_path: Path | None = None
        self.baseline_fixture = fixture
        # Where people's browsers reach the sign-in pages. Unset: wherever the client called.
        # Set to the plain HTTP port, the Microsoft authorization endpoint that MSAL reads
        # over TLS still sends the browser where it never meets the emulator's own CA.
        self.browser_base_url = browser_base_url.rstrip("/") if browser_base_url else None
        google_oauth.GoogleOAuth(self).register(self.router)
        calendar_api = google_calendar.GoogleCalendar(self)
        calendar_api.register(self.router)
        self.google_push = push.GooglePush(self, calendar_api)
        self.google_push.register(self.router)
        microsoft_identity.MicrosoftIdentity(self).register(self.router)
        graph_api = graph.Graph(self)
        graph_api.register(self.router)
        self.graph_push = graph_push.GraphPush(self, graph_api)
        self.graph_push.register(self.router)
        admin.Admin(self).register(self.router)
        if fixture:
            admin.load_fixture(self, fixture)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = build_request(scope, await read_body(receive))
        found = self.router.match(request.method, request.path)
        if found is None:
            exchange = Exchange(request, "unknown", {})
            if request.method == "OPTIONS":
                response = Response.empty(204)
            elif self.router.allows(request.path):
                response = Response.json({"error": "method not allowed"}, 405)
            else:
                response = Response.json({"error": {"code": 404, "message": "Not Found"}}, 404)
            await send_response(send, exchange, response)
            return
        route, params = found
        exchange = Exchange(request, route.endpoint, params)
        with self.store.lock:
            self.store.count(route.endpoint)
            try:
                response = route.handler(exchange)
            except HTTPError as exc:
                response = exc.response
            except Exception:
                log.exception("emulator handler %s failed", route.endpoint)
                response = Response.json({"error": "emulator bug, see its log"}, 500)
        await send_response(send, exchange, response)

    # -- shared by the provider modules -----------------------------------------------

    def fault_gate(self, exchange: Exchange, account: str | None, provider: str) -> None:
        """Apply the request faults that match; raises `HTTPError` for an injected error.

        Call after authenticating (so per-account faults know the account) and before
        any change, except that a write under ``timeout_after_write`` is still applied:
        the fault only holds back or drops the answer.
        """
        triggered = self.store.faults.trigger(exchange.endpoint, account, provider)
        exchange.delay += triggered.latency_ms / 1000
        if triggered.after_write is not None:
            if triggered.after_write.mode == "drop":
                exchange.drop = True
            else:
                exchange.delay += triggered.after_write.seconds
        if triggered.error is not None:
            raise HTTPError(self.fault_response(triggered.error, provider, exchange.endpoint))

    def fault_response(self, fault: Fault, provider: str, endpoint: str) -> Response:
        retry = [("retry-after", str(fault.retry_after))]
        token_endpoint = endpoint.endswith(".token")
        if fault.kind == "rate_limit":
            if token_endpoint:
                return oauth_error(429, "temporarily_unavailable", "Too many requests.", retry)
            if provider == "google":
                return google_error(
                    429,
                    "rateLimitExceeded",
                    "Rate Limit Exceeded",
                    domain="usageLimits",
                    headers=retry,
                )
            return graph_error(
                429,
                "TooManyRequests",
                "Too many requests. Retry after the period in the Retry-After header.",
                retry,
            )
        if fault.kind == "quota_exceeded":
            message = GOOGLE_ERROR_MESSAGES.get(fault.reason, fault.reason)
            return google_error(403, fault.reason, message, domain="usageLimits")
        # server_error
        status = fault.status
        headers = retry if status == 503 else []
        if token_endpoint:
            error = "temporarily_unavailable" if status == 503 else "server_error"
            return oauth_error(status, error, "The service is temporarily unavailable.", headers)
        if provider == "google":
            message = "Backend Error" if status == 500 else "The service is currently unavailable."
            return google_error(status, "backendError", message, headers=headers)
        if status == 503:
            return graph_error(
                503,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Retry after the period in the "
                "Retry-After header.",
                headers,
            )
        return graph_error(status, "generalException", "An unspecified error has occurred.")
