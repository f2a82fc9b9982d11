"""Calendar fixtures: a real Radicale CalDAV server, and the provider emulator when present."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import niquests
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Radicale:
    def __init__(self, url: str, users: dict[str, str]) -> None:
        self.url = url
        self.users = users

    def make_calendar(self, user: str, name: str, components: list[str] | None = None) -> str:
        import caldav

        client = caldav.DAVClient(
            url=self.url,
            username=user,
            password=self.users[user],
            enable_rfc6764=False,
            require_tls=False,
        )
        cal = client.principal().make_calendar(
            name=name, supported_calendar_component_set=components
        )
        return str(cal.url)

    def put_event(self, user: str, calendar_url: str, ical: str) -> None:
        import caldav

        client = caldav.DAVClient(
            url=self.url,
            username=user,
            password=self.users[user],
            enable_rfc6764=False,
            require_tls=False,
        )
        client.calendar(url=calendar_url).save_event(ical)


@pytest.fixture(scope="session")
def radicale(tmp_path_factory) -> Radicale:
    """A real Radicale server on a free port with htpasswd (plain) auth; fails loudly."""
    root: Path = tmp_path_factory.mktemp("radicale")
    users = {"alice@northwind.example": "app-password-1", "bob@northwind.example": "pw-2"}
    htpasswd = root / "users"
    htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(root / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(htpasswd),
            "--auth-htpasswd-encryption",
            "plain",
            "--logging-level",
            "warning",
        ],
        # A file, not a pipe: an unread pipe would block Radicale once it filled up.
        stdout=(root / "radicale.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 15
    while True:
        if proc.poll() is not None:
            log = (root / "radicale.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Radicale exited: {log}")
        try:
            niquests.get(url, timeout=1)
            break
        except Exception:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("Radicale did not start within 15 s") from None
            time.sleep(0.1)
    yield Radicale(url, users)
    proc.terminate()
    proc.wait(timeout=10)


# --- The provider emulator (in-process, free ports, TLS with its own CA) -------------------

GOOGLE_CLIENT = {
    "provider": "google",
    "client_id": "together-google.apps",
    "client_secret": "g-secret",
}
MS_CLIENT = {
    "provider": "microsoft",
    "client_id": "11111111-2222-3333-4444-555555555555",
    "client_secret": "m-secret",
}
SERVICE_ACCOUNT = {
    "client_email": "together-sync@northwind-it.iam.gserviceaccount.com",
    "client_id": "104242424242424242424",
}
CONTOSO_TENANT = "0c0c0c0c-1111-2222-3333-444444444444"
FABRIKAM_TENANT = "fabfabfa-1111-2222-3333-444444444444"

BASE_FIXTURE = {
    "clients": [GOOGLE_CLIENT, MS_CLIENT],
    "service_accounts": [SERVICE_ACCOUNT],
    "organizations": [
        {"name": "Northwind", "provider": "google", "domains": ["northwind.example"]},
        {
            "name": "Contoso",
            "provider": "microsoft",
            "domains": ["contoso.example"],
            "tenant_id": CONTOSO_TENANT,
        },
        {
            "name": "Fabrikam",
            "provider": "microsoft",
            "domains": ["fabrikam.example"],
            "tenant_id": FABRIKAM_TENANT,
        },
        {
            "name": "Blocked Ltd",
            "provider": "google",
            "domains": ["blocked.example"],
            "block_unapproved_apps": True,
        },
    ],
    "accounts": [
        {"email": "alice@northwind.example", "time_zone": "Europe/London", "admin": False},
        {"email": "bob@northwind.example", "time_zone": "America/New_York"},
        {"email": "priya@northwind.example", "time_zone": "America/Toronto", "admin": True},
        {"email": "carol@contoso.example", "time_zone": "Asia/Kolkata", "admin": True},
        {"email": "dan@contoso.example", "time_zone": "UTC"},
        {"email": "frank@fabrikam.example", "time_zone": "UTC", "admin": True},
        {"email": "zoe@blocked.example", "time_zone": "UTC"},
    ],
}


class EmulatorHandle:
    """A running emulator plus the control calls the tests use."""

    def __init__(self, server) -> None:
        self.server = server
        self.base = server.tls_base_url
        self.ca = str(server.ca_path)
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = self.ca
        # The emulator may close an idle kept-alive connection just as the test reuses it
        # ("Remote end closed connection without response"): idempotent control calls (GET)
        # are sent again; a POST is not, so a fault set or an event added is never doubled.
        retry = Retry(total=2, connect=2, read=2, status=0, allowed_methods={"GET", "HEAD"})
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def control(self, method: str, path: str, body=None):
        resp = self.session.request(method, self.base + "/_emulator" + path, json=body, timeout=10)
        assert resp.status_code < 400, resp.text
        return resp.json() if resp.content else None

    def reset(self, fixture: dict) -> None:
        self.control("POST", "/reset", {"fixture": fixture})

    def add_events(
        self, account: str, events: list[dict], calendar: str | None = None
    ) -> list[str]:
        body = {"account": account, "events": events}
        if calendar:
            body["calendar"] = calendar
        return self.control("POST", "/events", body)

    def fault(self, **spec):
        return self.control("POST", "/faults", spec)

    def counters(self) -> dict:
        return self.control("GET", "/counters")["counters"]

    def written(self) -> list:
        return self.control("GET", "/written-events")["events"]

    def key_file(self, email: str) -> str:
        resp = self.session.get(f"{self.base}/_emulator/service-accounts/{email}/key", timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.text

    def consent(
        self, auth_url: str, *, account: str, decision: str = "accept", untick: tuple = ()
    ) -> str:
        """Drive the emulator's consent page like a person would; returns the redirect URL."""
        import re
        from html import unescape

        page = self.session.get(auth_url, timeout=10, allow_redirects=False)
        assert page.status_code == 200, page.text[:500]
        html = page.text
        action = unescape(re.search(r"<form method='post' action='([^']+)'", html).group(1))
        txn = unescape(re.search(r"name='txn' value='([^']+)'", html).group(1))
        scopes = [unescape(s) for s in re.findall(r"name='scope' value='([^']+)'", html)]
        form = [("txn", txn), ("account", account), ("decision", decision)]
        form += [("scope", s) for s in scopes if s not in untick]
        resp = self.session.post(self.base + action, data=form, timeout=10, allow_redirects=False)
        if resp.status_code in (301, 302, 303):
            return resp.headers["location"]
        # Error pages carry a link back to the app (e.g. admin_policy_enforced).
        match = re.search(r"href='([^']+)'", resp.text) or re.search(r'href="([^"]+)"', resp.text)
        assert match, resp.text[:500]
        return unescape(match.group(1))


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory):
    from emulator.app import Emulator
    from emulator.server import EmulatorServer

    state = tmp_path_factory.mktemp("emulator")
    server = EmulatorServer(Emulator(state_dir=state), state_dir=state).start()
    yield EmulatorHandle(server)
    server.stop()


