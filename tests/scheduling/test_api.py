"""The JSON API: the same operations as the pages, the same refusals, and no server errors
under schemathesis-generated input."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
import time_machine
from django.test import Client
from django.urls import reverse

from programs.models import Session
from scheduling import services
from tests import factories

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def api(client, alice_mentee):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice_mentee)
    client.get(reverse("home"))  # sets the CSRF cookie
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def test_availability_lists_slots_and_the_insight(api, alice_and_bob, _clock):
    response = api.get(
        reverse("api_match_availability", args=[alice_and_bob.pk]),
        {"first_day": "2026-03-03", "days": 2, "duration": 45, "time_zone": "Europe/London"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["insight"] == "none"
    assert body["duration"] == 45
    assert [d["date"] for d in body["dates"]] == ["2026-03-03", "2026-03-04"]
    starts = [s["start"] for s in body["slots"] if s["bookable"]]
    assert "2026-03-03T15:00:00Z" in starts


def test_book_reschedule_cancel_through_the_api(api, alice_and_bob, bob_mentor, _clock):
    book = api.post(
        reverse("api_match_book", args=[alice_and_bob.pk]),
        {"start": "2026-03-03T15:00:00Z", "duration": 30, "time_zone": "Europe/London"},
        content_type="application/json",
    )
    assert book.status_code == 201, book.content
    session_id = book.json()["id"]
    again = api.post(
        reverse("api_match_book", args=[alice_and_bob.pk]),
        {"start": "2026-03-03T15:15:00Z", "duration": 30, "time_zone": "Europe/London"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert "just taken" in again.json()["detail"]
    moved = api.post(
        reverse("api_session_reschedule", args=[session_id]),
        {"start": "2026-03-04T15:00:00Z", "time_zone": "Europe/London"},
        content_type="application/json",
    )
    assert moved.status_code == 200
    assert moved.json()["start"] == "2026-03-04T15:00:00Z"
    mine = api.get(reverse("api_sessions")).json()
    assert [s["id"] for s in mine] == [session_id]
    cancelled = api.post(reverse("api_session_cancel", args=[session_id]))
    assert cancelled.json()["status"] == "cancelled"


def test_a_series_through_the_api(api, alice_and_bob, _clock):
    response = api.post(
        reverse("api_match_series", args=[alice_and_bob.pk]),
        {
            "starts": ["2026-03-03T15:00:00Z", "2026-03-10T15:00:00Z"],
            "frequency": "weekly",
            "duration": 30,
            "time_zone": "Europe/London",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert len(response.json()) == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        # The rules' refusals of well-formed requests are 422; malformed requests are 400.
        ({"start": "2026-03-01T15:00:00Z", "duration": 30}, 422),  # past
        ({"start": "2026-03-03T15:00:00Z", "duration": 20}, 422),  # duration not allowed
        ({"start": "2026-03-03T15:00:00Z", "duration": 30, "time_zone": "Nowhere/Land"}, 400),
        ({"start": "2026-03-03T03:00:00Z", "duration": 30}, 422),  # outside bookable hours
        ({"start": "2027-06-01T15:00:00Z", "duration": 30}, 422),  # outside the range
        ({"start": "2026-03-03T15:00:00", "duration": 30}, 400),  # no offset
        ({"start": "tomorrow", "duration": 30}, 400),
    ],
)
def test_bad_input_is_a_4xx_and_writes_nothing(api, alice_and_bob, _clock, body, status):
    response = api.post(
        reverse("api_match_book", args=[alice_and_bob.pk]), body, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert Session.objects.count() == 0


def test_others_get_404_and_writes_need_csrf(client, alice_and_bob, carol_outsider, _clock):
    client = Client(enforce_csrf_checks=True)
    client.force_login(carol_outsider)
    url = reverse("api_match_availability", args=[alice_and_bob.pk])
    assert client.get(url).status_code == 404
    book = client.post(
        reverse("api_match_book", args=[alice_and_bob.pk]),
        {"start": "2026-03-03T15:00:00Z", "duration": 30},
        content_type="application/json",
    )
    assert book.status_code == 403  # no CSRF token: refused before anything else
    assert client.get("/api/sessions/99999999999999999999/").status_code == 404
    assert Session.objects.count() == 0


def test_the_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/matches/{match_id}/availability/" in response.content


# --- schemathesis, in process over WSGI ----------------------------------------------


def test_the_api_never_answers_with_a_server_error(
    request, alice_mentee, bob_mentor, northwind, _clock
):
    """schemathesis generates requests for every booking operation from /api/schema/ and
    sends them, signed in as Alice with a valid CSRF token; the one check: no 5xx.

    In process over WSGI: the requests transport trips over urllib3-future (installed by
    caldav's niquests), and the pytest plugin over this pytest; hypothesis drives it here.
    """
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings

    from programs import services as program_services

    program = factories.one_to_one_program(northwind, name="Fuzzing")
    match = program_services.match_create(program=program, mentee=alice_mentee, mentor=bob_mentor)
    services.session_record_outside(
        match_or_group=match,
        start=dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC),
        duration=30,
        by=alice_mentee,
    )
    client = Client()
    client.force_login(alice_mentee)
    client.get(reverse("home"))
    cookies = {
        "sessionid": client.cookies["sessionid"].value,
        "csrftoken": client.cookies["csrftoken"].value,
    }
    headers = {"X-CSRFToken": cookies["csrftoken"]}
    # As Django's test client does: keep the test's transaction (and connection) open
    # across requests instead of letting the WSGI handler close it after each one.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    request.addfinalizer(lambda: signals.request_started.connect(close_old_connections))
    request.addfinalizer(lambda: signals.request_finished.connect(close_old_connections))
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    schema = schema.include(path_regex=r"^/api/(matches|groups|sessions)/")
    failures = []
    statuses: set[int] = set()
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(headers=headers, cookies=cookies)
            statuses.add(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        check()
    assert tested == 11
    assert failures[:5] == []  # the first few are enough to debug
    assert 200 in statuses  # signed in: not everything was refused at the door
    assert 403 not in statuses, statuses


def test_a_new_booking_shows_in_cached_availability_at_once(
    api, alice_and_bob, bob_mentor, _clock, django_capture_on_commit_callbacks
):
    url = reverse("api_match_availability", args=[alice_and_bob.pk])
    query = {"first_day": "2026-03-03", "days": 1, "duration": 30, "time_zone": "Europe/London"}

    def slot_at_1500():
        slots = api.get(url, query).json()["slots"]
        return next(s for s in slots if s["start"] == "2026-03-03T15:00:00Z")

    assert slot_at_1500()["bookable"]
    with django_capture_on_commit_callbacks(execute=True):
        services.session_book(
            match_or_group=alice_and_bob,
            start=dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC),
            duration=30,
            booked_by=bob_mentor,
        )
    after = slot_at_1500()
    assert (after["bookable"], after["taken"]) == (False, True)


def test_a_stored_answer_is_never_served_to_someone_else(
    api, alice_and_bob, carol_outsider, _clock
):
    url = reverse("api_match_availability", args=[alice_and_bob.pk])
    query = {"first_day": "2026-03-03", "days": 1}
    assert api.get(url, query).status_code == 200  # now stored for Alice
    outsider = Client()
    outsider.force_login(carol_outsider)
    assert outsider.get(url, query).status_code == 404


def test_a_bad_query_is_refused_every_time(api, alice_and_bob, _clock):
    url = reverse("api_match_availability", args=[alice_and_bob.pk])
    for _ in range(2):
        response = api.get(url, {"first_day": "2026-03-03", "time_zone": "Mars/Base"})
        assert response.status_code == 400
        assert "Mars/Base" in response.json()["errors"]["time_zone"][0]


def test_a_calendar_change_shows_in_stored_availability_at_once(
    api, alice_and_bob, alice_mentee, bob_mentor, _clock, django_capture_on_commit_callbacks
):
    from calendars import services as calendar_services

    factories.calendar_connected(alice_mentee)
    factories.calendar_connected(
        bob_mentor,
        [(dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC), dt.datetime(2026, 3, 3, 16, tzinfo=dt.UTC))],
    )
    url = reverse("api_match_availability", args=[alice_and_bob.pk])
    query = {"first_day": "2026-03-03", "days": 1, "duration": 30, "time_zone": "Europe/London"}

    def slot_at_1500():
        body = api.get(url, query).json()
        assert body["insight"] == "mutual"
        return next(s for s in body["slots"] if s["start"] == "2026-03-03T15:00:00Z")

    assert not slot_at_1500()["bookable"]  # Bob is busy; this answer is now stored
    # Bob stops checking that calendar for conflicts: his busy block no longer counts.
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.calendar_choices_update(
            user=bob_mentor, check_ids=[], destination_id=None
        )
    assert slot_at_1500()["bookable"]


def test_a_stored_answer_is_not_served_after_signing_out(api, alice_and_bob, _clock):
    url = reverse("api_match_availability", args=[alice_and_bob.pk])
    query = {"first_day": "2026-03-03", "days": 1}
    assert api.get(url, query).status_code == 200  # now stored for Alice
    api.logout()
    assert api.get(url, query).status_code == 403
