"""The report list fits a 1280 px laptop screen: every column is on screen, for a program admin
and for a superuser (who also has an organization column and the filter)."""

import pytest
from django.urls import reverse

from programs import services
from programs.models import Membership, User
from tests.conftest import ARTIFACTS
from tests.factories import PASSWORD

OVERFLOW = """() => {
  const table = document.querySelector('#result_list');
  const box = table.getBoundingClientRect();
  let scroller = table.parentElement;
  while (scroller && getComputedStyle(scroller).overflowX === 'visible') scroller = scroller.parentElement;
  return {
    pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
    tableRight: box.right,
    viewport: window.innerWidth,
    scrollerRight: scroller ? scroller.getBoundingClientRect().right : null,
    scrollerOverflowX: scroller ? getComputedStyle(scroller).overflowX : null,
  };
}"""


@pytest.fixture
def _after_the_period():
    # A frozen clock would expire the browser's session cookie against the real one.
    yield


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["program_admin", "superuser"])
def test_the_report_list_fits_1280_px(march, priya_admin, live_server, chromium, who):
    if who == "superuser":
        user = User.objects.create_superuser("root@together.example", PASSWORD, time_zone="UTC")
    else:
        services.membership_add(program=march, user=priya_admin, role=Membership.Role.ADMIN)
        user = priya_admin
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}{reverse('admin:reporting_programreport_changelist')}")
    page.wait_for_selector("#result_list")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-list-1280-{who}.png"))
    sizes = page.evaluate(OVERFLOW)
    assert sizes["pageOverflow"] <= 0, sizes
    # Every column is on screen, the last one ("Open report") included.
    assert sizes["tableRight"] <= sizes["scrollerRight"] <= sizes["viewport"], sizes
    assert page.locator("text=Open report").is_visible()
    box = page.locator("text=Open report").bounding_box()
    assert box["x"] + box["width"] <= sizes["scrollerRight"], (box, sizes)
    page.close()
