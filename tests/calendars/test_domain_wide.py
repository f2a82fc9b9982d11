"""Domain-wide integrations: Google service account with delegation, Microsoft admin consent."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from calendars import selectors, services
from calendars.models import BusyBlock, OrganizationIntegration
from calendars.providers import google
from tests import factories
from tests.calendars.conftest import SERVICE_ACCOUNT
from tests.calendars.test_google_individual import follow_back


def connect_google_workspace(client, emulator, admin, *, delegate=True):
    client.force_login(admin)
    key = emulator.key_file(SERVICE_ACCOUNT["client_email"])
    client.post(reverse("calendars:org_google_key"), {"key": key})
    if delegate:
        emulator.control(
            "POST",
            "/delegations",
            {
                "org": "Northwind",
                "client_id": SERVICE_ACCOUNT["client_id"],
                "scopes": google.SCOPES,
            },
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("calendars:org_google_verify"))
    return (
        OrganizationIntegration.objects.filter(organization=admin.organization)
        .order_by("-pk")
        .first()
    )


def test_it_shows_the_client_id_and_exact_scopes_then_verifies_by_impersonating(
    emulator, client, priya_it, alice_mentee, bob_mentor
):
    emulator.add_events("alice@northwind.example", [{"start": "+1d 10:00", "duration": "1h"}])
    client.force_login(priya_it)
    client.post(
        reverse("calendars:org_google_key"),
        {"key": emulator.key_file(SERVICE_ACCOUNT["client_email"])},
    )
    page = client.get(reverse("calendars:org_integration")).content.decode()
    assert SERVICE_ACCOUNT["client_id"] in page
    assert "https://www.googleapis.com/auth/calendar" in page
    # Before the Admin console step, verification fails and nothing is active.
    client.post(reverse("calendars:org_google_verify"))
    integration = OrganizationIntegration.objects.get(organization=priya_it.organization)
    assert integration.status == "pending" and integration.last_error

    integration = connect_google_workspace(client, emulator, priya_it)
    assert integration.status == "active"
    assert integration.consented_by == priya_it and integration.consented_at
    assert BusyBlock.objects.filter(user=alice_mentee, integration=integration).count() == 1
    assert selectors.insight_for(alice_mentee) == "organization"
    assert selectors.connection_label(alice_mentee) == "Connected by your organization via Google"
    target = selectors.write_target_for(bob_mentor)
    assert target.provider_name == "google" and target.integration_id == integration.pk


def test_members_see_who_the_integration_is_with_instead_of_connect_buttons(
    emulator, client, priya_it, alice_mentee
):
    connect_google_workspace(client, emulator, priya_it)
    client.force_login(alice_mentee)
    page = client.get(reverse("calendars:my_calendar")).content.decode()
    assert "Connected by your organization via Google" in page
    assert "Connect Google" not in page and "Connect Outlook" not in page


def test_the_admin_sees_who_consented_and_which_members_fail(
    emulator, client, priya_it, alice_mentee
):
    factories.person(priya_it.organization, "ghost")  # no Google account behind this address
    integration = connect_google_workspace(client, emulator, priya_it)
    integration.refresh_from_db()
    assert integration.members_resolved == 2  # priya and alice
    assert [f["email"] for f in integration.members_failed] == ["ghost@northwind.example"]
    client.force_login(priya_it)
    page = client.get(reverse("calendars:org_integration")).content.decode()
    assert "ghost@northwind.example" in page and "2 of 3 members resolve" in page
    assert priya_it.display_name in page
    # When, on her own clock and named so (she is in Toronto, not UTC).
    local = integration.consented_at.astimezone(ZoneInfo(priya_it.time_zone))
    assert f"on {local:%Y-%m-%d %H:%M} ({priya_it.time_zone})." in page


def test_it_refuses_a_service_account_key_that_does_not_parse(emulator, client, priya_it):
    client.force_login(priya_it)
    for bad in [
        "not json",
        json.dumps({"type": "service_account"}),
        json.dumps(
            {
                "type": "service_account",
                "client_email": "a@b",
                "client_id": "1",
                "private_key": "nope",
            }
        ),
    ]:
        response = client.post(reverse("calendars:org_google_key"), {"key": bad}, follow=True)
        assert b"key" in response.content
    assert not OrganizationIntegration.objects.exists()


def test_it_stores_the_service_account_key_encrypted(emulator, client, priya_it):
    from django.db import connection

    connect_google_workspace(client, emulator, priya_it)
    with connection.cursor() as cursor:
        cursor.execute("SELECT service_account_key FROM calendars_organizationintegration")
        (raw,) = cursor.fetchone()
    assert "PRIVATE KEY" not in raw and raw.startswith("gAAAA")


def test_withdrawn_delegation_marks_the_integration_failed_and_degrades_insight(
    emulator, client, priya_it, alice_mentee
):
    from django.core import mail

    integration = connect_google_workspace(client, emulator, priya_it)
    emulator.control("POST", "/faults", {"kind": "withdraw_delegation", "org": "Northwind"})
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.sync_organization(integration_id=integration.pk)
        services.sync_organization(integration_id=integration.pk)
    integration.refresh_from_db()
    assert integration.status == "failed"
    assert [m.to for m in mail.outbox] == [[priya_it.email]]  # one email, to the consenting admin
    client.force_login(priya_it)
    home = client.get(reverse("home")).content
    assert (
        home.count(b"Fix your organization&#x27;s calendar integration")
        + home.count(b"Fix your organization's calendar integration")
        == 1
    )
    busy = selectors.busy_for([alice_mentee], timezone.now(), timezone.now() + dt.timedelta(days=3))
    assert busy[alice_mentee.pk].integrated is False


def test_google_domain_sync_uses_one_freebusy_query_per_50_members(emulator, client, priya_it):
    for i in range(60):
        factories.person(priya_it.organization, f"member{i}")
    emulator.control(
        "POST", "/accounts", [{"email": f"member{i}@northwind.example"} for i in range(60)]
    )
    integration = connect_google_workspace(client, emulator, priya_it)
    emulator.control("DELETE", "/counters")
    summary = services.sync_organization(integration_id=integration.pk)
    assert summary.resolved == 61
    # 61 calendars, 50 per query; the window (367 days: a year ahead plus today and
    # yesterday) in the 90-day spans freeBusy accepts: 2 × 5.
    assert emulator.counters().get("calendar.freebusy.query") == 2 * 5


def test_the_admin_can_disconnect_which_deletes_members_busy_data(
    emulator, client, priya_it, alice_mentee
):
    emulator.add_events("alice@northwind.example", [{"start": "+1d 10:00", "duration": "1h"}])
    integration = connect_google_workspace(client, emulator, priya_it)
    assert BusyBlock.objects.exists()
    # The first press only says what will happen, and changes nothing.
    members = services.members_covered_by(integration).count()
    asked = client.post(reverse("calendars:org_disconnect"))
    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"This stops reading busy times for all {members} members of Northwind" in page
    assert 'name="confirm" value="yes"' in page
    integration.refresh_from_db()
    assert integration.status == "active" and BusyBlock.objects.exists()
    assert selectors.insight_for(alice_mentee) != "none"
    client.post(reverse("calendars:org_disconnect"), {"confirm": "yes"})
    integration.refresh_from_db()
    assert integration.status == "disconnected" and integration.service_account_key == ""
    assert not BusyBlock.objects.exists()
    assert selectors.insight_for(alice_mentee) == "none"


# --- Microsoft 365 -------------------------------------------------------------------------


def admin_consent(client, emulator, admin, account):
    client.force_login(admin)
    response = client.post(reverse("calendars:org_microsoft_consent"))
    assert response.status_code == 302
    back = emulator.consent(response["Location"], account=account)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return follow_back(client, back)


def test_microsoft_admin_consent_integrates_every_member(emulator, client, carol_it, contoso):
    dan = factories.person(contoso, "dan")
    emulator.add_events(
        "dan@contoso.example",
        [
            {"start": "+1d 10:00", "duration": "1h", "show_as": "tentative"},
            {"start": "+1d 12:00", "duration": "1h", "show_as": "free"},
        ],
    )
    response = admin_consent(client, emulator, carol_it, "carol@contoso.example")
    assert response.status_code == 302, response.content[:400]
    integration = OrganizationIntegration.objects.get(organization=contoso)
    assert integration.status == "active" and integration.tenant_id
    assert list(BusyBlock.objects.filter(user=dan).values_list("kind", flat=True)) == ["tentative"]
    assert selectors.connection_label(dan) == "Connected by your organization via Microsoft"


def test_it_refuses_a_consent_from_another_organizations_tenant(
    emulator, client, carol_it, contoso
):
    response = admin_consent(client, emulator, carol_it, "frank@fabrikam.example")
    assert response.status_code == 400
    assert b"different Microsoft 365 organization" in response.content
    assert not OrganizationIntegration.objects.exists()


def test_it_refuses_an_admin_consent_callback_with_a_foreign_state(emulator, client, carol_it):
    client.force_login(carol_it)
    response = client.get(
        reverse("calendars:org_microsoft_callback"),
        {
            "tenant": "0c0c0c0c-1111-2222-3333-444444444444",
            "admin_consent": "True",
            "state": "forged",
        },
    )
    assert response.status_code == 400
    assert not OrganizationIntegration.objects.exists()


def test_graph_domain_sync_uses_one_getschedule_per_20_members(emulator, client, carol_it, contoso):
    for i in range(45):
        factories.person(contoso, f"m{i}")
    emulator.control("POST", "/accounts", [{"email": f"m{i}@contoso.example"} for i in range(45)])
    admin_consent(client, emulator, carol_it, "carol@contoso.example")
    integration = OrganizationIntegration.objects.get(organization=contoso)
    emulator.control("DELETE", "/counters")
    summary = services.sync_organization(integration_id=integration.pk)
    assert summary.resolved == 46
    # 46 mailboxes, 20 per request; the 367-day window in spans under 62 days: 3 × 7.
    assert emulator.counters().get("graph.getSchedule") == 3 * 7


def test_busy_data_stays_within_its_organization(
    emulator, client, priya_it, alice_mentee, carol_outsider
):
    emulator.add_events("carol@contoso.example", [{"start": "+1d 10:00", "duration": "1h"}])
    integration = connect_google_workspace(client, emulator, priya_it)
    covered = set(services.members_covered_by(integration).values_list("email", flat=True))
    assert "carol@contoso.example" not in covered
    assert not BusyBlock.objects.filter(user=carol_outsider).exists()
    busy = selectors.busy_for(
        [carol_outsider], timezone.now(), timezone.now() + dt.timedelta(days=3)
    )
    assert busy[carol_outsider.pk].integrated is False


def test_a_working_grant_resumes_invites_that_waited_for_it(
    emulator, client, priya_it, alice_mentee, monkeypatch
):
    import scheduling.services

    resumed = []
    monkeypatch.setattr(
        scheduling.services, "invites_resume", lambda *, user_ids: resumed.extend(user_ids) or 0
    )
    connect_google_workspace(client, emulator, priya_it)
    assert alice_mentee.pk in resumed