@pytest.fixture
def emulator(emulator_server, settings):
    """The emulator reset to the base fixture, and Together's settings pointing at it."""
    emulator_server.reset(BASE_FIXTURE)
    base = emulator_server.base
    settings.GOOGLE_OAUTH_CLIENT_ID = GOOGLE_CLIENT["client_id"]
    settings.GOOGLE_OAUTH_CLIENT_SECRET = GOOGLE_CLIENT["client_secret"]
    settings.GOOGLE_OAUTH_AUTH_URI = base + "/o/oauth2/v2/auth"
    settings.GOOGLE_OAUTH_TOKEN_URI = base + "/token"
    settings.GOOGLE_REVOKE_URI = base + "/revoke"
    settings.GOOGLE_CALENDAR_API_ENDPOINT = base + "/calendar/v3/"
    settings.MICROSOFT_CLIENT_ID = MS_CLIENT["client_id"]
    settings.MICROSOFT_CLIENT_SECRET = MS_CLIENT["client_secret"]
    settings.MICROSOFT_AUTHORITY_HOST = base
    settings.MICROSOFT_GRAPH_URL = base + "/v1.0"
    settings.CALENDAR_CA_BUNDLE = emulator_server.ca
    settings.CALENDAR_RETRY_BASE_SECONDS = 0.01
    from calendars.providers import microsoft

    microsoft._msal_app.cache_clear()
    yield emulator_server
    microsoft._msal_app.cache_clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Tests here create many members; password hashing is not what they test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def priya_it(northwind):
    """Northwind's IT admin (staff)."""
    from tests import factories

    return factories.person(northwind, "priya", time_zone="America/Toronto", staff=True)


@pytest.fixture
def carol_it(contoso):
    """Contoso's IT admin (staff)."""
    from tests import factories

    return factories.person(contoso, "carol", time_zone="Asia/Kolkata", staff=True)


# --- Browser (Playwright on Debian's Chromium) ------------------------------------------

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser_page(chromium):
    """A Chromium page; the emulator's pages are trusted despite its test CA."""
    # The emulator's TLS certificate comes from a test CA the browser does not know.
    context = chromium.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
