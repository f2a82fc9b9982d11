"""The booking pages, server side: wizard, confirm, session page, heat map, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from programs.models import Session
from scheduling import services

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
SLOT = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_wizard_shows_dates_times_and_the_first_session_prompt(
    client, alice_and_bob, alice_mentee
):
    client.force_login(alice_mentee)
    response = client.get(reverse("match_book", args=[alice_and_bob.pk]) + "?day=2026-03-03")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Before your first session" in html
    assert 'data-insight="none"' in html
    assert "plain time slots" in html
    assert 'class="date past"' in html  # 1 March is past
    # 15:00 London on 3 March is offered (within both people's hours).
    assert "2026-03-03T15:00:00Z" in html


def test_the_wizard_loads_busy_times_once_for_the_month_and_the_day(
    client, alice_and_bob, alice_mentee, monkeypatch
):
    from scheduling import availability

    loads = []
    real = availability.calendars_of
    monkeypatch.setattr(
        availability, "calendars_of", lambda *a, **k: loads.append(a) or real(*a, **k)
    )
    client.force_login(alice_mentee)
    html = client.get(
        reverse("match_book", args=[alice_and_bob.pk]) + "?day=2026-03-04"
    ).content.decode()
    assert len(loads) == 1
    # The time list is the chosen day's, taken from the month's availability.
    assert "2026-03-04T15:00:00Z" in html
    assert "2026-03-03T15:00:00Z" not in html


@pytest.mark.usefixtures("everyone_bookable_all_week")  # 31 January 2026 is a Saturday
def test_a_past_month_shows_its_last_day_with_nothing_bookable(client, alice_and_bob, alice_mentee):
    client.force_login(alice_mentee)
    response = client.get(reverse("match_book", args=[alice_and_bob.pk]) + "?month=2026-01")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saturday 31 January" in html  # the month's last day, its times greyed
    assert 'class="slot past"' in html
    assert reverse("match_confirm", args=[alice_and_bob.pk]) not in html


def test_a_long_unavailable_stretch_is_one_row_of_the_time_list(
    client, alice_and_bob, alice_mentee
):
    client.force_login(alice_mentee)
    html = client.get(
        reverse("match_book", args=[alice_and_bob.pk]) + "?day=2026-03-03"
    ).content.decode()
    # Both keep the default weekdays 09:00-17:00. Bob (New York) starts at 14:00 London:
    # Alice's morning is one row, not twenty.
    assert html.count("outside Bob&#x27;s hours") == 1
    assert "09:00–13:45" in html
    assert 'class="run"' in html


def test_the_wizard_remembers_the_chosen_time_zone(client, alice_and_bob, alice_mentee):
    client.force_login(alice_mentee)
    url = reverse("match_book", args=[alice_and_bob.pk])
    client.get(url + "?tz=Asia/Tokyo")
    assert "All times are shown in Asia/Tokyo" in client.get(url).content.decode()


def test_the_wizard_refuses_an_unknown_time_zone(client, alice_and_bob, alice_mentee):
    client.force_login(alice_mentee)
    response = client.get(reverse("match_book", args=[alice_and_bob.pk]) + "?tz=Mars/Base")
    assert response.status_code == 400


def test_outsiders_get_404_everywhere(client, alice_and_bob, carol_outsider, alice_mentee):
    session = services.session_book(
        match_or_group=alice_and_bob, start=SLOT, duration=30, booked_by=alice_mentee
    )
    client.force_login(carol_outsider)
    for url in [
        reverse("match_book", args=[alice_and_bob.pk]),
        reverse("match_confirm", args=[alice_and_bob.pk]),
        reverse("session_detail", args=[session.pk]),
        reverse("api_match_availability", args=[alice_and_bob.pk]),
        reverse("api_session", args=[session.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("session_cancel", args=[session.pk])).status_code == 404


def test_confirm_then_send_invite_books_the_session(
    client, alice_and_bob, alice_mentee, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(alice_mentee)
    url = reverse("match_confirm", args=[alice_and_bob.pk])
    query = {"start": "2026-03-03T15:00:00Z", "duration": 30, "tz": "Europe/London"}
    page = client.get(url, query)
    assert page.status_code == 200
    assert "Tuesday 3 March 2026, 15:00–15:30" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**query, "conferencing": "location", "location": "Café"})
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("session_detail", args=[session.pk])
    assert session.location == "Café"
    detail = client.get(response["Location"]).content.decode()
    assert "Invite sent" in detail
    assert len(mailoutbox) == 2


def test_a_taken_slot_sends_the_person_back_to_fresh_slots(
    client, alice_and_bob, alice_mentee, bob_mentor
):
    services.session_book(
        match_or_group=alice_and_bob, start=SLOT, duration=30, booked_by=bob_mentor
    )
    client.force_login(alice_mentee)
    url = reverse("match_confirm", args=[alice_and_bob.pk])
    response = client.post(
        url, {"start": "2026-03-03T15:00:00Z", "duration": 30, "tz": "Europe/London"}, follow=True
    )
    html = response.content.decode()
    assert "just taken" in html
    assert "Choose a time" in html
    assert Session.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "duration"),
    [
        ("2026-03-01T15:00:00Z", 30),
        ("2026-03-03T15:00:00Z", 25),
        ("not-a-date", 30),
        ("2026-03-03T15:00:00", 30),
    ],
)
def test_bad_confirm_input_is_a_400_and_writes_nothing(
    client, alice_and_bob, alice_mentee, start, duration
):
    client.force_login(alice_mentee)
    url = reverse("match_confirm", args=[alice_and_bob.pk])
    response = client.post(url, {"start": start, "duration": duration, "tz": "Europe/London"})
    assert response.status_code == 400
    assert Session.objects.count() == 0


# Weekly from 3 March 15:00 London, three times; Bob has another session on 10 March 15:00.
SERIES = {
    "start": "2026-03-03T15:00:00Z",
    "duration": 30,
    "tz": "Europe/London",
    "repeat": "weekly",
    "count": 3,
}


@pytest.fixture
def series_confirm(client, alice_and_bob, alice_mentee, bob_mentor):
    services.session_book(
        match_or_group=alice_and_bob,
        start=SLOT + dt.timedelta(weeks=1),
        duration=30,
        booked_by=bob_mentor,
    )
    client.force_login(alice_mentee)
    return reverse("match_confirm", args=[alice_and_bob.pk])


def test_the_series_preview_marks_the_conflicting_occurrence(client, series_confirm):
    html = client.get(series_confirm, SERIES).content.decode()
    assert html.count('data-conflict="true"') == 1
    assert html.count('data-conflict="false"') == 2


def test_a_moved_occurrence_is_checked_again(client, series_confirm):
    url, series = series_confirm, SERIES
    # Moved an hour later (wall clock in London): free.
    moved = client.get(url, {**series, "check": "2026-03-10T16:00", "n": "2"}).content.decode()
    assert moved.count("<li") == 1
    assert 'data-conflict="false"' in moved and "moved: no conflict" in moved
    assert 'value="2026-03-10T16:00"' in moved and "Include occurrence 2" in moved
    assert " disabled" not in moved.replace(".disabled=", "")  # it stays included
    # Moved onto Bob's other session, 15:15 overlaps 15:00-15:30: still a conflict, said so.
    clash = client.get(url, {**series, "check": "2026-03-10T15:15", "n": "2"}).content.decode()
    assert 'data-conflict="true"' in clash and "conflict — move or skip" in clash
    # Not a time at all: a clear 400.
    bad = client.get(url, {**series, "check": "next tuesday", "n": "2"})
    assert bad.status_code == 400 and "not a date and time" in bad.content.decode()


def test_the_heat_map_says_how_many_are_available(client, circle, alice_mentee):
    client.force_login(alice_mentee)
    response = client.get(reverse("group_book", args=[circle.pk]) + "?week=2026-03-02")
    assert response.status_code == 200
    assert "of 3 available" in response.content.decode()


def test_mark_done_records_a_session_held_outside(client, alice_and_bob, bob_mentor):
    client.force_login(bob_mentor)
    response = client.post(
        reverse("match_mark_done", args=[alice_and_bob.pk]),
        {"start": "2026-02-27T10:00", "duration": 45},
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.origin == Session.Origin.OUTSIDE
    assert session.status == Session.Status.COMPLETED


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/", "/"),
        ("https://evil.example/", "session"),
        ("", "session"),
    ],
)
def test_a_session_button_returns_to_the_page_it_was_on_if_that_page_is_ours(
    client, alice_and_bob, alice_mentee, next_url, lands_on
):
    session = services.session_book(
        match_or_group=alice_and_bob, start=SLOT, duration=30, booked_by=alice_mentee
    )
    client.force_login(alice_mentee)
    response = client.post(reverse("session_cancel", args=[session.pk]), {"next": next_url})
    expected = reverse("session_detail", args=[session.pk]) if lands_on == "session" else "/"
    assert response.status_code == 302 and response["Location"] == expected
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
