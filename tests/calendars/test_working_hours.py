"""Microsoft 365 working hours become a person's default bookable hours, read through the real
client path (MSAL token, Graph getSchedule) from the emulator, Windows zone names included."""

from __future__ import annotations

import copy
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from calendars import working_hours
from programs.models import MailboxHours
from scheduling import policy
from tests import factories
from tests.calendars.conftest import BASE_FIXTURE, CONTOSO_TENANT, MS_CLIENT
from tests.calendars.test_domain_wide import admin_consent

BERLIN, KOLKATA = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Kolkata")


@pytest.fixture
def dan(emulator, client, carol_it, contoso):
    """Dan lives in Kolkata but works Berlin hours, Monday to Thursday 08:00-16:30, as his
    mailbox says (its working hours name their zone the Windows way)."""
    emulator.control(
        "POST",
        "/accounts",
        [
            {
                "email": "dan@contoso.example",
                "time_zone": "Asia/Kolkata",
                "working_hours": ["08:00", "16:30"],
                "working_days": ["monday", "tuesday", "wednesday", "thursday"],
                "working_time_zone": "W. Europe Standard Time",
            }
        ],
    )
    dan = factories.person(contoso, "dan", time_zone="Asia/Kolkata")
    admin_consent(client, emulator, carol_it, "carol@contoso.example")
    return dan


def test_a_mailboxs_working_hours_become_the_default(dan):
    found = working_hours.refresh_if_stale(user=dan)
    assert found == working_hours.WorkingHours(
        weekdays=(0, 1, 2, 3), start=dt.time(8), end=dt.time(16, 30), time_zone="Europe/Berlin"
    )
    row = MailboxHours.objects.get(user=dan)
    assert (row.weekdays, row.time_zone) == ([0, 1, 2, 3], "Europe/Berlin")
    today = timezone.now().astimezone(KOLKATA).date()
    preview = dict(policy.week_preview(user=dan, first_day=today, days=7))
    for day, windows in preview.items():
        # The preview is on Dan's own (Kolkata) clock; his mailbox's hours are Berlin's.
        berlin_day = day  # Berlin 08:00-16:30 falls on the same date in Kolkata
        if berlin_day.weekday() < 4:
            start = dt.datetime.combine(berlin_day, dt.time(8), tzinfo=BERLIN)
            end = dt.datetime.combine(berlin_day, dt.time(16, 30), tzinfo=BERLIN)
            assert windows == [(start.astimezone(KOLKATA), end.astimezone(KOLKATA))], day
        else:
            assert windows == [], day
    # Read once a day at most: a second look asks Graph nothing.
    assert working_hours.refresh_if_stale(user=dan) is None


def test_my_availability_starts_from_the_mailboxs_hours(dan, client):
    client.force_login(dan)
    page = client.get(reverse("my_availability")).content.decode()
    assert "working hours of your Microsoft 365 mailbox (Europe/Berlin time)" in page
    assert 'name="day-0" value="08:00-16:30"' in page
    assert 'name="day-4" value=""' in page


def test_someone_who_set_their_own_week_keeps_it(dan):
    from programs import availability as hours

    hours.weekly_hours_set(user=dan, week={0: [(dt.time(9), dt.time(10))]})
    assert working_hours.refresh_if_stale(user=dan) is None
    assert not MailboxHours.objects.filter(user=dan).exists()


@pytest.mark.parametrize(
    ("name", "iana"),
    [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("India Standard Time", "Asia/Kolkata"),
        ("E. South America Standard Time", "America/Sao_Paulo"),
        ("New Zealand Standard Time", "Pacific/Auckland"),
        ("Europe/Madrid", "Europe/Madrid"),  # admins may configure IANA names
        ("Mars Standard Time", None),
        ("", None),
    ],
)
def test_zone_names_map_to_iana(name, iana):
    assert working_hours.iana_zone(name) == iana


@pytest.mark.parametrize(
    "resource",
    [
        None,
        {"daysOfWeek": "monday", "startTime": "08:00:00", "endTime": "16:00:00"},
        {
            "daysOfWeek": ["monday"],
            "startTime": "17:00:00",
            "endTime": "09:00:00",
            "timeZone": {"name": "UTC"},
        },
        {
            "daysOfWeek": ["monday"],
            "startTime": "08:00:00.0000000",
            "endTime": "16:00:00",
            "timeZone": {"name": "Mars Standard Time"},
        },
        {
            "daysOfWeek": [],
            "startTime": "08:00:00",
            "endTime": "16:00:00",
            "timeZone": {"name": "UTC"},
        },
    ],
)
def test_working_hours_that_make_no_sense_are_ignored(resource):
    assert working_hours.parse_working_hours(resource) is None


def test_hours_in_an_unknown_zone_change_nothing(emulator, client, carol_it, contoso):
    emulator.control(
        "POST",
        "/accounts",
        [{"email": "dan@contoso.example", "working_time_zone": "Mars Standard Time"}],
    )
    dan = factories.person(contoso, "dan", time_zone="UTC")
    admin_consent(client, emulator, carol_it, "carol@contoso.example")
    assert working_hours.refresh_if_stale(user=dan) is None
    assert not MailboxHours.objects.filter(user=dan).exists()


def test_the_emulators_mailbox_settings_answer_as_documented(emulator):
    import msal

    fixture = copy.deepcopy(BASE_FIXTURE)
    for spec in fixture["clients"]:
        if spec["provider"] == "microsoft":
            spec["application_permissions"] = ["Calendars.ReadWrite", "MailboxSettings.Read"]
    for org in fixture["organizations"]:
        if org["name"] == "Contoso":
            # The tenant's admin consented to the app, MailboxSettings.Read included.
            org["admin_consents"] = [{"client_id": MS_CLIENT["client_id"]}]
    fixture["accounts"].append(
        {"email": "erin@contoso.example", "time_zone": "America/Los_Angeles"}
    )
    emulator.reset(fixture)
    app = msal.ConfidentialClientApplication(
        MS_CLIENT["client_id"],
        client_credential=MS_CLIENT["client_secret"],
        authority=f"{emulator.base}/{CONTOSO_TENANT}",
        http_client=emulator.session,
        instance_discovery=False,
    )
    token = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in token, token
    resp = emulator.session.get(
        f"{emulator.base}/v1.0/users/erin@contoso.example/mailboxSettings",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["timeZone"] == "Pacific Standard Time"
    assert body["workingHours"]["timeZone"] == {"name": "Pacific Standard Time"}
    assert body["workingHours"]["daysOfWeek"][0] == "monday"
    assert body["workingHours"]["startTime"] == "09:00:00.0000000"


def test_mailbox_settings_need_their_permission(emulator, client, carol_it, contoso):
    # The app Together registers asks only for calendars, as Graph's own consent would.
    admin_consent(client, emulator, carol_it, "carol@contoso.example")
    from calendars import services
    from calendars.models import OrganizationIntegration

    provider = services.provider_for_member(
        OrganizationIntegration.objects.get(organization=contoso), "carol@contoso.example"
    )
    from calendars.errors import ProviderError

    with pytest.raises(ProviderError):
        provider._request("GET", "/users/carol@contoso.example/mailboxSettings")
