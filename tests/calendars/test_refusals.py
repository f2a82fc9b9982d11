"""What calendars/ refuses reaches people as the shared refusal kinds (programs.errors), never as
a bare ValueError that each view must remember to catch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calendars import services
from calendars.errors import CalendarInputInvalid, CalendarRefused
from programs.errors import Invalid, Refused

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"


def test_calendar_refusals_are_the_shared_kinds():
    assert issubclass(CalendarRefused, Refused)
    assert issubclass(CalendarInputInvalid, Invalid)


def test_no_calendar_service_or_provider_refuses_with_a_bare_value_error():
    offenders = [
        f"{path.relative_to(CALENDARS)}:{n}"
        for path in sorted(CALENDARS.rglob("*.py"))
        if "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"raise ValueError\(", line)
        # An unknown provider name is a programming error, and a secret that will not
        # decrypt a deployment error: neither is something a person did.
        and "unknown provider" not in line
        and path.name != "crypto.py"
    ]
    assert offenders == []


def test_a_key_file_that_does_not_parse_is_invalid_input_and_nothing_is_stored(priya_it):
    from calendars.models import OrganizationIntegration

    with pytest.raises(CalendarInputInvalid):
        services.organization_google_start(
            organization=priya_it.organization, admin=priya_it, key_json='{"type": "user"}'
        )
    assert not OrganizationIntegration.objects.exists()
