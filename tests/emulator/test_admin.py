"""The control API, fixtures, the inspection endpoint, counters and the one command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from emulator.testing import DEMO_FIXTURE, ControlError, emulator_subprocess, running_emulator
from tests.emulator.conftest import ALICE_MENTEE
from tests.emulator.test_google_calendar import service_for


def test_relative_fixture_times_land_in_the_accounts_zone(emu):
    emu.control.add_account(
        email="tokyo@northwind.example",
        time_zone="Asia/Tokyo",
        events=[{"summary": "Tomorrow ten", "start": "+1d 10:00"}],
    )

    calendar = emu.emulator.store.primary_calendar("tokyo@northwind.example")
    event = next(iter(calendar.events.values()))
    local = event.start.astimezone(ZoneInfo("Asia/Tokyo"))
    tomorrow = datetime.now(ZoneInfo("Asia/Tokyo")).date() + timedelta(days=1)
    assert (local.date(), local.hour, local.minute) == (tomorrow, 10, 0)
    assert event.end - event.start == timedelta(hours=1)


def test_events_added_through_the_control_api_show_in_free_busy(emu):
    ids = emu.control.add_events(
        ALICE_MENTEE, [{"summary": "Added", "start": "2030-06-01T09:00:00Z", "duration": "45m"}]
    )
    service = service_for(emu, ALICE_MENTEE)

    busy = (
        service.freebusy()
        .query(
            body={
                "timeMin": "2030-06-01T00:00:00Z",
                "timeMax": "2030-06-02T00:00:00Z",
                "items": [{"id": ALICE_MENTEE}],
            }
        )
        .execute()["calendars"][ALICE_MENTEE]["busy"]
    )

    assert len(ids) == 1
    assert busy == [{"start": "2030-06-01T09:00:00Z", "end": "2030-06-01T09:45:00Z"}]


def test_written_events_lists_only_what_the_apis_created(emu):
    service = service_for(emu, ALICE_MENTEE)
    emu.control.add_events(ALICE_MENTEE, [{"summary": "Fixture", "start": "+1d 08:00"}])
    service.events().insert(
        calendarId="primary",
        body={
            "summary": "Written",
            "start": {"dateTime": "2030-06-01T09:00:00Z"},
            "end": {"dateTime": "2030-06-01T10:00:00Z"},
        },
    ).execute()

    written = emu.control.written_events()

    assert [w["summary"] for w in written] == ["Written"]
    assert written[0]["written_by"] == "together-test.apps.googleusercontent.com"
    assert written[0]["provider"] == "google"


def test_counters_count_requests_per_endpoint(emu):
    service = service_for(emu, ALICE_MENTEE)
    emu.control.reset_counters()
    body = {
        "timeMin": "2030-06-01T00:00:00Z",
        "timeMax": "2030-06-02T00:00:00Z",
        "items": [{"id": ALICE_MENTEE}],
    }
    for _ in range(3):
        service.freebusy().query(body=body).execute()

    counters = emu.control.counters()

    assert counters["calendar.freebusy.query"] == 3


def test_reset_restores_the_startup_fixture(emu):
    emu.control.add_account(email="temp@northwind.example")
    emu.control.set_fault("latency", latency_ms=10)

    emu.control.reset()

    emails = {a["email"] for a in emu.control.state()["accounts"]}
    assert "temp@northwind.example" not in emails and ALICE_MENTEE in emails
    assert emu.control.faults() == []


def test_calendars_and_their_ids_are_listed_per_account(emu):
    calendars = emu.control.calendars(ALICE_MENTEE)

    assert [(c["name"], c["role"]) for c in calendars] == [
        ("Alice", "owner"),
        ("Side project", "owner"),
        ("Team holidays", "reader"),
    ]


def test_it_refuses_an_unknown_fault_kind_and_a_bad_fixture(emu):
    with pytest.raises(ControlError, match="unknown fault kind"):
        emu.control.set_fault("meteor_strike")
    with pytest.raises(ControlError, match="cannot read the time"):
        emu.control.add_events(ALICE_MENTEE, [{"start": "next tuesday-ish"}])


def test_faults_are_listed_with_their_remaining_count(emu):
    emu.control.set_fault("rate_limit", account=ALICE_MENTEE, times=2)

    (fault,) = emu.control.faults()

    assert (fault["kind"], fault["times"], fault["account"]) == ("rate_limit", 2, ALICE_MENTEE)


def test_the_demo_fixture_loads_every_kind_of_event():
    with running_emulator(DEMO_FIXTURE) as demo:
        state = demo.control.state()
        store = demo.emulator.store
        now = datetime.now(UTC)
        ada = store.primary_calendar("ada.lovelace@northwind.example")
        kinds = {
            b.show_as
            for b in store.busy_blocks(ada, now - timedelta(days=1), now + timedelta(days=30))
        }

    orgs = {o["name"]: o for o in state["organizations"]}
    assert set(orgs) == {"Northwind", "Tailspin", "Contoso", "Fabrikam"}
    assert orgs["Northwind"]["delegations"]
    assert orgs["Contoso"]["admin_consents"] == {}
    assert orgs["Fabrikam"]["user_consent_requires_admin"] is True
    assert kinds == {"busy", "free", "tentative", "oof"}


def test_the_command_starts_the_emulator_and_serves_both_ports():
    with emulator_subprocess(DEMO_FIXTURE) as running:
        health = requests.get(f"{running.base_url}/_emulator/health", timeout=5).json()
        config = (
            running.session()
            .get(running.https("/contoso.example/v2.0/.well-known/openid-configuration"))
            .json()
        )
        key = running.control.service_account_info(
            "together-sync@together-demo.iam.gserviceaccount.com"
        )

    assert health == {"ok": True}
    assert config["issuer"].endswith("/3f2a1c9e-5b7d-4e8a-9c6f-1d2e3f4a5b6c/v2.0")
    assert key["token_uri"] == f"{running.base_url}/token"
