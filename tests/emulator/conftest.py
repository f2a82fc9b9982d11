"""One emulator for the whole emulator suite, reset to a known world before each test.

The world: Northwind (Google Workspace, delegates to our service account), Tailspin
(Google Workspace that has not approved our app), Contoso (Microsoft 365, admin consent
granted), Litware (Microsoft 365, no consent yet), Fabrikam (Microsoft 365, user consent
needs an admin). Events sit at fixed offsets from "now" in each person's zone.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from emulator.signing import new_key_pair
from emulator.testing import RunningEmulator, running_emulator

GOOGLE_CLIENT_ID = "together-test.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "google-test-secret"
MS_CLIENT_ID = "0b5c2d3e-1111-4222-8333-944455566677"
MS_CLIENT_SECRET = "ms-test-secret"
SA_EMAIL = "sync@together-test.iam.gserviceaccount.com"
SA_CLIENT_ID = "112233445566778899001"
CAL = "https://www.googleapis.com/auth/calendar"
REDIRECT = "https://app.example/oauth/callback"
CONTOSO_TENANT = "11111111-aaaa-4bbb-8ccc-000000000001"
LITWARE_TENANT = "11111111-aaaa-4bbb-8ccc-000000000002"
FABRIKAM_TENANT = "11111111-aaaa-4bbb-8ccc-000000000003"

ALICE_MENTEE = "alice@northwind.example"
BOB_MENTOR = "bob@northwind.example"
CAROL_TAILSPIN = "carol@tailspin.example"
DANA_MENTOR = "dana@contoso.example"
EVE_MENTEE = "eve@contoso.example"
CONTOSO_ADMIN = "it@contoso.example"
LEO_LITWARE = "leo@litware.example"
LITWARE_ADMIN = "admin@litware.example"
FRANK_FABRIKAM = "frank@fabrikam.example"

_PRIVATE_KEY, _PUBLIC_KEY = new_key_pair()


def world() -> dict[str, Any]:
    return {
        "clients": [
            {
                "provider": "google",
                "client_id": GOOGLE_CLIENT_ID,
                "client_secret": GOOGLE_CLIENT_SECRET,
                "name": "Together",
            },
            {
                "provider": "microsoft",
                "client_id": MS_CLIENT_ID,
                "client_secret": MS_CLIENT_SECRET,
                "name": "Together",
            },
        ],
        "service_accounts": [
            {
                "client_email": SA_EMAIL,
                "client_id": SA_CLIENT_ID,
                "public_key_pem": _PUBLIC_KEY,
                "private_key_pem": _PRIVATE_KEY,
            },
        ],
        "organizations": [
            {
                "name": "Northwind",
                "provider": "google",
                "domains": ["northwind.example"],
                "delegations": [
                    {"client_id": SA_CLIENT_ID, "scopes": [CAL, CAL + ".readonly", CAL + ".events"]}
                ],
            },
            {
                "name": "Tailspin",
                "provider": "google",
                "domains": ["tailspin.example"],
                "block_unapproved_apps": True,
            },
            {
                "name": "Contoso",
                "provider": "microsoft",
                "domains": ["contoso.example"],
                "tenant_id": CONTOSO_TENANT,
                "admin_consents": [
                    {"client_id": MS_CLIENT_ID, "roles": ["Calendars.ReadWrite", "User.Read.All"]}
                ],
            },
            {
                "name": "Litware",
                "provider": "microsoft",
                "domains": ["litware.example"],
                "tenant_id": LITWARE_TENANT,
            },
            {
                "name": "Fabrikam",
                "provider": "microsoft",
                "domains": ["fabrikam.example"],
                "tenant_id": FABRIKAM_TENANT,
                "user_consent_requires_admin": True,
            },
        ],
        "accounts": [
            {
                "email": ALICE_MENTEE,
                "name": "Alice Mentee",
                "time_zone": "Europe/London",
                "calendars": [
                    {
                        "name": "Alice",
                        "primary": True,
                        "events": [
                            {
                                "id": "busy0meeting",
                                "summary": "Busy",
                                "start": "+1d 10:00",
                                "duration": "1h",
                            },
                            {
                                "summary": "Free focus",
                                "start": "+1d 12:00",
                                "duration": "1h",
                                "show_as": "free",
                            },
                            {
                                "summary": "Tentative",
                                "start": "+1d 14:00",
                                "duration": "30m",
                                "show_as": "tentative",
                            },
                            {
                                "summary": "Out of office",
                                "start": "+1d 15:00",
                                "duration": "1h",
                                "show_as": "oof",
                            },
                            {
                                "summary": "Declined",
                                "start": "+1d 17:00",
                                "duration": "1h",
                                "response": "declined",
                            },
                            {"summary": "All day", "start": "+2d"},
                            {"summary": "Multi-day", "start": "+4d", "days": 2},
                            {
                                "summary": "Cancelled",
                                "start": "+1d 18:00",
                                "duration": "1h",
                                "status": "cancelled",
                            },
                            {
                                "id": "weekly0standup",
                                "summary": "Weekly",
                                "start": "+7d 09:00",
                                "duration": "30m",
                                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
                                "exceptions": [
                                    {"index": 1, "cancelled": True},
                                    {"index": 2, "start": "+21d 13:00", "end": "+21d 13:30"},
                                ],
                            },
                        ],
                    },
                    {"name": "Side project", "id": "side0alice@group.calendar.google.com"},
                ],
            },
            {
                "email": BOB_MENTOR,
                "name": "Bob Mentor",
                "time_zone": "America/New_York",
                "calendars": [
                    {
                        "name": "Bob",
                        "primary": True,
                        "events": [{"summary": "Bob busy", "start": "+1d 09:00", "duration": "1h"}],
                    },
                    {
                        "name": "Team holidays",
                        "id": "holidays0bob@group.calendar.google.com",
                        "shared_with": {ALICE_MENTEE: "reader"},
                        "events": [{"summary": "Holiday", "start": "+3d"}],
                    },
                ],
            },
            {"email": CAROL_TAILSPIN, "name": "Carol Tailspin", "time_zone": "UTC"},
            {
                "email": DANA_MENTOR,
                "name": "Dana Mentor",
                "time_zone": "Europe/Madrid",
                "calendars": [
                    {
                        "name": "Calendar",
                        "primary": True,
                        "id": "AAMkDana0Primary",
                        "events": [
                            {"summary": "Busy", "start": "+1d 10:00", "duration": "1h"},
                            {
                                "summary": "Tentative",
                                "start": "+1d 11:00",
                                "duration": "30m",
                                "show_as": "tentative",
                            },
                            {
                                "summary": "Away",
                                "start": "+1d 13:00",
                                "duration": "1h",
                                "show_as": "oof",
                            },
                            {
                                "summary": "Elsewhere",
                                "start": "+1d 15:00",
                                "duration": "1h",
                                "show_as": "workingElsewhere",
                            },
                            {
                                "summary": "Free",
                                "start": "+1d 16:00",
                                "duration": "1h",
                                "show_as": "free",
                            },
                            {
                                "summary": "Declined",
                                "start": "+1d 17:00",
                                "duration": "1h",
                                "response": "declined",
                            },
                            {
                                "summary": "Weekly",
                                "start": "+7d 09:00",
                                "duration": "30m",
                                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
                            },
                        ],
                    },
                ],
            },
            {
                "email": EVE_MENTEE,
                "name": "Eve Mentee",
                "time_zone": "Europe/Madrid",
                "calendars": [
                    {"name": "Calendar", "primary": True, "id": "AAMkEve0Primary"},
                    {
                        "name": "Team rota",
                        "id": "AAMkEve0Shared",
                        "shared_with": {DANA_MENTOR: "reader"},
                        "events": [{"summary": "On call", "start": "+2d"}],
                    },
                ],
            },
            {"email": CONTOSO_ADMIN, "name": "Contoso IT", "admin": True},
            {"email": LEO_LITWARE, "name": "Leo Litware"},
            {"email": LITWARE_ADMIN, "name": "Litware Admin", "admin": True},
            {"email": FRANK_FABRIKAM, "name": "Frank Fabrikam"},
        ],
    }


@pytest.fixture(scope="session")
def emu() -> Any:
    with running_emulator(world()) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_world(emu: RunningEmulator) -> None:
    emu.control.reset()


def consent(
    page_url: str,
    *,
    verify: str | bool = True,
    account: str,
    decision: str = "accept",
    untick: tuple[str, ...] = (),
) -> requests.Response:
    """Drive a provider consent page as a person would: load it, pick, submit.

    Returns the response to the submission (a redirect to the app, or an error page).
    """
    # verify per request: REQUESTS_CA_BUNDLE would override a session-wide setting.
    session = requests.Session()
    page = session.get(page_url, timeout=10, verify=verify)
    assert page.status_code == 200, page.text
    txn = re.search(r"name='txn' value='([^']+)'", page.text)
    assert txn, page.text
    action = re.search(r"action='([^']+)'", page.text)
    assert action
    scopes = [s for s in re.findall(r"name='scope' value='([^']+)'", page.text) if s not in untick]
    target = urlparse(page_url)
    return session.post(
        f"{target.scheme}://{target.netloc}{action.group(1)}",
        data={"txn": txn.group(1), "account": account, "scope": scopes, "decision": decision},
        allow_redirects=False,
        timeout=10,
        verify=verify,
    )


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def returned(answer: requests.Response) -> dict[str, str]:
    """What the provider sent back to the app: a redirect's query or a form_post's fields."""
    if answer.status_code == 302:
        return query_of(answer.headers["location"])
    assert answer.status_code == 200, answer.text
    fields = dict(re.findall(r"name='([^']+)' value='([^']*)'", answer.text))
    return {k: html.unescape(v) for k, v in fields.items()}
