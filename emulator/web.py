"""A framework-less ASGI layer: requests, responses and a router.

The emulator answers thousands of requests a second on loopback, so the request path is
kept short: one dictionary lookup for static routes, a short regex scan for the rest, and
handlers that are plain synchronous functions over an in-memory store. Anything slow
(added latency, a write whose answer is held back) is expressed as data on the
`Exchange` and awaited by the ASGI callable, so it never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(slots=True)
class Request:
    """One HTTP request, with its body already read."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    scheme: str
    host: str

    @property
    def base_url(self) -> str:
        """The scheme and authority the client used, e.g. ``https://localhost:8766``."""
        return f"{self.scheme}://{self.host}"

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a query parameter (``?a=1&a=2``)."""
        return self.query.get(name, [])

    def json(self) -> Any:
        """The body parsed as JSON; `ValueError` when it is not JSON."""
        if not self.body:
            return {}
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        """The body parsed as ``application/x-www-form-urlencoded``."""
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)


@dataclass(slots=True)
class Response:
    """What a handler answers; `Exchange` decides when it is sent."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
    ) -> Response:
        return cls(
            status,
            json.dumps(data, separators=(",", ":")).encode(),
            [("content-type", "application/json; charset=UTF-8"), *(headers or [])],
        )

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), [("content-type", "text/html; charset=utf-8")])

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", [("location", location)])

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", [])


class HTTPError(Exception):
    """Raised anywhere in a handler to answer with `response` at once."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass(slots=True)
class Exchange:
    """A request in flight and the instructions for answering it.

    Handlers set `delay` (seconds to wait before answering) and `drop` (close the
    connection after the headers instead of sending the body) rather than sleeping
    themselves, so that slow answers never hold the event loop.
    """

    request: Request
    endpoint: str
    params: dict[str, str]
    delay: float = 0.0
    drop: bool = False


Handler = Callable[[Exchange], Response]


@dataclass(slots=True)
class Route:
    method: str
    pattern: str
    endpoint: str
    handler: Handler
    regex: re.Pattern[str] | None


class Router:
    """Maps (method, path) to a named endpoint and its handler.

    Path templates use ``{name}`` for one path segment and ``{name:path}`` for the
    rest of the path. Segments are matched on the raw path and unquoted afterwards,
    so calendar ids containing an encoded ``/`` or ``#`` still match one segment.
    """

    def __init__(self) -> None:
        self._static: dict[tuple[str, str], Route] = {}
        self._dynamic: list[Route] = []

    def add(self, method: str, pattern: str, endpoint: str, handler: Handler) -> None:
        if "{" not in pattern:
            self._static[(method, pattern)] = Route(method, pattern, endpoint, handler, None)
            return
        regex = "^"
        for part in re.split(r"(\{[^}]+\})", pattern):
            if part.startswith("{"):
                name, _, kind = part[1:-1].partition(":")
                regex += f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"
            else:
                regex += re.escape(part)
        self._dynamic.append(Route(method, pattern, endpoint, handler, re.compile(regex + "$")))

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        route = self._static.get((method, raw_path))
        if route is not None:
            return route, {}
        for route in self._dynamic:
            if route.method != method:
                continue
            found = route.regex.match(raw_path)  # type: ignore[union-attr]
            if found:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def allows(self, raw_path: str) -> bool:
        """Whether some method serves this path (to tell 405 from 404)."""
        if any(path == raw_path for _, path in self._static):
            return True
        return any(r.regex.match(raw_path) for r in self._dynamic if r.regex)


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def build_request(scope: Scope, body: bytes) -> Request:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        headers[raw_name.decode("latin-1").lower()] = raw_value.decode("latin-1")
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 0)
        host = f"{server[0]}:{server[1]}"
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    path = path.split("?", 1)[0]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return Request(
        method=scope["method"],
        path=path,
        query=query,
        headers=headers,
        body=body,
        scheme=scope.get("scheme", "http"),
        host=host,
    )


async def send_response(send: Send, exchange: Exchange, response: Response) -> None:
    if exchange.delay > 0:
        await asyncio.sleep(exchange.delay)
    headers = [(b"content-length", str(len(response.body)).encode())]
    headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if exchange.drop:
        # Raising after the headers makes the server abort the connection mid-response,
        # which the client sees as a dropped connection rather than an HTTP error.
        raise ConnectionAbortedError("emulated connection drop after the write")
    await send({"type": "http.response.body", "body": response.body})
