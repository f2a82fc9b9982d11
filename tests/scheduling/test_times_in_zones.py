"""Every time the booking pages show is the booked instant on the reader's wall clock.

The people live where Together's users do: Kolkata (+05:30), Auckland (+13 in December),
São Paulo (−03) and Los Angeles (−08). Each test asserts the rendered text a person reads,
not only what was stored.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from programs import services as programs_services
from programs.models import Session
from scheduling import services
from tests import factories

NOW = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def program(northwind):
    return factories.one_to_one_program(
        northwind, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 6, 30)
    )


def _person(org, name, zone):
    return factories.person(org, name, time_zone=zone)


def _match(program, mentee, mentor):
    return programs_services.match_create(program=program, mentee=mentee, mentor=mentor)


def _text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _confirm_url(match, start: dt.datetime, tz: str, **extra) -> str:
    query = {
        "start": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": "60",
        "tz": tz,
        **extra,
    }
    return (
        reverse("match_confirm", args=[match.pk])
        + "?"
        + "&".join(f"{k}={v}" for k, v in query.items())
    )


def test_the_confirm_page_shows_the_clicked_time_in_kolkata(client, program, northwind):
    dev = _person(northwind, "dev", "Asia/Kolkata")
    chloe = _person(northwind, "chloe", "Europe/London")
    match = _match(program, dev, chloe)
    client.force_login(dev)
    # Dev clicks 13:15 Kolkata on Thursday 3 December: 07:45 UTC.
    start = dt.datetime(2026, 12, 3, 7, 45, tzinfo=dt.UTC)
    text = _text(client.get(_confirm_url(match, start, "Asia/Kolkata")))
    assert "Thursday 3 December 2026, 13:15–14:15 (Asia/Kolkata)" in text
    assert "07:45" not in text


def test_the_confirm_page_shows_the_date_of_auckland(client, program, northwind):
    isla = _person(northwind, "isla", "Pacific/Auckland")
    jamal = _person(northwind, "jamal", "America/Los_Angeles")
    match = _match(program, isla, jamal)
    client.force_login(isla)
    # Wednesday 9 December 08:45 Auckland (+13) is Tuesday 8 December 19:45 UTC.
    start = dt.datetime(2026, 12, 8, 19, 45, tzinfo=dt.UTC)
    text = _text(client.get(_confirm_url(match, start, "Pacific/Auckland")))
    assert "Wednesday 9 December 2026, 08:45–09:45 (Pacific/Auckland)" in text
    assert "Tuesday 8 December" not in text


def test_the_reschedule_confirm_shows_was_and_moves_to_in_the_viewers_zone(
    client, program, northwind
):
    dev = _person(northwind, "dev", "Asia/Kolkata")
    chloe = _person(northwind, "chloe", "Europe/London")
    match = _match(program, dev, chloe)
    session = services.session_book(
        match_or_group=match,
        start=dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC),  # 14:30 Kolkata
        duration=60,
        booked_by=dev,
    )
    client.force_login(dev)
    moved = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)  # 15:30 Kolkata, 10:00 London
    text = _text(client.get(_confirm_url(match, moved, "Asia/Kolkata", reschedule=session.pk)))
    assert "Was Thursday 3 December 2026, 14:30–15:30" in text
    assert "Moves to Friday 4 December 2026, 15:30–16:30 (Asia/Kolkata)" in text


def test_the_group_confirm_and_heat_map_labels_are_in_the_viewers_zone(client, northwind):
    program = factories.group_program(
        northwind, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 6, 30)
    )
    dev = _person(northwind, "dev", "Asia/Kolkata")
    felipe = _person(northwind, "felipe", "America/Sao_Paulo")
    ada = _person(northwind, "ada", "Africa/Lagos")
    group = programs_services.group_create(
        program=program, name="Platform Circle", facilitator=ada, members=[dev, felipe]
    )
    client.force_login(dev)
    heat = client.get(
        reverse("group_book", args=[group.pk]) + "?week=2026-12-07&tz=Asia/Kolkata&duration=30"
    ).content.decode()
    # The cell that starts at 13:00 UTC on Wednesday 9 December is 18:30 in Kolkata.
    cell = re.search(r'<a class="heat[^>]*start=2026-12-09T13:00:00Z[^>]*>', heat)
    assert cell, "the 18:30 Kolkata cell is offered"
    label = unescape(re.search(r'aria-label="([^"]*)"', cell.group(0)).group(1))
    assert label.startswith("Wednesday 18:30:")
    start = dt.datetime(2026, 12, 9, 13, 0, tzinfo=dt.UTC)
    confirm = reverse("group_confirm", args=[group.pk])
    text = _text(
        client.get(f"{confirm}?start={start:%Y-%m-%dT%H:%M:%SZ}&duration=30&tz=Asia/Kolkata")
    )
    assert "Wednesday 9 December 2026, 18:30–19:00 (Asia/Kolkata)" in text


def _occurrence_values(html: str) -> list[str]:
    return re.findall(r'type="datetime-local" name="occurrence" value="([^"]+)"', html)


def test_a_weekly_series_from_sao_paulo_shows_and_books_its_wall_clock(client, program, northwind):
    felipe = _person(northwind, "felipe", "America/Sao_Paulo")
    ada = _person(northwind, "ada", "Africa/Lagos")
    match = _match(program, felipe, ada)
    client.force_login(felipe)
    first = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)  # Thu 3 Dec 09:00 São Paulo
    url = _confirm_url(match, first, "America/Sao_Paulo", repeat="weekly", count="4")
    values = _occurrence_values(client.get(url).content.decode())
    assert values == [
        "2026-12-03T09:00",
        "2026-12-10T09:00",
        "2026-12-17T09:00",
        "2026-12-24T09:00",
    ]
    # The person moves the second occurrence to 11:00 (15:00 in Lagos, inside Ada's default
    # 09:00-17:00) and sends what the page shows.
    values[1] = "2026-12-10T11:00"
    check = client.get(url + "&check=2026-12-10T11:00&n=2").content.decode()
    assert 'value="2026-12-10T11:00"' in check
    response = client.post(
        reverse("match_confirm", args=[match.pk]),
        {
            "start": first.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": "60",
            "tz": "America/Sao_Paulo",
            "repeat": "weekly",
            "count": "4",
            "occurrence": values,
        },
    )
    assert response.status_code == 302, _text(response)
    sao_paulo = [
        s.start.astimezone(dt.timezone(dt.timedelta(hours=-3))).strftime("%d %H:%M")
        for s in Session.objects.filter(match=match).order_by("start")
    ]
    assert sao_paulo == ["03 09:00", "10 11:00", "17 09:00", "24 09:00"]
    page = _text(client.get(response["Location"]))
    assert "Thursday 3 December 2026, 09:00–10:00 (America/Sao_Paulo)" in page


def test_a_series_from_auckland_keeps_the_chosen_day_and_is_bookable(client, program, northwind):
    isla = _person(northwind, "isla", "Pacific/Auckland")
    jamal = _person(northwind, "jamal", "America/Los_Angeles")
    match = _match(program, isla, jamal)
    client.force_login(isla)
    # 09:45 Auckland is 12:45 the day before in Los Angeles: inside both people's default
    # weekday hours (09:00-17:00 on each one's clock).
    first = dt.datetime(2026, 12, 8, 20, 45, tzinfo=dt.UTC)  # Wed 9 Dec 09:45 Auckland
    url = _confirm_url(match, first, "Pacific/Auckland", repeat="weekly", count="2")
    html = client.get(url).content.decode()
    values = _occurrence_values(html)
    assert values == ["2026-12-09T09:45", "2026-12-16T09:45"]
    assert "moved: no conflict" in _text(client.get(url + "&check=2026-12-16T09:45&n=2"))
    response = client.post(
        reverse("match_confirm", args=[match.pk]),
        {
            "start": first.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": "60",
            "tz": "Pacific/Auckland",
            "repeat": "weekly",
            "count": "2",
            "occurrence": values,
        },
    )
    assert response.status_code == 302, _text(response)
    starts = list(Session.objects.filter(match=match).order_by("start").values_list("start"))
    assert [s for (s,) in starts] == [first, first + dt.timedelta(days=7)]


def test_reaching_the_target_never_blocks_a_single_booking(client, northwind):
    program = factories.one_to_one_program(
        northwind, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 6, 30), target_sessions=1
    )
    ada = _person(northwind, "ada", "Africa/Lagos")
    ben = _person(northwind, "ben", "America/New_York")
    match = _match(program, ada, ben)
    services.session_book(
        match_or_group=match,
        start=dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC),
        duration=30,
        booked_by=ada,
    )
    client.force_login(ada)
    wizard = _text(client.get(reverse("match_book", args=[match.pk]) + "?day=2026-12-04"))
    assert "target of 1 session" in wizard
    assert "you can still book single sessions" in wizard
    start = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)  # 16:00 Lagos, 10:00 New York
    html = client.get(_confirm_url(match, start, "Africa/Lagos")).content.decode()
    # No field the browser would refuse to submit: no max below the min.
    assert 'max="0"' not in html
    assert 'name="count"' not in html  # no series can be added to a reached target
    assert "0 sessions left" not in _text(client.get(_confirm_url(match, start, "Africa/Lagos")))
    response = client.post(
        reverse("match_confirm", args=[match.pk]),
        {"start": "2026-12-04T15:00:00Z", "duration": "30", "tz": "Africa/Lagos"},
    )
    assert response.status_code == 302, _text(response)
    assert Session.objects.filter(match=match).count() == 2


def test_times_outside_someones_hours_are_named_as_such_not_busy(client, program, northwind):
    ada = _person(northwind, "ada", "Africa/Lagos")
    ben = _person(northwind, "ben", "America/New_York")
    match = _match(program, ada, ben)
    factories.calendar_connected(ada)
    factories.calendar_connected(ben)
    client.force_login(ada)
    text = _text(client.get(reverse("match_book", args=[match.pk]) + "?day=2026-12-04"))
    # Both keep the default weekdays 09:00-17:00 on their own clocks. 09:00-14:45 Lagos is
    # 03:00-08:45 in New York: outside Ben's hours, not busy.
    assert "09:00–14:45 outside Ben's hours" in text
    assert "Ben busy" not in text
