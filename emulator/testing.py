"""Starting the emulator from tests and scripts, and steering it while it runs.

    from emulator.testing import DEMO_FIXTURE, running_emulator

    with running_emulator(DEMO_FIXTURE) as emu:
        emu.google_api_endpoint      # hand to google-api-python-client's client_options
        emu.ms_authority("contoso.example"), emu.ca_path   # hand to MSAL
        emu.control.set_fault("rate_limit", account="ada@northwind.example", times=1)

`running_emulator` serves in a background thread of this process (fast to start, the
store is inspectable as ``emu.emulator.store``); `emulator_subprocess` runs
``python -m emulator`` as a child process (for a demo or a server under test in another
process). Both yield a `RunningEmulator`, and every control call goes over HTTP, so
code written against one works against the other.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from emulator.app import Emulator
from emulator.server import EmulatorServer

DEMO_FIXTURE = Path(__file__).parent / "fixtures" / "demo.json"


class PinnedCASession(requests.Session):
    """A requests session that verifies TLS against one CA file on every request.

    requests lets ``REQUESTS_CA_BUNDLE`` in the environment override ``Session.verify``,
    so the CA is passed per request instead. Hand one to MSAL as ``http_client``.
    """

    def __init__(self, ca_path: str | None) -> None:
        super().__init__()
        self.ca_path = ca_path

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("verify") in (None, True) and self.ca_path:
            kwargs["verify"] = self.ca_path
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, *args, **kwargs)


class ControlError(RuntimeError):
    """The emulator refused a control request; the message carries its reason."""


class ControlClient:
    """The ``/_emulator/`` control API as methods."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/") + "/_emulator"
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.session.request(
            method, self.base_url + path, json=body, params=params or None, timeout=self.timeout
        )
        if response.status_code >= 400:
            raise ControlError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    # -- the world ---------------------------------------------------------------------

    def reset(self, fixture: dict[str, Any] | None = None, *, empty: bool = False) -> None:
        """Forget everything and reload the startup fixture, `fixture`, or nothing."""
        body: dict[str, Any] = {"empty": empty}
        if fixture is not None:
            body["fixture"] = fixture
        self._call("POST", "/reset", body)

    def load_fixture(self, fixture: dict[str, Any] | str | Path) -> dict[str, int]:
        """Merge a fixture document (or the JSON file at a path) into the emulator."""
        if isinstance(fixture, str | Path):
            fixture = json.loads(Path(fixture).read_text())
        return self._call("POST", "/fixture", fixture)["loaded"]

    def add_client(self, **spec: Any) -> None:
        self._call("POST", "/clients", spec)

    def add_service_account(self, **spec: Any) -> None:
        self._call("POST", "/service-accounts", spec)

    def add_organization(self, **spec: Any) -> None:
        self._call("POST", "/organizations", spec)

    def add_account(self, **spec: Any) -> None:
        """An account (``email``, ``provider``, ``time_zone``, ``calendars``, ``events``...)."""
        self._call("POST", "/accounts", spec)

    def add_events(
        self, account: str, events: list[dict[str, Any]], calendar: str | None = None
    ) -> list[str]:
        """Fixture-style events on the account's primary (or the named) calendar; their ids."""
        body = {"account": account, "events": events, "calendar": calendar}
        return self._call("POST", "/events", body)["event_ids"]

    def grant_delegation(self, org: str, client_id: str, scopes: list[str]) -> None:
        self._call("POST", "/delegations", {"org": org, "client_id": client_id, "scopes": scopes})

    def grant_admin_consent(
        self, tenant: str, client_id: str, roles: list[str] | None = None
    ) -> None:
        self._call(
            "POST", "/admin-consents", {"tenant": tenant, "client_id": client_id, "roles": roles}
        )

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def calendars(self, account: str) -> list[dict[str, Any]]:
        """The account's calendars (owned first, then shared) with ids and roles."""
        for item in self.state()["accounts"]:
            if item["email"] == account.lower():
                return item["calendars"]
        raise ControlError(f"no account {account}")

    # -- faults and inspection ---------------------------------------------------------

    def set_fault(self, kind: str, **params: Any) -> dict[str, Any]:
        """A request fault (rate_limit, quota_exceeded, server_error, latency,
        timeout_after_write) or a state fault (revoke_tokens, remove_scopes,
        withdraw_delegation, revoke_admin_consent, expire_sync_tokens,
        expire_access_tokens). See the README for each kind's parameters."""
        return self._call("POST", "/faults", {"kind": kind, **params})["results"][0]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def written_events(self, **filters: Any) -> list[dict[str, Any]]:
        """Events created through the APIs, oldest first; filters: account, provider,
        client_id, include_deleted."""
        params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items()}
        return self._call("GET", "/written-events", **params)["events"]

    def counters(self) -> dict[str, int]:
        """Requests served per endpoint name (``calendar.freebusy.query``, ...)."""
        return self._call("GET", "/counters")["counters"]

    def reset_counters(self) -> None:
        self._call("DELETE", "/counters")

    def service_account_info(self, email: str) -> dict[str, Any]:
        """A key file dict for `google.oauth2.service_account.Credentials.from_service_account_info`."""
        return self._call("GET", f"/service-accounts/{email}/key")


