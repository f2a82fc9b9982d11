"""Calendar API v3 through google-api-python-client and its bundled discovery document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from emulator.testing import running_emulator
from tests.emulator.conftest import (
    ALICE_MENTEE,
    BOB_MENTOR,
    CAL,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    REDIRECT,
    consent,
    query_of,
)


def token_for(emu, account: str, scopes: str = f"openid {CAL}") -> dict:
    page = (
        f"{emu.google_auth_uri}?client_id={GOOGLE_CLIENT_ID}&redirect_uri={REDIRECT}"
        f"&response_type=code&access_type=offline&scope={scopes}"
    )
    code = query_of(consent(page, account=account).headers["location"])["code"]
    response = requests.post(
        emu.google_token_uri,
        timeout=5,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": GOOGLE_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def service_for(emu, account: str, scopes: str = f"openid {CAL}"):
    tokens = token_for(emu, account, scopes)
    credentials = Credentials(
        token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token"),
        token_uri=emu.google_token_uri,
        client_id=GOOGLE_CLIENT_ID,
        client_secret=GOOGLE_CLIENT_SECRET,
    )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": emu.google_api_endpoint},
    )


@pytest.fixture
def alice(emu):
    return service_for(emu, ALICE_MENTEE)


def window(days: int = 30) -> tuple[str, str]:
    now = datetime.now(UTC)
    return now.isoformat(), (now + timedelta(days=days)).isoformat()


def test_it_lists_owned_and_shared_calendars_with_access_roles(alice):
    items = alice.calendarList().list().execute()["items"]

    roles = {item["id"]: (item["accessRole"], item.get("primary", False)) for item in items}
    assert roles == {
        ALICE_MENTEE: ("owner", True),
        "side0alice@group.calendar.google.com": ("owner", False),
        "holidays0bob@group.calendar.google.com": ("reader", False),
    }


def test_it_refuses_more_than_50_calendars_per_freebusy_query(alice):
    time_min, time_max = window()
    ids = [ALICE_MENTEE] + [f"person{n}@northwind.example" for n in range(119)]

    answer = (
        alice.freebusy()
        .query(body={"timeMin": time_min, "timeMax": time_max, "items": [{"id": i} for i in ids]})
        .execute()
    )
    within = (
        alice.freebusy()
        .query(
            body={"timeMin": time_min, "timeMax": time_max, "items": [{"id": i} for i in ids[:50]]}
        )
        .execute()
    )

    assert len(answer["calendars"]) == 120
    assert {c["errors"][0]["reason"] for c in answer["calendars"].values()} == {
        "tooManyCalendarsRequested"
    }
    assert "errors" not in within["calendars"][ALICE_MENTEE]
    assert within["calendars"]["person0@northwind.example"]["errors"] == [
        {"domain": "global", "reason": "notFound"}
    ]


def test_freebusy_counts_busy_tentative_oof_and_all_day_but_not_free_declined_or_cancelled(
    alice, emu
):
    time_min, time_max = window(days=6)

    busy = (
        alice.freebusy()
        .query(body={"timeMin": time_min, "timeMax": time_max, "items": [{"id": ALICE_MENTEE}]})
        .execute()
    )

    periods = busy["calendars"][ALICE_MENTEE]["busy"]
    expected = []
    for calendar, event, start, end in _instances(emu, ALICE_MENTEE, time_min, time_max):
        if event.summary in ("Busy", "Tentative", "Out of office", "All day", "Multi-day"):
            expected.append((start, end))
    assert [(p["start"], p["end"]) for p in periods] == [
        (s.strftime("%Y-%m-%dT%H:%M:%SZ"), e.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for s, e in sorted(expected)
    ]
    assert len(periods) == 5


def _instances(emu, account, time_min, time_max):
    store = emu.emulator.store
    calendar = store.primary_calendar(account)
    lo, hi = datetime.fromisoformat(time_min), datetime.fromisoformat(time_max)
    for event, start, end in store.instances(calendar, lo, hi):
        yield calendar, event, max(start, lo), min(end, hi)


def test_freebusy_reads_a_colleagues_primary_calendar_but_not_a_stranger(alice):
    time_min, time_max = window()

    answer = (
        alice.freebusy()
        .query(
            body={
                "timeMin": time_min,
                "timeMax": time_max,
                "items": [{"id": BOB_MENTOR}, {"id": "dana@contoso.example"}],
            }
        )
        .execute()["calendars"]
    )

    assert len(answer[BOB_MENTOR]["busy"]) == 1
    assert answer["dana@contoso.example"]["errors"][0]["reason"] == "notFound"


def test_it_pages_events_then_hands_out_a_sync_token_that_reports_changes(alice):
    first = alice.events().list(calendarId="primary", maxResults=3).execute()
    assert len(first["items"]) == 3 and "nextPageToken" in first and "nextSyncToken" not in first
    pages, request = [], alice.events().list(calendarId="primary", maxResults=3)
    while request is not None:
        page = request.execute()
        pages.append(page)
        request = alice.events().list_next(request, page)
    sync_token = pages[-1]["nextSyncToken"]
    ids = [item["id"] for page in pages for item in page["items"]]
    assert "busy0meeting" in ids and len(ids) == len(set(ids))

    alice.events().delete(calendarId="primary", eventId="busy0meeting").execute()
    changes = alice.events().list(calendarId="primary", syncToken=sync_token).execute()

    assert [(i["id"], i["status"]) for i in changes["items"]] == [("busy0meeting", "cancelled")]
    assert changes["nextSyncToken"] != sync_token


def test_single_events_expands_a_series_and_applies_its_exceptions(alice):
    time_min, time_max = window(days=40)

    items = (
        alice.events()
        .list(
            calendarId="primary",
            singleEvents=True,
            orderBy="startTime",
            timeMin=time_min,
            timeMax=time_max,
        )
        .execute()["items"]
    )

    weekly = [i for i in items if i.get("recurringEventId") == "weekly0standup"]
    assert len(weekly) == 3  # four weeks, one cancelled
    moved = [
        i
        for i in weekly
        if i["start"]["dateTime"].endswith("13:00:00+00:00")
        or "T13:00:00" in i["start"]["dateTime"]
    ]
    assert len(moved) == 1
    assert all(i["id"].startswith("weekly0standup_") for i in weekly)
    masters = (
        alice.events()
        .list(calendarId="primary", timeMin=time_min, timeMax=time_max)
        .execute()["items"]
    )
    assert any(i["id"] == "weekly0standup" and i["recurrence"] for i in masters)


def test_events_carry_the_fields_free_busy_depends_on(alice):
    items = {i["summary"]: i for i in alice.events().list(calendarId="primary").execute()["items"]}

    assert items["Free focus"]["transparency"] == "transparent"
    assert items["Out of office"]["eventType"] == "outOfOffice"
    assert items["All day"]["start"].keys() == {"date"}
    declined = [a for a in items["Declined"]["attendees"] if a.get("self")]
    assert declined[0]["responseStatus"] == "declined"


def test_it_inserts_with_a_client_supplied_id_and_refuses_a_duplicate(alice, emu):
    body = {
        "id": "together0session0001",
        "summary": "Mentoring session",
        "start": {"dateTime": "2030-05-01T10:00:00", "timeZone": "Europe/London"},
        "end": {"dateTime": "2030-05-01T10:45:00", "timeZone": "Europe/London"},
        "attendees": [{"email": BOB_MENTOR}],
    }

    created = alice.events().insert(calendarId="primary", body=body, sendUpdates="all").execute()
    with pytest.raises(HttpError) as duplicate:
        alice.events().insert(calendarId="primary", body=body).execute()

    assert created["id"] == "together0session0001"
    assert created["start"]["dateTime"] == "2030-05-01T10:00:00+01:00"
    assert duplicate.value.status_code == 409
    assert duplicate.value.error_details[0]["reason"] == "duplicate"
    written = emu.control.written_events(account=ALICE_MENTEE)
    assert [w["id"] for w in written] == ["together0session0001"]
    assert written[0]["send_updates"] == "all"
    assert written[0]["notifications"][0]["to"] == BOB_MENTOR
    assert written[0]["notifications"][0]["sent"] is True


def test_the_invitation_lands_on_the_guests_calendar(alice, emu):
    alice.events().insert(
        calendarId="primary",
        body={
            "id": "together0session0002",
            "summary": "Session",
            "start": {"dateTime": "2030-05-02T15:00:00Z"},
            "end": {"dateTime": "2030-05-02T16:00:00Z"},
            "attendees": [{"email": BOB_MENTOR}],
        },
    ).execute()

    busy = (
        alice.freebusy()
        .query(
            body={
                "timeMin": "2030-05-02T00:00:00Z",
                "timeMax": "2030-05-03T00:00:00Z",
                "items": [{"id": BOB_MENTOR}],
            }
        )
        .execute()["calendars"][BOB_MENTOR]["busy"]
    )

    assert busy == [{"start": "2030-05-02T15:00:00Z", "end": "2030-05-02T16:00:00Z"}]
    assert emu.control.written_events(account=BOB_MENTOR) == []


def test_it_refuses_an_id_outside_base32hex(alice):
    with pytest.raises(HttpError) as refused:
        alice.events().insert(
            calendarId="primary",
            body={
                "id": "Not_Base32hex!",
                "start": {"dateTime": "2030-05-01T10:00:00Z"},
                "end": {"dateTime": "2030-05-01T11:00:00Z"},
            },
        ).execute()

    assert refused.value.status_code == 400


def test_the_same_conference_request_id_gets_the_same_meet(alice):
    def insert(event_id: str, request_id: str) -> dict:
        return (
            alice.events()
            .insert(
                calendarId="primary",
                conferenceDataVersion=1,
                body={
                    "id": event_id,
                    "start": {"dateTime": "2030-05-01T10:00:00Z"},
                    "end": {"dateTime": "2030-05-01T11:00:00Z"},
                    "conferenceData": {
                        "createRequest": {
                            "requestId": request_id,
                            "conferenceSolutionKey": {"type": "hangoutsMeet"},
                        }
                    },
                },
            )
            .execute()
        )

    first, again, other = (
        insert("meet00001", "req-1"),
        insert("meet00002", "req-1"),
        insert("meet00003", "req-2"),
    )

    assert first["hangoutLink"].startswith("https://meet.google.com/")
    assert first["conferenceData"]["entryPoints"][0]["entryPointType"] == "video"
    assert first["conferenceData"]["createRequest"]["status"]["statusCode"] == "success"
    assert again["hangoutLink"] == first["hangoutLink"]
    assert other["hangoutLink"] != first["hangoutLink"]


def test_conference_data_is_ignored_without_conference_data_version(alice):
    created = (
        alice.events()
        .insert(
            calendarId="primary",
            body={
                "start": {"dateTime": "2030-05-01T10:00:00Z"},
                "end": {"dateTime": "2030-05-01T11:00:00Z"},
                "conferenceData": {"createRequest": {"requestId": "r"}},
            },
        )
        .execute()
    )

    assert "conferenceData" not in created


def test_it_patches_then_deletes_and_a_second_delete_is_gone(alice, emu):
    alice.events().insert(
        calendarId="primary",
        body={
            "id": "together0session0003",
            "summary": "Before",
            "start": {"dateTime": "2030-05-01T10:00:00Z"},
            "end": {"dateTime": "2030-05-01T11:00:00Z"},
        },
    ).execute()

    patched = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId="together0session0003",
            body={
                "summary": "After",
                "start": {"dateTime": "2030-05-01T12:00:00Z"},
                "end": {"dateTime": "2030-05-01T13:00:00Z"},
            },
            sendUpdates="none",
        )
        .execute()
    )
    alice.events().delete(calendarId="primary", eventId="together0session0003").execute()
    with pytest.raises(HttpError) as gone:
        alice.events().delete(calendarId="primary", eventId="together0session0003").execute()

    assert patched["summary"] == "After" and patched["sequence"] == 1
    assert gone.value.status_code == 410
    written = emu.control.written_events(account=ALICE_MENTEE)[0]
    assert [w["op"] for w in written["writes"]] == ["insert", "patch", "delete"]
    assert written["deleted"] is True


def test_a_reader_cannot_write_to_a_shared_calendar(alice):
    with pytest.raises(HttpError) as refused:
        alice.events().insert(
            calendarId="holidays0bob@group.calendar.google.com",
            body={
                "start": {"dateTime": "2030-05-01T10:00:00Z"},
                "end": {"dateTime": "2030-05-01T11:00:00Z"},
            },
        ).execute()

    assert refused.value.status_code == 403


def test_a_token_without_the_scope_gets_insufficient_permissions(emu):
    reader = service_for(emu, ALICE_MENTEE, scopes=f"openid {CAL}.readonly")

    with pytest.raises(HttpError) as refused:
        reader.events().insert(
            calendarId="primary",
            body={
                "start": {"dateTime": "2030-05-01T10:00:00Z"},
                "end": {"dateTime": "2030-05-01T11:00:00Z"},
            },
        ).execute()

    assert refused.value.status_code == 403
    assert refused.value.error_details[0]["reason"] == "insufficientPermissions"


def test_the_calendar_api_can_live_under_another_root():
    from tests.emulator.conftest import world

    with running_emulator(world(), calendar_root="/proxy/calendar/v3", tls=False) as other:
        assert other.google_api_endpoint.endswith("/proxy/calendar/v3/")
        items = service_for(other, ALICE_MENTEE).calendarList().list().execute()["items"]

    assert items[0]["id"] == ALICE_MENTEE


def test_freebusy_answers_in_the_requested_time_zone(alice):
    alice.events().insert(
        calendarId="primary",
        body={
            "start": {"dateTime": "2030-07-01T10:00:00Z"},
            "end": {"dateTime": "2030-07-01T11:00:00Z"},
        },
    ).execute()

    busy = (
        alice.freebusy()
        .query(
            body={
                "timeMin": "2030-07-01T00:00:00Z",
                "timeMax": "2030-07-02T00:00:00Z",
                "timeZone": "America/New_York",
                "items": [{"id": "primary"}],
            }
        )
        .execute()
    )

    assert busy["calendars"]["primary"]["busy"] == [
        {"start": "2030-07-01T06:00:00-04:00", "end": "2030-07-01T07:00:00-04:00"}
    ]


def test_deleting_one_instance_of_a_series_leaves_a_cancelled_exception(alice):
    time_min, time_max = window(days=40)
    instances = (
        alice.events()
        .list(
            calendarId="primary", singleEvents=True, timeMin=time_min, timeMax=time_max, q="Weekly"
        )
        .execute()["items"]
    )
    first = next(i for i in instances if i.get("recurringEventId") == "weekly0standup")

    alice.events().delete(calendarId="primary", eventId=first["id"]).execute()
    after = (
        alice.events()
        .list(calendarId="primary", singleEvents=True, timeMin=time_min, timeMax=time_max)
        .execute()["items"]
    )

    remaining = [i["id"] for i in after if i.get("recurringEventId") == "weekly0standup"]
    assert first["id"] not in remaining and len(remaining) == 2


def test_freebusy_refuses_a_range_longer_than_90_days_as_google_does(alice):
    now = datetime.now(UTC)

    def query(days: int):
        body = {
            "timeMin": now.isoformat(),
            "timeMax": (now + timedelta(days=days)).isoformat(),
            "items": [{"id": ALICE_MENTEE}],
        }
        return alice.freebusy().query(body=body).execute()

    assert ALICE_MENTEE in query(90)["calendars"]
    with pytest.raises(HttpError) as refused:
        query(91)
    assert refused.value.status_code == 400
    assert "timeRangeTooLong" in refused.value.content.decode()
    assert "The requested time range is too long." in refused.value.content.decode()
