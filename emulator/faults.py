"""Request faults: failures injected into matching requests, deterministically.

A fault matches requests by endpoint (glob patterns over endpoint names such as
``calendar.freebusy.query`` or ``graph.*``; by default every Calendar and Graph API
endpoint), by account (the user the request acts for; none means every account) and by
provider. It fires on the next `times` matching requests, or on every one until cleared
when `times` is None. There is no probability: a test that sets a fault knows exactly
which requests it hits.

State faults (revoked grants, removed scopes, withdrawn delegation, expired sync tokens)
change the store instead and live in `emulator.admin`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from emulator import ids

REQUEST_FAULTS = ("rate_limit", "quota_exceeded", "server_error", "latency", "timeout_after_write")
API_ENDPOINTS = ("calendar.*", "graph.*")
WRITE_ENDPOINTS = (
    "calendar.events.insert",
    "calendar.events.patch",
    "calendar.events.update",
    "calendar.events.delete",
    "graph.events.create",
    "graph.events.update",
    "graph.events.delete",
)


@dataclass
class Fault:
    kind: str
    account: str | None = None
    provider: str | None = None
    endpoints: list[str] | None = None
    times: int | None = None
    retry_after: int = 2
    status: int = 503
    reason: str = "rateLimitExceeded"
    latency_ms: int = 0
    seconds: float = 30.0
    mode: str = "delay"
    hits: int = 0
    id: str = field(default_factory=lambda: ids.guid()[:8])

    def matches(self, endpoint: str, account: str | None, provider: str) -> bool:
        if self.provider and self.provider != provider:
            return False
        if self.account and (account or "").lower() != self.account.lower():
            return False
        patterns = self.endpoints or API_ENDPOINTS
        if not any(fnmatchcase(endpoint, p) for p in patterns):
            return False
        if self.kind == "timeout_after_write" and endpoint not in WRITE_ENDPOINTS:
            return False
        # Google's 403 quota error has no Microsoft counterpart worth pretending.
        return not (self.kind == "quota_exceeded" and provider != "google")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fault_from_spec(spec: dict[str, Any]) -> Fault:
    """A request fault from its JSON description; `ValueError` on an unknown kind or key."""
    kind = spec.get("kind")
    if kind not in REQUEST_FAULTS:
        raise ValueError(f"unknown request fault kind {kind!r}")
    known = set(Fault.__dataclass_fields__) - {"hits", "id"}
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"unknown fault fields {sorted(unknown)}")
    endpoints = spec.get("endpoints")
    if isinstance(endpoints, str):
        spec = {**spec, "endpoints": [endpoints]}
    fault = Fault(**spec)
    if fault.kind == "server_error" and fault.status not in (500, 502, 503, 504):
        raise ValueError("server_error status must be 500, 502, 503 or 504")
    if fault.times is not None and fault.times < 1:
        raise ValueError("times must be at least 1 (or null for until cleared)")
    return fault


@dataclass
class Triggered:
    """What the matching faults ask of one request."""

    error: Fault | None = None
    latency_ms: int = 0
    after_write: Fault | None = None


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def trigger(self, endpoint: str, account: str | None, provider: str) -> Triggered:
        """Consume the faults that match this request and say what they ask for.

        Latency faults add up; of the error faults, the oldest wins and only it is
        consumed, so two queued errors fail two successive requests.
        """
        result = Triggered()
        if not self._faults:
            return result
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(endpoint, account, provider):
                    continue
                if fault.kind == "latency":
                    result.latency_ms += fault.latency_ms
                elif fault.kind == "timeout_after_write":
                    if result.after_write is not None or result.error is not None:
                        continue
                    result.after_write = fault
                elif result.error is None and result.after_write is None:
                    result.error = fault
                else:
                    continue
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
        return result