@dataclass
class RunningEmulator:
    """Where a running emulator listens, and its control client."""

    base_url: str
    tls_base_url: str | None
    ca_path: str | None
    calendar_root: str = "/calendar/v3"
    graph_root: str = "/v1.0"
    emulator: Emulator | None = None
    control: ControlClient = field(init=False)

    def __post_init__(self) -> None:
        self.control = ControlClient(self.base_url)

    @property
    def google_api_endpoint(self) -> str:
        """For ``build("calendar", "v3", client_options={"api_endpoint": ...})``."""
        return f"{self.base_url}{self.calendar_root}/"

    @property
    def google_auth_uri(self) -> str:
        return f"{self.base_url}/o/oauth2/v2/auth"

    @property
    def google_token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def google_revoke_uri(self) -> str:
        return f"{self.base_url}/revoke"

    @property
    def google_userinfo_uri(self) -> str:
        return f"{self.base_url}/oauth2/v3/userinfo"

    @property
    def google_certs_uri(self) -> str:
        return f"{self.base_url}/oauth2/v1/certs"

    @property
    def ms_authority_host(self) -> str:
        """``https://127.0.0.1:<tls port>``: MSAL authorities are this plus ``/<tenant>``."""
        if not self.tls_base_url:
            raise RuntimeError("this emulator was started without TLS; MSAL needs https")
        return self.tls_base_url

    def ms_authority(self, tenant: str = "organizations") -> str:
        return f"{self.ms_authority_host}/{tenant}"

    @property
    def graph_base_url(self) -> str:
        return f"{self.ms_authority_host}{self.graph_root}"

    def session(self) -> PinnedCASession:
        """A requests session that trusts this emulator's CA (for MSAL's ``http_client``,
        Graph calls, or driving the consent pages)."""
        return PinnedCASession(self.ca_path)

    def https(self, path: str) -> str:
        """The same path on the TLS port (every path is served on both ports)."""
        return f"{self.ms_authority_host}{path}"


def _fixture_doc(fixture: dict[str, Any] | str | Path | None) -> dict[str, Any] | None:
    if fixture is None or isinstance(fixture, dict):
        return fixture
    return json.loads(Path(fixture).read_text())


@contextmanager
def running_emulator(
    fixture: dict[str, Any] | str | Path | None = None,
    *,
    tls: bool = True,
    state_dir: Path | None = None,
    calendar_root: str = "/calendar/v3",
    host: str = "127.0.0.1",
) -> Iterator[RunningEmulator]:
    """An emulator on free ports in a background thread of this process, stopped on exit.

    `fixture` (a dict or a JSON file) is loaded now and again on every ``reset()``.
    """
    emulator = Emulator(
        calendar_root=calendar_root, fixture=_fixture_doc(fixture), state_dir=state_dir
    )
    server = EmulatorServer(
        emulator, host=host, port=0, tls_port=0 if tls else None, state_dir=state_dir
    )
    server.start()
    try:
        yield RunningEmulator(
            base_url=server.base_url,
            tls_base_url=server.tls_base_url,
            ca_path=str(server.ca_path) if server.ca_path else None,
            calendar_root=emulator.calendar_root,
            graph_root=emulator.graph_root,
            emulator=emulator,
        )
    finally:
        server.stop()


@contextmanager
def emulator_subprocess(
    fixture: str | Path | None = None,
    *,
    port: int = 0,
    tls_port: int = 0,
    state_dir: Path | None = None,
    timeout: float = 30.0,
) -> Iterator[RunningEmulator]:
    """``python -m emulator`` as a child process on free (or given) ports."""
    command = [
        sys.executable,
        "-m",
        "emulator",
        "--json",
        "--port",
        str(port),
        "--tls-port",
        str(tls_port),
    ]
    if fixture is not None:
        command += ["--fixture", str(fixture)]
    if state_dir is not None:
        command += ["--state-dir", str(state_dir)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator exited with {process.wait(timeout)}")
        urls = json.loads(line)
        yield RunningEmulator(
            base_url=urls["base_url"],
            tls_base_url=urls["tls_base_url"],
            ca_path=urls["ca_path"],
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
