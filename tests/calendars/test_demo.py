"""The demo integrates its organizations through the emulator: Northwind domain-wide with
Google Workspace, Contoso domain-wide with Microsoft 365; Tailspin's people connect personal
Google and Outlook.com calendars themselves (its work accounts are not approved), and Sofia's
connection is broken, with its To-Do."""

import json
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase

from calendars import selectors, services
from calendars.models import BusyBlock, CalendarConnection, OrganizationIntegration
from programs.models import User
from programs.selectors import todos_for
from tests.calendars.test_google_individual import follow_back, start_connect

DEMO_FIXTURE = Path(__file__).resolve().parents[2] / "emulator" / "fixtures" / "together-demo.json"


@pytest.fixture
def demo_loaded(emulator, settings, db, capsys, django_capture_on_commit_callbacks):
    """`manage.py demo` against the emulator loaded with the demo's world; its output."""
    emulator.reset(json.loads(DEMO_FIXTURE.read_text()))
    settings.CALENDAR_EMULATOR_URL = emulator.base
    # The demo's OAuth clients (scripts/demo.sh sets the same).
    settings.GOOGLE_OAUTH_CLIENT_ID = "together-demo.apps.googleusercontent.com"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "demo-google-client-secret"
    settings.MICROSOFT_CLIENT_ID = "6c1c5a53-4f4e-4b8e-9d1a-7b0f0e2a1d01"
    settings.MICROSOFT_CLIENT_SECRET = "demo-microsoft-client-secret"
    # The first syncs are enqueued after the demo's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    return capsys.readouterr().out


def _connect(client, emulator, provider: str, account: str):
    back = emulator.consent(start_connect(client, provider), account=account)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return follow_back(client, back)


def test_the_demo_integrates_the_organization_through_the_emulator(demo_loaded):
    assert "connected to Google Workspace (emulated), domain-wide" in demo_loaded
    integration = OrganizationIntegration.objects.get(organization__slug="northwind")
    assert integration.status == OrganizationIntegration.Status.ACTIVE
    assert integration.consented_by.email == "programs@northwind.example"
    ada = User.objects.get(email="ada@northwind.example")
    jamal = User.objects.get(email="jamal@northwind.example")
    assert BusyBlock.objects.filter(user=ada).count() > 20
    assert selectors.insight_for(ada) == "organization"
    # Jamal has no calendar the organization's grant can read: the demo shows reduced insight too.
    assert not BusyBlock.objects.filter(user=jamal).exists()


def test_the_demo_connects_contoso_to_microsoft_365_and_its_members_resolve(demo_loaded):
    assert "Contoso is connected to Microsoft 365 (emulated) by admin consent" in demo_loaded
    integration = OrganizationIntegration.objects.get(organization__slug="contoso")
    assert (integration.provider, integration.status) == ("microsoft", "active")
    assert integration.consented_by.email == "programs@contoso.example"
    assert integration.tenant_id and integration.consented_at
    # Mateo, Aroha and their program admin: every Contoso member resolves through Graph.
    assert integration.members_resolved == 3 and integration.members_failed == []
    for email in ("mateo@contoso.example", "aroha@contoso.example"):
        person = User.objects.get(email=email)
        assert selectors.insight_for(person) == "organization"
        assert BusyBlock.objects.filter(user=person, integration=integration).count() > 10


def test_tailspins_work_account_gets_the_not_approved_page_then_a_personal_google_works(
    demo_loaded, emulator, client
):
    nadia = User.objects.get(email="nadia@tailspin.example")
    assert selectors.insight_for(nadia) == "none"  # Tailspin has no domain-wide integration
    client.force_login(nadia)
    refused = _connect(client, emulator, "google", "nadia@tailspin.example")
    assert refused.status_code == 400
    assert b"has not approved this app" in refused.content
    assert not CalendarConnection.objects.filter(user=nadia).exists()

    _connect(client, emulator, "google", "nadia.rahman@gmail.example")
    connection = CalendarConnection.objects.get(user=nadia, provider="google")
    assert connection.account_email == "nadia.rahman@gmail.example"
    # The family's calendar is shared with her read-only: offered to check, never to write.
    rota = connection.calendars.get(name="Family rota")
    assert not rota.can_write and not rota.check_conflicts
    primary = connection.calendars.get(primary=True)
    services.calendar_choices_update(
        user=nadia, check_ids=[primary.pk, rota.pk], destination_id=primary.pk
    )
    services.sync_connection(connection_id=connection.pk)
    assert BusyBlock.objects.filter(user=nadia, calendar=rota).exists()
    assert selectors.insight_for(nadia) == "individual"


def test_owen_can_connect_his_outlook_com_calendar(demo_loaded, emulator, client):
    owen = User.objects.get(email="owen@tailspin.example")
    client.force_login(owen)
    _connect(client, emulator, "microsoft", "owen.price@outlook.example")
    connection = CalendarConnection.objects.get(user=owen)
    assert (connection.provider, connection.status) == ("microsoft", "active")
    assert connection.account_email == "owen.price@outlook.example"
    assert BusyBlock.objects.filter(user=owen).count() > 10


def test_sofias_revoked_google_connection_is_her_reconnect_todo(demo_loaded):
    sofia = User.objects.get(email="sofia@tailspin.example")
    connection = CalendarConnection.objects.get(user=sofia)
    assert (connection.provider, connection.account_email) == (
        "google",
        "sofia.costa@gmail.example",
    )
    assert connection.status == CalendarConnection.Status.NEEDS_RECONNECT
    assert [t.title for t in todos_for(sofia) if t.key == "reconnect-calendar"] == [
        "Reconnect your calendar"
    ]
    assert [m.subject for m in mail.outbox if m.to == [sofia.email]] == [
        "Action required: reconnect your calendar to Together"
    ]


def test_the_demo_prints_whom_to_sign_in_as_for_every_journey(demo_loaded):
    for heading in (
        "1. Domain-wide integration",
        "2. Individual integration",
        "3. Booking a 1:1 session",
        "4. Recurring sessions",
        "5. Groups",
        "6. After booking",
        "7. A broken connection",
        "8. My availability",
        "9. Reports (Django admin)",
    ):
        assert f" {heading}\n" in demo_loaded
    assert "nadia@tailspin.example       My Calendar › Connect Google" in demo_loaded
    assert "sofia@tailspin.example       home: the To-Do “Reconnect your calendar”" in demo_loaded


def test_the_demo_says_plainly_when_no_emulator_is_configured(settings, db, capsys):
    settings.CALENDAR_EMULATOR_URL = ""
    call_command("demo")
    assert "the demo has no calendar insight" in capsys.readouterr().out
    assert not OrganizationIntegration.objects.exists()
