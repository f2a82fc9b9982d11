"""Demo extension: the demo organizations' calendars, through the provider emulator.

`scripts/demo.sh` starts the emulator with emulator/fixtures/together-demo.json and sets
CALENDAR_EMULATOR_URL. Here, with the real Google and Microsoft client libraries:

- Northwind's IT admin "uploads" the emulator's service-account key and verification
  impersonates a member (Google Workspace, domain-wide delegation);
- Contoso's IT admin granted admin consent in its Microsoft 365 tenant (the fixture holds
  the grant): client credentials are proved and every member resolves through Graph;
- Sofia (Tailspin) connected her personal Google calendar a while ago (the authorization-
  code flow, driven the way her browser did), and has since revoked Together's access from
  her Google account: the next sync marks it broken, so she has a To-Do and an email.

The first syncs run after the demo's transaction commits. Only `manage.py demo` calls this.
"""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import requests
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.urls import reverse

from calendars.errors import CalendarRefused

DEMO_SERVICE_ACCOUNT = "together-sync@together-demo.iam.gserviceaccount.com"
# Contoso's Microsoft 365 tenant in the emulator's fixture.
CONTOSO_TENANT = "3f2a1c9e-5b7d-4e8a-9c6f-1d2e3f4a5b6c"
SOFIA_GOOGLE = "sofia.costa@gmail.example"


class _Emulator:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        # The machine's REQUESTS_CA_BUNDLE must not replace the emulator's CA.
        self.http.trust_env = False
        self.http.verify = settings.CALENDAR_CA_BUNDLE or True

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base + path, timeout=10)
        response.raise_for_status()
        return response

    def post(self, path: str, body: dict) -> None:
        self.http.post(self.base + path, json=body, timeout=10).raise_for_status()

    def consent(self, auth_url: str, *, account: str) -> dict[str, str]:
        """What the person's browser does on the provider's sign-in page: pick the account,
        keep every permission, Allow. Returns the parameters of the redirect back."""
        page = self.http.get(auth_url, timeout=10)
        page.raise_for_status()
        action = unescape(re.search(r"<form method='post' action='([^']+)'", page.text)[1])
        txn = unescape(re.search(r"name='txn' value='([^']+)'", page.text)[1])
        form = [("txn", txn), ("account", account), ("decision", "accept")]
        form += [
            ("scope", unescape(s)) for s in re.findall(r"name='scope' value='([^']+)'", page.text)
        ]
        back = self.http.post(self.base + action, data=form, timeout=10, allow_redirects=False)
        if back.status_code not in (301, 302, 303):
            raise RuntimeError(f"the emulator's sign-in page did not send {account} back")
        return dict(parse_qsl(urlsplit(back.headers["location"]).query))


def demo_calendars(demo, *, out=print) -> None:
    from programs.demo_data import Journey

    emulator = settings.CALENDAR_EMULATOR_URL
    if not emulator:
        out(
            "Calendar emulator not configured (CALENDAR_EMULATOR_URL): the demo has no calendar insight."
        )
        return
    emu = _Emulator(emulator)
    try:
        key = emu.get(f"/_emulator/service-accounts/{DEMO_SERVICE_ACCOUNT}/key").json()
    except requests.RequestException as error:
        out(
            f"Calendar emulator not reachable at {emulator} ({error}); the demo has no calendar insight."
        )
        return
    _connect_northwind(demo, key, out)
    _connect_contoso(demo, out)
    _connect_sofia_then_revoke(demo, emu, out)

    people, admins = demo.people, demo.admins
    demo.journeys += [
        Journey(
            "1",
            "Domain-wide integration",
            [
                (
                    admins["northwind"].email,
                    "My Calendar › Organization calendar integration: Google Workspace, who "
                    "consented and when, members resolved, the one that fails (Jamal)",
                ),
                (
                    admins["contoso"].email,
                    "the same for Microsoft 365 (admin consent, client credentials via MSAL)",
                ),
                (
                    people["ada"].email,
                    "My Calendar says: connected by your organization via Google",
                ),
                (
                    people["mateo"].email,
                    "My Calendar says: connected by your organization via Microsoft",
                ),
            ],
        ),
        Journey(
            "2",
            "Individual integration",
            [
                (
                    people["nadia"].email,
                    "My Calendar › Connect Google › pick nadia@tailspin.example: "
                    "your organization has not approved this app",
                ),
                (
                    people["nadia"].email,
                    "then sign in with a different account: nadia.rahman@gmail.example; "
                    "tick the shared read-only “Family rota” to check it for conflicts",
                ),
                (
                    people["owen"].email,
                    "My Calendar › Connect Outlook › owen.price@outlook.example; "
                    "then Disconnect, or Reconnect",
                ),
            ],
        ),
        Journey(
            "7",
            "A broken connection",
            [
                (
                    people["sofia"].email,
                    "home: the To-Do “Reconnect your calendar” (she revoked access at Google; "
                    "the Action required email is in the console); Reconnect as "
                    f"{SOFIA_GOOGLE}; booking with Owen works meanwhile",
                ),
            ],
        ),
    ]


def _connect_northwind(demo, key: dict, out) -> None:
    from calendars import services

    integration = services.organization_google_start(
        organization=demo.organization, admin=demo.admins["northwind"], key_json=json.dumps(key)
    )
    if services.organization_google_verify(integration=integration, member=demo.people["ada"]):
        out(
            "Northwind is connected to Google Workspace (emulated), domain-wide; busy times sync after loading."
        )
    else:
        out(f"Domain-wide verification failed: {integration.last_error}")


def _connect_contoso(demo, out) -> None:
    from calendars import services

    try:
        services.organization_microsoft_complete(
            organization=demo.organizations["contoso"],
            admin=demo.admins["contoso"],
            tenant_id=CONTOSO_TENANT,
        )
    except CalendarRefused as error:
        out(f"Contoso's Microsoft 365 consent did not work: {error}")
        return
    out(
        "Contoso is connected to Microsoft 365 (emulated) by admin consent, domain-wide; "
        "busy times sync after loading."
    )


def _connect_sofia_then_revoke(demo, emu: _Emulator, out) -> None:
    from calendars import oauth, services
    from calendars.models import Provider

    sofia = demo.people["sofia"]
    # Her browser's session during the sign-in (never saved: nothing else reads it).
    browser_session = SessionBase()
    started = oauth.start(
        browser_session,
        user_id=sofia.pk,
        provider=Provider.GOOGLE,
        redirect_uri=settings.SITE_URL + reverse("calendars:oauth_callback", args=["google"]),
        login_hint=SOFIA_GOOGLE,
    )
    params = emu.consent(started.url, account=SOFIA_GOOGLE)
    grant = oauth.finish(browser_session, user_id=sofia.pk, provider=Provider.GOOGLE, params=params)
    connection = services.connection_upsert(user=sofia, grant=grant)

    def revoke_and_sync() -> None:
        # As if Sofia removed Together from her Google account's third-party access.
        emu.post("/_emulator/faults", {"kind": "revoke_tokens", "account": SOFIA_GOOGLE})
        services.sync_connection(connection_id=connection.pk)
        connection.refresh_from_db()
        out(
            f"Sofia connected {SOFIA_GOOGLE} (Google) herself, then revoked its access: "
            f"her connection is {connection.get_status_display().lower()}."
        )

    # After the first sync (queued by connection_upsert for after the commit).
    transaction.on_commit(revoke_and_sync)
