"""A program admin signs in to Django admin and reads a program report in a real browser."""

from pathlib import Path

import pytest
from django.urls import reverse

from programs import services
from programs.models import Membership
from tests.factories import PASSWORD

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
def _after_the_period():
    # A frozen clock would expire the browser's session cookie against the real one.
    yield


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code, so Django's async guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is missing: run scripts/install-browser.sh")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_program_admin_reads_the_report_in_a_browser(
    march, priya_admin, live_server, browser_page
):
    services.membership_add(program=march, user=priya_admin, role=Membership.Role.ADMIN)
    page = browser_page
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("#id_username", priya_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{reverse('admin:index')}")
    page.click("text=Program reports")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-list.png"), full_page=True)
    page.click("text=Open report")
    page.fill("#id_start", "2026-03-01")
    page.fill("#id_end", "2026-03-31")
    page.click("text=Show report")
    page.wait_for_selector("svg.report-chart")

    assert page.locator("h1").inner_text() == "Report: Mentoring"
    assert page.locator("svg.report-chart").count() == 4
    headline = page.locator(".report-headline").inner_text()
    assert "75%" in headline
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)

    page.click(".report-headline a[href*=matches-waiting]")
    assert "erin@northwind-partners.example" in page.locator("#result_list").inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-drilldown.png"), full_page=True)
