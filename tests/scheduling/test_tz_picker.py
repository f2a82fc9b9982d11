"""The booking pages' time-zone picker: a typed field with server-side suggestions, no list of
six hundred names in every page, aliases still understood."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from tests.scheduling.booking_pages import (  # noqa: F401
    match,
    open_wizard,
    shot,
    target_slot,
    zulu,
)

NOW = dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def wizard(client, match_, query: str = "") -> tuple[int, str]:
    response = client.get(reverse("match_book", args=[match_.pk]) + query)
    return response.status_code, response.content.decode()


def test_the_wizard_has_one_typed_zone_field_and_no_list_of_zones(
    client, clock, alice_and_bob, alice_mentee
):
    client.force_login(alice_mentee)
    status, html = wizard(client, alice_and_bob)
    assert status == 200
    assert "<select" not in html and "<option" not in html
    (field,) = re.findall(r"<input[^>]*id=\"id_tz\"[^>]*>", html)
    assert 'name="tz"' in field and 'value="Europe/London"' in field
    assert 'role="combobox"' in field and f'hx-get="{reverse("zone_search")}"' in field
    assert "Europe/London — London, Britain (UK) (UTC+00:00)" in html
    assert "Africa/Abidjan" not in html
    assert len(html) < 45_000  # was 60 KiB, most of it the zone list


def test_an_old_zone_name_still_works_and_is_shown_as_its_zone(
    client, clock, alice_and_bob, alice_mentee
):
    client.force_login(alice_mentee)
    status, html = wizard(client, alice_and_bob, "?tz=Asia/Calcutta")
    assert status == 200
    assert "All times are shown in Asia/Kolkata" in html
    assert 'value="Asia/Kolkata"' in html


def test_without_javascript_a_typed_city_is_understood(client, clock, alice_and_bob, alice_mentee):
    client.force_login(alice_mentee)
    status, html = wizard(client, alice_and_bob, "?tz=kolkata")
    assert status == 200
    assert "All times are shown in Asia/Kolkata" in html


def test_a_value_that_is_no_single_zone_is_refused_naming_the_field(
    client, clock, alice_and_bob, alice_mentee, circle
):
    client.force_login(alice_mentee)
    status, html = wizard(client, alice_and_bob, "?tz=Brazil")
    assert status == 400
    assert "Time zone: Brazil has" in html and "type a city instead" in html
    response = client.get(reverse("group_book", args=[circle.pk]) + "?tz=Mars/Base")
    assert response.status_code == 400
    assert "Time zone: No time zone matches “Mars/Base”" in response.content.decode()


def test_the_heat_map_has_the_same_picker(client, clock, circle, alice_mentee):
    client.force_login(alice_mentee)
    html = client.get(reverse("group_book", args=[circle.pk])).content.decode()
    assert "<option" not in html
    assert re.search(r'<input[^>]*id="id_tz"[^>]*name="tz"', html)


def test_suggestions_by_city_country_and_offset(client, clock, alice_mentee):
    client.force_login(alice_mentee)

    def suggestions(query):
        html = client.get(reverse("zone_search"), {"tz": query}).content.decode()
        return re.findall(r'data-zone="([^"]+)">([^<]+)<', html), html

    found, _ = suggestions("kolk")
    assert found == [("Asia/Kolkata", "Asia/Kolkata — Kolkata, India (UTC+05:30)")]
    found, _ = suggestions("auckland")
    assert found == [("Pacific/Auckland", "Pacific/Auckland — Auckland, New Zealand (UTC+13:00)")]
    found, html = suggestions("brazil")
    assert len(found) == 10 and "America/Sao_Paulo" in dict(found)
    assert "more: type more of a city to narrow" in html
    found, _ = suggestions("-03")
    assert "America/Sao_Paulo" in dict(found)
    assert all(label.endswith("(UTC-03:00)") for _, label in found)
    found, html = suggestions("atlantis")
    assert found == [] and "No time zone matches “atlantis”" in html


@pytest.mark.browser
@pytest.mark.usefixtures("everyone_bookable_all_week")  # not a test of hours
@pytest.mark.django_db(transaction=True)
def test_typing_a_city_and_picking_it_with_the_keyboard_rerenders_the_times(
    open_as,  # noqa: F811
    live_server,
    match,  # noqa: F811
    alice_mentee,
):
    slot = target_slot()  # 15:00 UTC: 20:30 in Kolkata
    page = open_as(alice_mentee)
    open_wizard(page, live_server, match, slot)
    assert page.inner_text(f'a.slot[href*="start={zulu(slot)}"]').strip() == "15:00"
    page.focus("#id_tz")
    page.keyboard.press("Control+A")
    page.keyboard.type("kolk")
    page.wait_for_selector('#tz-options [data-zone="Asia/Kolkata"]')
    assert page.get_attribute("#id_tz", "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#id_tz", "aria-activedescendant") == "tz-option-0"
    shot(page, "tz-picker-suggestions")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=All times are shown in Asia/Kolkata")
    assert page.inner_text(f'a.slot[href*="start={zulu(slot)}"]').strip() == "20:30"
    assert "tz=Asia%2FKolkata" in page.url or "tz=Asia/Kolkata" in page.url
    # Focus stays on the picker, so the keyboard user is where they were.
    assert page.evaluate("document.activeElement.id") == "id_tz"
    shot(page, "tz-picker-kolkata")
