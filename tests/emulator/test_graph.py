"""Microsoft Graph v1.0 over TLS with MSAL tokens and requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import msal
import pytest

from tests.emulator.conftest import (
    CONTOSO_TENANT,
    DANA_MENTOR,
    EVE_MENTEE,
    MS_CLIENT_ID,
    MS_CLIENT_SECRET,
    REDIRECT,
    consent,
    returned,
)


class GraphClient:
    """Just enough of a Graph client: base URL, bearer token, the emulator's CA."""

    def __init__(self, emu, token: str) -> None:
        self.base = emu.graph_base_url
        self.session = emu.session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs):
        return self.session.get(self.base + path if path.startswith("/") else path, **kwargs)

    def post(self, path: str, body: dict, **kwargs):
        return self.session.post(self.base + path, json=body, **kwargs)

    def patch(self, path: str, body: dict):
        return self.session.patch(self.base + path, json=body)

    def delete(self, path: str):
        return self.session.delete(self.base + path)


@pytest.fixture
def app_graph(emu) -> GraphClient:
    app = msal.ConfidentialClientApplication(
        MS_CLIENT_ID,
        client_credential=MS_CLIENT_SECRET,
        authority=emu.ms_authority(CONTOSO_TENANT),
        http_client=emu.session(),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    return GraphClient(emu, result["access_token"])


@pytest.fixture
def dana_graph(emu) -> GraphClient:
    app = msal.ConfidentialClientApplication(
        MS_CLIENT_ID,
        client_credential=MS_CLIENT_SECRET,
        authority=emu.ms_authority("organizations"),
        http_client=emu.session(),
        instance_discovery=False,
    )
    flow = app.initiate_auth_code_flow(
        ["Calendars.ReadWrite", "User.Read"], redirect_uri=REDIRECT, response_mode="form_post"
    )
    result = app.acquire_token_by_auth_code_flow(
        flow, returned(consent(flow["auth_uri"], verify=emu.ca_path, account=DANA_MENTOR))
    )
    return GraphClient(emu, result["access_token"])


def schedule_body(
    schedules: list[str], days: int = 2, interval: int = 60, time_zone: str = "UTC"
) -> dict:
    """From tomorrow's midnight in ``time_zone``: the day the fixture's "+1d" events fall on
    for an account in that zone, whatever the hour in UTC."""
    now = datetime.now(ZoneInfo(time_zone))
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return {
        "schedules": schedules,
        "startTime": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": time_zone},
        "endTime": {
            "dateTime": (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S"),
            "timeZone": time_zone,
        },
        "availabilityViewInterval": interval,
    }


def test_a_client_credentials_token_then_get_schedule(app_graph):
    answer = app_graph.post(
        f"/users/{DANA_MENTOR}/calendar/getSchedule",
        schedule_body([DANA_MENTOR, EVE_MENTEE, "nobody@contoso.example"]),
    )

    assert answer.status_code == 200, answer.text
    dana, eve, nobody = answer.json()["value"]
    statuses = [item["status"] for item in dana["scheduleItems"]]
    assert sorted(statuses) == ["busy", "free", "oof", "tentative", "workingElsewhere"]
    assert len(dana["availabilityView"]) == 48
    assert set(dana["availabilityView"]) <= set("0123")
    assert "3" in dana["availabilityView"] and "1" in dana["availabilityView"]
    assert eve["availabilityView"] == "0" * 48
    assert nobody["error"]["responseCode"] == "ErrorMailRecipientNotFound"


def test_get_schedule_marks_each_slot_with_the_strongest_status(app_graph):
    # Dana's own zone: near midnight UTC, Madrid is already a day ahead.
    body = schedule_body([DANA_MENTOR], days=1, interval=30, time_zone="Europe/Madrid")

    view = app_graph.post(f"/users/{DANA_MENTOR}/calendar/getSchedule", body).json()["value"][0][
        "availabilityView"
    ]

    # Dana's day, Madrid time: busy 10-11, tentative 11-11:30, oof 13-14, elsewhere 15-16.
    assert view[20:22] == "22" and view[22] == "1" and view[26:28] == "33"
    assert view[30:32] == "00" and view[34:36] == "00"


def test_it_refuses_more_than_20_schedules(app_graph):
    answer = app_graph.post(
        f"/users/{DANA_MENTOR}/calendar/getSchedule",
        schedule_body([f"p{n}@contoso.example" for n in range(21)]),
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "ErrorMailboxDataArrayTooBig"


def test_it_refuses_a_window_of_62_days_or_more(app_graph):
    answer = app_graph.post(
        f"/users/{DANA_MENTOR}/calendar/getSchedule", schedule_body([DANA_MENTOR], days=62)
    )

    assert answer.status_code == 400
    assert (
        app_graph.post(
            f"/users/{DANA_MENTOR}/calendar/getSchedule", schedule_body([DANA_MENTOR], days=61)
        ).status_code
        == 200
    )


@pytest.mark.parametrize("interval", [4, 1441])
def test_it_refuses_an_interval_outside_5_to_1440_minutes(app_graph, interval):
    answer = app_graph.post(
        f"/users/{DANA_MENTOR}/calendar/getSchedule",
        schedule_body([DANA_MENTOR], interval=interval),
    )

    assert answer.status_code == 400


def test_me_needs_a_delegated_token_and_users_resolve_by_upn(app_graph, dana_graph):
    assert app_graph.get("/me").status_code == 400
    assert dana_graph.get("/me").json()["userPrincipalName"] == DANA_MENTOR
    user = app_graph.get(f"/users/{EVE_MENTEE}").json()
    assert user["mail"] == EVE_MENTEE
    assert app_graph.get(f"/users/{user['id']}").json()["mail"] == EVE_MENTEE
    assert app_graph.get("/users/someone@fabrikam.example").status_code == 404


def test_it_lists_owned_and_shared_calendars_with_can_edit(dana_graph):
    calendars = dana_graph.get("/me/calendars").json()["value"]

    assert [(c["name"], c["isDefaultCalendar"], c["canEdit"]) for c in calendars] == [
        ("Calendar", True, True),
        ("Team rota", False, False),
    ]
    assert calendars[1]["owner"]["address"] == EVE_MENTEE


def test_it_creates_an_event_with_a_teams_link(emu, app_graph):
    created = app_graph.post(
        f"/users/{DANA_MENTOR}/calendar/events",
        {
            "subject": "Mentoring session",
            "body": {"contentType": "HTML", "content": "Agenda: goals"},
            "start": {"dateTime": "2030-05-01T10:00:00", "timeZone": "Europe/Madrid"},
            "end": {"dateTime": "2030-05-01T10:45:00", "timeZone": "Europe/Madrid"},
            "attendees": [{"emailAddress": {"address": EVE_MENTEE}, "type": "required"}],
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
        },
    )

    assert created.status_code == 201, created.text
    event = created.json()
    assert event["onlineMeeting"]["joinUrl"].startswith(
        "https://teams.microsoft.com/l/meetup-join/"
    )
    assert event["start"] == {
        "dateTime": "2030-05-01T10:00:00.0000000",
        "timeZone": "Europe/Madrid",
    }
    written = emu.control.written_events(account=DANA_MENTOR)
    assert written[0]["conference_link"] == event["onlineMeeting"]["joinUrl"]
    assert written[0]["notifications"][0]["to"] == EVE_MENTEE
    eve_day = app_graph.post(
        f"/users/{EVE_MENTEE}/calendar/getSchedule",
        {
            "schedules": [EVE_MENTEE],
            "startTime": {"dateTime": "2030-05-01T00:00:00", "timeZone": "UTC"},
            "endTime": {"dateTime": "2030-05-02T00:00:00", "timeZone": "UTC"},
        },
    ).json()["value"][0]
    assert [i["status"] for i in eve_day["scheduleItems"]] == ["tentative"]


def test_a_repeated_transaction_id_creates_nothing_new(emu, app_graph):
    body = {
        "subject": "Session",
        "transactionId": "booking-42",
        "start": {"dateTime": "2030-05-01T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2030-05-01T11:00:00", "timeZone": "UTC"},
    }

    first = app_graph.post(f"/users/{DANA_MENTOR}/events", body).json()
    again = app_graph.post(f"/users/{DANA_MENTOR}/events", body).json()

    assert first["id"] == again["id"]
    assert len(emu.control.written_events(account=DANA_MENTOR)) == 1


def test_it_updates_and_deletes_an_event(emu, app_graph):
    event = app_graph.post(
        f"/users/{DANA_MENTOR}/events",
        {
            "subject": "Before",
            "start": {"dateTime": "2030-05-01T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2030-05-01T11:00:00", "timeZone": "UTC"},
        },
    ).json()

    updated = app_graph.patch(f"/users/{DANA_MENTOR}/events/{event['id']}", {"subject": "After"})
    deleted = app_graph.delete(f"/users/{DANA_MENTOR}/events/{event['id']}")
    missing = app_graph.get(f"/users/{DANA_MENTOR}/events/{event['id']}")

    assert updated.json()["subject"] == "After"
    assert deleted.status_code == 204
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ErrorItemNotFound"
    assert emu.control.written_events(account=DANA_MENTOR)[0]["deleted"] is True


def test_delta_pages_with_next_links_then_reports_changes_through_the_delta_link(app_graph):
    now = datetime.now(UTC)
    window = (
        f"?startDateTime={now.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        f"&endDateTime={(now + timedelta(days=30)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
    headers = {"Prefer": "odata.maxpagesize=2"}

    page = app_graph.get(f"/users/{DANA_MENTOR}/calendarView/delta{window}", headers=headers).json()
    seen = list(page["value"])
    while "@odata.nextLink" in page:
        page = app_graph.get(page["@odata.nextLink"], headers=headers).json()
        seen += page["value"]
    delta_link = page["@odata.deltaLink"]
    created = app_graph.post(
        f"/users/{DANA_MENTOR}/events",
        {
            "subject": "New",
            "start": {
                "dateTime": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
            "end": {
                "dateTime": (now + timedelta(days=2, hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
        },
    ).json()
    changes = app_graph.get(delta_link).json()

    assert len(seen) == 9  # six single events and three weekly occurrences
    assert {e["type"] for e in seen} == {"singleInstance", "occurrence"}
    assert [e["id"] for e in changes["value"]] == [created["id"]]
    assert "@odata.deltaLink" in changes


def test_calendar_view_expands_occurrences(app_graph):
    now = datetime.now(UTC)
    view = app_graph.get(
        f"/users/{DANA_MENTOR}/calendarView?startDateTime={now.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        f"&endDateTime={(now + timedelta(days=30)).strftime('%Y-%m-%dT%H:%M:%SZ')}&$top=50"
    ).json()

    weekly = [e for e in view["value"] if e["subject"] == "Weekly"]
    assert len(weekly) == 3 and all(e["seriesMasterId"] for e in weekly)


def test_a_delegated_token_cannot_read_someone_elses_mailbox(dana_graph):
    answer = dana_graph.get(f"/users/{EVE_MENTEE}/calendars")

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ErrorAccessDenied"


def test_a_delegated_get_schedule_sees_colleagues_but_not_other_tenants(dana_graph):
    answer = dana_graph.post(
        "/me/calendar/getSchedule", schedule_body([EVE_MENTEE, "leo@litware.example"])
    ).json()

    eve, leo = answer["value"]
    assert "error" not in eve
    assert leo["error"]["responseCode"] == "ErrorNoFreeBusyAccess"


def test_it_refuses_calendar_view_delta_on_a_calendar_as_v1_0_has_none(app_graph, dana_graph):
    now = datetime.now(UTC)
    window = (
        f"?startDateTime={now.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        f"&endDateTime={(now + timedelta(days=30)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
    calendar_id = dana_graph.get("/me/calendars").json()["value"][0]["id"]
    for path in (
        f"/me/calendars/{calendar_id}/calendarView/delta",
        "/me/calendar/calendarView/delta",
    ):
        answer = dana_graph.get(path + window)
        assert answer.status_code == 400, path
        assert "segment 'delta'" in answer.json()["error"]["message"]
    # The documented paths: the user's calendarView delta, and a calendar's calendarView.
    assert dana_graph.get("/me/calendarView/delta" + window).status_code == 200
    assert dana_graph.get(f"/me/calendars/{calendar_id}/calendarView" + window).status_code == 200
    assert app_graph.get(f"/users/{DANA_MENTOR}/calendarView/delta" + window).status_code == 200
