"""Keyboard focus after the wizard's partial updates: it lands where the person is working,
never back on the page."""

from __future__ import annotations

import time

import pytest

from tests.scheduling.booking_pages import (  # noqa: F401
    match,
    open_wizard,
    shot,
    target_slot,
)

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("everyone_bookable_all_week"),
]

FOCUSED = """() => {
  const el = document.activeElement;
  return {id: el.id, tag: el.tagName, name: el.name || "", value: el.value || "",
          checked: !!el.checked, text: el.innerText || ""};
}"""


def until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until ``expression`` is true in the page. Polled through page.evaluate, which the
    page's CSP allows: wait_for_function compiles its string in the page, and script-src
    'self' (no 'unsafe-eval') refuses that whenever the first check is not already true."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        time.sleep(0.05)


def test_choosing_a_date_with_enter_focuses_the_time_list_one_tab_from_its_first_time(
    open_as,  # noqa: F811
    live_server,
    match,  # noqa: F811
    alice_mentee,
):
    slot = target_slot()
    page = open_as(alice_mentee)
    open_wizard(page, live_server, match, slot)
    # Another date, chosen from the keyboard.
    other = slot.date().replace(day=slot.day + 1) if slot.day < 28 else slot.date()
    page.focus(f'a[data-date="{other.isoformat()}"]')
    page.keyboard.press("Enter")
    page.wait_for_selector(f'a.date.selected[data-date="{other.isoformat()}"]')
    until(page, "document.activeElement.id === 'time-title'")
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    first_time = page.evaluate("document.querySelector('.time-list a.slot').innerText")
    assert focused["tag"] == "A" and focused["text"] == first_time
    shot(page, "focus-01-date-then-tab")


def test_changing_duration_and_conferencing_with_arrow_keys_keeps_focus_on_the_choice(
    open_as,  # noqa: F811
    live_server,
    match,  # noqa: F811
    alice_mentee,
):
    slot = target_slot()
    page = open_as(alice_mentee)
    open_wizard(page, live_server, match, slot)
    page.focus('input[name=duration][value="30"]')
    page.keyboard.press("ArrowDown")  # 45 minutes: the wizard re-renders
    page.wait_for_selector('input[name=duration][value="45"][checked]')
    until(page, "document.activeElement.name === 'duration'")
    assert page.evaluate(FOCUSED)["value"] == "45"
    page.keyboard.press("ArrowDown")  # and again, without reaching for the mouse
    page.wait_for_selector('input[name=duration][value="60"][checked]')
    until(page, "document.activeElement.value === '60'")

    page.focus('input[name=conferencing][value="none"]')
    page.keyboard.press("ArrowUp")  # Physical location: its field appears
    page.wait_for_selector("#id_location")
    until(page, "document.activeElement.name === 'conferencing'")
    assert page.evaluate(FOCUSED)["value"] == "location"
    shot(page, "focus-02-conferencing")
