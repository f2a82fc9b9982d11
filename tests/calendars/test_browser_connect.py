"""Journey 2 in a real browser: Connect Google through the emulator's consent page, then
Disconnect."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from calendars.models import BusyBlock, CalendarConnection
from tests import factories

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    if not os.path.exists("/usr/bin/chromium"):
        pytest.fail("Chromium is missing: run `bash scripts/install-browser.sh` once")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        # The emulator's TLS certificate comes from a test CA the browser does not know.
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


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
    page.wait_for_selector("text=Disconnected alice@northwind.example")
    page.screenshot(path=str(ARTIFACTS / "calendars-disconnected.png"), full_page=True)
    assert not CalendarConnection.objects.filter(user=alice).exists()
    assert not BusyBlock.objects.filter(user=alice).exists()
    assert page.locator("text=Connect Google").is_visible()
