"""Journey 2 in a real browser: Connect Google through the emulator's consent page, then
Disconnect."""

from __future__ import annotations

import pytest

from calendars.models import BusyBlock, CalendarConnection
from tests import factories
from tests.calendars.conftest import ARTIFACTS


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_person_connects_google_and_disconnects_in_the_browser(
    emulator, live_server, browser_page, northwind
):
    alice = factories.person(northwind, "alice", time_zone="Europe/London")
    emulator.add_events("alice@northwind.example", [{"start": "+1d 10:00", "duration": "1h"}])
    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(live_server.url + "/accounts/login/?next=/calendar/")
    page.fill("#id_username", alice.email)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/calendar/")
    page.click("text=Connect Google")

    # The emulator's Google consent page.
    page.wait_for_selector("input[name=account]")
    page.check("input[name=account][value='alice@northwind.example']")
    page.click("button[value=accept]")

    page.wait_for_url("**/calendar/")
    assert page.locator("text=Connected alice@northwind.example").is_visible()
    assert page.locator("[data-connection]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "calendars-connected.png"), full_page=True)
    connection = CalendarConnection.objects.get(user=alice)
    assert connection.status == "active"
    assert BusyBlock.objects.filter(user=alice).count() == 1

    page.click("button:has-text('Disconnect')")
    # First a page that says what will happen; nothing is gone yet.
    page.wait_for_selector("h1:has-text('Disconnect alice@northwind.example?')")
    page.screenshot(path=str(ARTIFACTS / "calendars-disconnect-confirm.png"), full_page=True)
    assert CalendarConnection.objects.filter(user=alice).exists()
    page.click("#confirm-disconnect")
    page.wait_for_selector("text=Disconnected alice@northwind.example")
    page.screenshot(path=str(ARTIFACTS / "calendars-disconnected.png"), full_page=True)
    assert not CalendarConnection.objects.filter(user=alice).exists()
    assert not BusyBlock.objects.filter(user=alice).exists()
    assert page.locator("text=Connect Google").is_visible()
