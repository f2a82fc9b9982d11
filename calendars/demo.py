"""Demo extension: connect the demo organization to the provider emulator, domain-wide.

`scripts/demo.sh` starts the emulator with emulator/fixtures/together-demo.json (the demo
people's Google Workspace calendars, busy times of every kind, and Northwind's delegation)
and sets CALENDAR_EMULATOR_URL. Here Northwind's IT admin "uploads" the emulator's
service-account key, verification impersonates a member, and the first sync fills the
busy-time cache through the real Google client libraries. Only `manage.py demo` calls this.
"""

from __future__ import annotations

import json

import requests
from django.conf import settings

DEMO_SERVICE_ACCOUNT = "together-sync@together-demo.iam.gserviceaccount.com"


def demo_calendars(demo, *, out=print) -> None:
    from calendars import services
    from programs.models import User

    emulator = settings.CALENDAR_EMULATOR_URL
    if not emulator:
        out(
            "Calendar emulator not configured (CALENDAR_EMULATOR_URL): the demo has no calendar insight."
        )
        return
    try:
        response = requests.get(
            f"{emulator}/_emulator/service-accounts/{DEMO_SERVICE_ACCOUNT}/key",
            verify=settings.CALENDAR_CA_BUNDLE or True,
            timeout=10,
        )
        response.raise_for_status()
    except requests.RequestException as error:
        out(
            f"Calendar emulator not reachable at {emulator} ({error}); the demo has no calendar insight."
        )
        return
    admin = User.objects.get(email=f"programs@{demo.organization.domains.first().domain}")
    integration = services.organization_google_start(
        organization=demo.organization, admin=admin, key_json=json.dumps(response.json())
    )
    if services.organization_google_verify(integration=integration, member=demo.people["ada"]):
        out(
            "Northwind is connected to Google Workspace (emulated), domain-wide; busy times sync after loading."
        )
    else:
        out(f"Domain-wide verification failed: {integration.last_error}")
