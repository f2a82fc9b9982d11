"""The home page's "Did your session happen?" To-Do items for past sessions still scheduled."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import User
from scheduling import selectors, services
from tests import factories

NOW = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)  # a Monday
YESTERDAY = dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)  # London 15:00, New York 10:00


pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def booked(match_or_group, booker: User, start: dt.datetime):
    """A 30-minute session at ``start``, booked a week before it."""
    return services.session_book(
        match_or_group=match_or_group,
        start=start,
        duration=30,
        booked_by=booker,
        time_zone="UTC",
        now=start - dt.timedelta(days=7),
    )


def todos_on_home(client, user: User) -> dict[str, tuple[str, str]]:
    """The home page's To-Do items: key -> (title, link)."""
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    found = re.findall(
        r'data-todo="([^"]+)">\s*<a href="([^"]+)"><strong>(.*?)</strong>', page, re.S
    )
    return {key: (html.unescape(title), url) for key, url, title in found}


def past_session_todos(client, user: User) -> dict[str, tuple[str, str]]:
    return {k: v for k, v in todos_on_home(client, user).items() if k.startswith("past-session")}


def test_it_asks_each_participant_whether_a_past_session_happened(
    client, alice_and_bob, alice_mentee, bob_mentor
):
    session = booked(alice_and_bob, alice_mentee, YESTERDAY)
    page = reverse("session_detail", args=[session.pk])
    assert past_session_todos(client, alice_mentee) == {
        f"past-session-{session.pk}": (
            "Did your session with Bob Example on Sun 1 Mar at 15:00 happen?",
            page,
        )
    }
    assert past_session_todos(client, bob_mentor) == {
        f"past-session-{session.pk}": (
            "Did your session with Alice Example on Sun 1 Mar at 10:00 happen?",
            page,
        )
    }
    # The link leads to the page that offers Mark as Done and Cancel.
    detail = client.get(page).content.decode()
    assert 'id="mark-done"' in detail and 'id="cancel-session"' in detail


def test_it_gives_the_day_on_the_persons_own_clock(client, alice_and_bob, alice_mentee, bob_mentor):
    session = booked(alice_and_bob, alice_mentee, YESTERDAY)
    User.objects.filter(pk=bob_mentor.pk).update(time_zone="Pacific/Auckland")
    bob_mentor.refresh_from_db()
    # 15:00 UTC on Sunday is 04:00 on Monday in Auckland (UTC+13 in March).
    title, _ = past_session_todos(client, bob_mentor)[f"past-session-{session.pk}"]
    assert title == "Did your session with Alice Example on Mon 2 Mar at 04:00 happen?"


def test_it_names_the_group_for_a_group_session(client, circle, alice_mentee, bob_mentor):
    session = booked(circle, bob_mentor, YESTERDAY)
    title, _ = past_session_todos(client, alice_mentee)[f"past-session-{session.pk}"]
    assert title == "Did your session with Circle A on Sun 1 Mar at 15:00 happen?"


def test_it_says_nothing_about_a_future_or_an_unfinished_session(
    client, alice_and_bob, alice_mentee
):
    booked(alice_and_bob, alice_mentee, NOW + dt.timedelta(days=1, hours=3))
    booked(alice_and_bob, alice_mentee, NOW - dt.timedelta(minutes=15))  # ends at 16:15
    assert past_session_todos(client, alice_mentee) == {}


def test_it_says_nothing_about_completed_or_cancelled_sessions(
    client, alice_and_bob, alice_mentee, bob_mentor
):
    done = booked(alice_and_bob, alice_mentee, YESTERDAY)
    called_off = booked(alice_and_bob, alice_mentee, YESTERDAY - dt.timedelta(days=1))
    services.session_mark_done(session=done, by=bob_mentor)
    services.session_cancel(session=called_off, by=alice_mentee)
    assert past_session_todos(client, alice_mentee) == {}
    assert past_session_todos(client, bob_mentor) == {}


def test_it_says_nothing_to_someone_who_was_not_in_the_session(
    client, northwind, alice_and_bob, alice_mentee
):
    booked(alice_and_bob, alice_mentee, YESTERDAY)
    dan = factories.person(northwind, "dan")
    assert past_session_todos(client, dan) == {}


def test_it_goes_away_once_the_session_is_marked_done(
    client, alice_and_bob, alice_mentee, bob_mentor
):
    session = booked(alice_and_bob, alice_mentee, YESTERDAY)
    assert f"past-session-{session.pk}" in past_session_todos(client, alice_mentee)
    client.force_login(bob_mentor)
    response = client.post(reverse("session_mark_done", args=[session.pk]))
    assert response.status_code == 302
    assert past_session_todos(client, bob_mentor) == {}
    assert past_session_todos(client, alice_mentee) == {}


def test_it_lets_sessions_over_30_days_old_go(client, alice_and_bob, alice_mentee):
    # Each ends at 15:30, half an hour before the clock's 16:00: 29 and 31 days ago.
    recent = booked(alice_and_bob, alice_mentee, NOW - dt.timedelta(days=29, minutes=60))
    booked(alice_and_bob, alice_mentee, NOW - dt.timedelta(days=31, minutes=60))
    assert list(past_session_todos(client, alice_mentee)) == [f"past-session-{recent.pk}"]


def test_it_lists_the_newest_five_and_counts_the_rest(client, alice_and_bob, alice_mentee):
    sessions = [
        booked(alice_and_bob, alice_mentee, YESTERDAY - dt.timedelta(days=days))
        for days in range(7)
    ]
    items = past_session_todos(client, alice_mentee)
    assert list(items) == [f"past-session-{s.pk}" for s in sessions[:5]] + ["past-sessions-more"]
    assert items["past-sessions-more"] == (
        "And 2 more past sessions to mark as done",
        reverse("session_list"),
    )


def test_it_needs_no_more_queries_for_more_past_sessions(
    client, alice_and_bob, circle, alice_mentee, django_assert_max_num_queries
):
    def book_past(days: range) -> None:
        for day in days:
            owner = alice_and_bob if day % 2 else circle
            booked(owner, alice_mentee, YESTERDAY - dt.timedelta(days=day))

    def home_queries() -> int:
        client.get(reverse("home"))  # warm: the signed-in row is cached after a first request
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return len(queries)

    client.force_login(alice_mentee)
    book_past(range(6))
    with django_assert_max_num_queries(2):
        assert len(selectors.past_session_todos(alice_mentee)) == 6  # five and "1 more"
    with_six = home_queries()
    book_past(range(6, 20))
    with django_assert_max_num_queries(2):
        items = selectors.past_session_todos(alice_mentee)
    assert items[-1].title == "And 15 more past sessions to mark as done"
    assert home_queries() == with_six
