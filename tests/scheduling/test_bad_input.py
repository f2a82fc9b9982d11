"""Bad input gets a clear 4xx naming what is wrong, and writes nothing (issue 15's probes)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from programs.models import Session
from together.json_limits import json_depth_exceeds

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def api(alice_mentee):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice_mentee)
    client.get(reverse("home"))
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def test_deeply_nested_json_is_a_400_not_a_recursion_error(api, alice_and_bob, _clock):
    for body in ["[" * 50_000, '{"a":' * 50_000, "[" * 40 + "]" * 40]:
        response = api.post(
            reverse("api_match_book", args=[alice_and_bob.pk]),
            body,
            content_type="application/json",
        )
        assert response.status_code == 400, body[:10]
        assert "nested deeper than 32" in response.json()["detail"]
    assert not Session.objects.exists()


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert not json_depth_exceeds(b'{"agenda": "' + b"[" * 1000 + b'"}')
    assert not json_depth_exceeds(b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    assert json_depth_exceeds(b"[" * 33)
    assert not json_depth_exceeds(b"[" * 32 + b"]" * 32)


@pytest.mark.parametrize("zone", ["localtime", "Factory"])
def test_the_api_refuses_names_that_are_not_zones(api, alice_and_bob, _clock, zone):
    availability = api.get(
        reverse("api_match_availability", args=[alice_and_bob.pk]),
        {"first_day": "2026-03-03", "days": 1, "time_zone": zone},
    )
    assert availability.status_code == 400
    assert availability.json()["field"] == "time_zone"
    book = api.post(
        reverse("api_match_book", args=[alice_and_bob.pk]),
        {"start": "2026-03-03T15:00:00Z", "duration": 30, "time_zone": zone},
        content_type="application/json",
    )
    assert book.status_code == 400
    assert book.json()["field"] == "time_zone"
    assert not Session.objects.exists()


# --- Dates near year 1 or 9999: a 400 naming the input, not an OverflowError -------------

FAR = ["0001-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", FAR)
def test_availability_and_heat_map_refuse_dates_near_the_ends_of_time(
    api, alice_and_bob, circle, _clock, day
):
    for url in [
        reverse("api_match_availability", args=[alice_and_bob.pk]),
        reverse("api_group_heat_map", args=[circle.pk]),
    ]:
        response = api.get(url, {"first_day": day, "days": 7})
        assert response.status_code == 422, (url, response.content)
        assert response.json()["field"] == "first_day"


@pytest.mark.parametrize("day", FAR)
def test_the_booking_pages_refuse_dates_near_the_ends_of_time(
    api, alice_and_bob, circle, _clock, day
):
    pages = [
        (reverse("match_book", args=[alice_and_bob.pk]), {"day": day}),
        (reverse("match_book", args=[alice_and_bob.pk]), {"month": day[:7]}),
        (reverse("group_book", args=[circle.pk]), {"week": day}),
        (
            reverse("match_confirm", args=[alice_and_bob.pk]),
            {"start": f"{day}T12:00:00+00:00", "duration": 30, "tz": "UTC"},
        ),
        (
            reverse("group_confirm", args=[circle.pk]),
            {"start": f"{day}T12:00:00+00:00", "duration": 30, "tz": "UTC"},
        ),
    ]
    for url, query in pages:
        response = api.get(url, query)
        assert response.status_code == 400, (url, query, response.status_code)
        assert b"between 2000 and 2100" in response.content, (url, query)


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00Z", "9999-12-31T23:45:00Z"])
def test_booking_series_and_reschedule_refuse_starts_near_the_ends_of_time(
    api, alice_and_bob, _clock, start
):
    book = api.post(
        reverse("api_match_book", args=[alice_and_bob.pk]),
        {"start": start, "duration": 30},
        content_type="application/json",
    )
    # 422 from the date rule; DRF itself refuses year 1 at midnight UTC (400): both name it.
    assert book.status_code in (400, 422) and book.json()["field"] == "start", book.content
    series = api.post(
        reverse("api_match_series", args=[alice_and_bob.pk]),
        {"starts": [start], "duration": 30, "frequency": "weekly"},
        content_type="application/json",
    )
    assert series.status_code in (400, 422) and series.json()["field"] == "starts", series.content
    page = api.post(
        reverse("match_confirm", args=[alice_and_bob.pk]),
        {"start": start.replace("Z", "+00:00"), "duration": 30, "tz": "UTC"},
    )
    assert page.status_code == 400
    booked = api.post(
        reverse("api_match_book", args=[alice_and_bob.pk]),
        {"start": "2026-03-03T15:00:00Z", "duration": 30, "time_zone": "Europe/London"},
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content
    moved = api.post(
        reverse("api_session_reschedule", args=[booked.json()["id"]]),
        {"start": start},
        content_type="application/json",
    )
    assert moved.status_code in (400, 422) and moved.json()["field"] == "start", moved.content
    assert list(Session.objects.values_list("start", flat=True)) == [
        dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)
    ]


@pytest.mark.parametrize("start", ["0001-01-01T10:00", "9999-12-31T23:30"])
def test_mark_done_refuses_a_date_no_session_was_held_on(api, alice_and_bob, _clock, start):
    response = api.post(
        reverse("match_mark_done", args=[alice_and_bob.pk]), {"start": start, "duration": 30}
    )
    assert response.status_code == 400
    assert b"between 2000 and 2100" in response.content
    assert not Session.objects.exists()


# --- Custom links: the model's URL rule and more -----------------------------------------

BAD_LINKS = [
    'https://evil.example/"><script>alert(1)</script>',
    "http://127.0.0.1@evil.example/",
    "javascript:alert(1)",
    "https://meet.example/a b",
]


@pytest.mark.parametrize("link", BAD_LINKS)
def test_a_custom_link_must_be_a_plain_web_address(api, alice_and_bob, _clock, link):
    book = api.post(
        reverse("api_match_book", args=[alice_and_bob.pk]),
        {
            "start": "2026-03-03T15:00:00Z",
            "duration": 30,
            "conferencing": "custom_link",
            "url": link,
        },
        content_type="application/json",
    )
    assert book.status_code == 422, book.content
    assert book.json()["field"] == "url"
    page = api.post(
        reverse("match_confirm", args=[alice_and_bob.pk]),
        {
            "start": "2026-03-03T15:00:00+00:00",
            "duration": 30,
            "tz": "UTC",
            "conferencing": "custom_link",
            "url": link,
        },
    )
    assert page.status_code == 400
    assert not Session.objects.exists()


def test_a_plain_custom_link_is_accepted(api, alice_and_bob, _clock):
    link = "https://meet.example.com/room-42?pwd=abc"
    book = api.post(
        reverse("api_match_book", args=[alice_and_bob.pk]),
        {
            "start": "2026-03-03T15:00:00Z",
            "duration": 30,
            "conferencing": "custom_link",
            "url": link,
        },
        content_type="application/json",
    )
    assert book.status_code == 201, book.content
    assert Session.objects.get().conference_url == link


# --- One error body ------------------------------------------------------------------------


def test_a_non_integer_id_gets_the_apis_json_404(api, _clock):
    response = api.get("/api/matches/abc/availability/")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Not found.",
        "code": "not_found",
        "field": None,
        "errors": {},
    }


def test_a_slot_taken_is_a_409_with_the_documented_body(api, alice_and_bob, _clock):
    body = {"start": "2026-03-03T15:00:00Z", "duration": 30, "time_zone": "Europe/London"}
    url = reverse("api_match_book", args=[alice_and_bob.pk])
    assert api.post(url, body, content_type="application/json").status_code == 201
    again = api.post(url, body, content_type="application/json")
    assert again.status_code == 409
    assert set(again.json()) == {"detail", "code", "field", "errors"}
    assert again.json()["code"] == "conflict"
