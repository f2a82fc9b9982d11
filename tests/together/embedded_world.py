"""A small world for the embedded worker test, built inside `manage.py shell` of a child
process (the test's own database is in memory; the worker needs a file it can open too).

Northwind (the demo's emulated Google Workspace) is connected domain-wide, and Ada and Ben
have a session starting in about two hours, inside both people's bookable hours.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from calendars import services as calendar_services
from programs import availability, services
from programs.demo_data import DEMO_WEEK
from programs.models import Program
from scheduling import services as booking
from scheduling.policy import STEP_MINUTES as SLOT_STEP_MINUTES

# Ada and Ben have set the demo people's week, the same hours every day (this world is built
# on the real date, which may be a weekend, where the default weekday hours would not book).
BOOKABLE_HOURS = DEMO_WEEK[0][0]

ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata", "America/Los_Angeles"]


def _start_in_about_two_hours() -> tuple[dt.datetime, str]:
    """A step-aligned start ~2 h ahead and a zone where the hour-long session is daytime."""
    now = timezone.now().replace(second=0, microsecond=0)
    start = now + dt.timedelta(hours=2, minutes=SLOT_STEP_MINUTES - now.minute % SLOT_STEP_MINUTES)
    for zone in ZONES:
        local = start.astimezone(ZoneInfo(zone))
        if BOOKABLE_HOURS[0].hour + 1 <= local.hour < BOOKABLE_HOURS[1].hour - 2:
            return start, zone
    raise AssertionError(f"no zone in {ZONES} has daytime at {start}")


def seed(key_path: str) -> None:
    start, zone = _start_in_about_two_hours()
    with transaction.atomic():
        org = services.organization_create(
            name="Northwind", slug="northwind", domains=["northwind.example"]
        )
        ada, ben, admin = (
            services.user_create(
                email=f"{local}@northwind.example",
                organization=org,
                time_zone=zone,
                first_name=local.capitalize(),
                last_name="Example",
                password="embedded-worker",
            )
            for local in ("ada", "ben", "programs")
        )
        today = timezone.now().date()
        program = services.program_create(
            organization=org,
            name="Mentoring",
            kind=Program.Kind.ONE_TO_ONE,
            starts_on=today - dt.timedelta(days=7),
            ends_on=today + dt.timedelta(days=60),
        )
        for person in (ada, ben):
            availability.weekly_hours_set(user=person, week=DEMO_WEEK)
        match = services.match_create(program=program, mentee=ada, mentor=ben)
        integration = calendar_services.organization_google_start(
            organization=org, admin=admin, key_json=Path(key_path).read_text()
        )
        assert calendar_services.organization_google_verify(integration=integration, member=ada)
        booking.session_book(match_or_group=match, start=start, duration=60, booked_by=ada)
