"""The demo connects Northwind to the emulated Google Workspace and syncs real busy times."""

import json
from pathlib import Path

from django.core.management import call_command

from calendars import selectors
from calendars.models import BusyBlock, OrganizationIntegration
from programs.models import User

DEMO_FIXTURE = Path(__file__).resolve().parents[2] / "emulator" / "fixtures" / "together-demo.json"


def test_the_demo_integrates_the_organization_through_the_emulator(
    emulator, settings, db, capsys, django_capture_on_commit_callbacks
):
    emulator.reset(json.loads(DEMO_FIXTURE.read_text()))
    settings.CALENDAR_EMULATOR_URL = emulator.base

    # The first sync is enqueued after the demo's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")

    assert "connected to Google Workspace (emulated), domain-wide" in capsys.readouterr().out
    integration = OrganizationIntegration.objects.get(organization__slug="northwind")
    assert integration.status == OrganizationIntegration.Status.ACTIVE
    assert integration.consented_by.email == "programs@northwind.example"
    ada = User.objects.get(email="ada@northwind.example")
    jamal = User.objects.get(email="jamal@northwind.example")
    assert BusyBlock.objects.filter(user=ada).count() > 20
    assert selectors.insight_for(ada) == "organization"
    # Jamal has no calendar the organization's grant can read: the demo shows reduced insight too.
    assert not BusyBlock.objects.filter(user=jamal).exists()


def test_the_demo_says_plainly_when_no_emulator_is_configured(settings, db, capsys):
    settings.CALENDAR_EMULATOR_URL = ""
    call_command("demo")
    assert "the demo has no calendar insight" in capsys.readouterr().out
    assert not OrganizationIntegration.objects.exists()
