"""A program admin signs in to Django admin and reads a program report in a real browser."""

import pytest
from django.urls import reverse

from programs import services
from programs.models import Membership
from tests.conftest import ARTIFACTS
from tests.factories import PASSWORD


@pytest.fixture
def _after_the_period():
    # A frozen clock would expire the browser's session cookie against the real one.
    yield


@pytest.fixture
def browser_page(chromium):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    yield page
    page.close()


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
