"""Journey 1 in a real browser: an IT admin connects Google Workspace for the organization,
and a member's My Calendar then shows who the integration is with."""

from __future__ import annotations

import pytest

from calendars.models import OrganizationIntegration
from calendars.providers import google
from tests import factories
from tests.calendars.conftest import ARTIFACTS, SERVICE_ACCOUNT


def _sign_in(page, live_server, user, next_path):
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.fill("#id_username", user.email)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_it_admin_connects_google_workspace_in_the_browser(
    emulator, live_server, browser_page, northwind
):
    priya = factories.person(northwind, "priya", staff=True)
    alice = factories.person(northwind, "alice", time_zone="Europe/London")
    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    _sign_in(page, live_server, priya, "/calendar/organization/")
    page.fill("textarea[name=key]", emulator.key_file(SERVICE_ACCOUNT["client_email"]))
    page.click("text=Continue")
    page.wait_for_selector("[data-testid=client-id]")
    assert page.inner_text("[data-testid=client-id]") == SERVICE_ACCOUNT["client_id"]
    assert page.inner_text("[data-testid=scopes]") == ",".join(google.SCOPES)
    page.screenshot(path=str(ARTIFACTS / "calendars-org-instructions.png"), full_page=True)

    # The admin enters the client id and scopes in the Admin console…
    emulator.control(
        "POST",
        "/delegations",
        {"org": "Northwind", "client_id": SERVICE_ACCOUNT["client_id"], "scopes": google.SCOPES},
    )
    page.click("button:has-text('Verify')")
    page.wait_for_selector("[data-testid=org-status]")
    status = page.inner_text("[data-testid=org-status]")
    assert "Connected via Google" in status and priya.display_name in status
    assert "2 of 2 members resolve" in status
    page.screenshot(path=str(ARTIFACTS / "calendars-org-connected.png"), full_page=True)
    assert OrganizationIntegration.objects.get(organization=northwind).status == "active"

    page.click("text=Sign out")
    _sign_in(page, live_server, alice, "/calendar/")
    assert "Connected by your organization via Google" in page.inner_text(
        "[data-testid=org-integration]"
    )
    assert page.locator("text=Connect Google").count() == 0
