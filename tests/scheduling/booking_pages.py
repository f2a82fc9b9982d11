"""Helpers for browser tests of the booking pages: a signed-in page, a match a few weeks into
its program, the wizard opened on a slot's date (as in test_browser_booking, without its
emulator and invite machinery)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from programs import services as program_services
from tests import factories

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "scheduling"


def target_slot() -> dt.datetime:
    """15:00 UTC on a Tuesday at least two days ahead: inside London's and New York's hours."""
    day = timezone.now().date() + dt.timedelta(days=2)
    while day.weekday() != 1:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(15, 0), tzinfo=dt.UTC)


def zulu(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def match(northwind, alice_mentee, bob_mentor):
    today = timezone.now().date()
    program = factories.one_to_one_program(
        northwind,
        name="Mentoring",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=200),
    )
    return program_services.match_create(program=program, mentee=alice_mentee, mentor=bob_mentor)


def open_wizard(page, live_server, match, slot: dt.datetime) -> None:
    """The wizard with the slot's date chosen."""
    page.goto(live_server.url + reverse("match_book", args=[match.pk]))
    page.wait_for_selector("#wizard-form")
    day = slot.date().isoformat()
    if page.locator(f'a[data-date="{day}"]').count() == 0:
        page.click('a[aria-label="Next month"]')
        page.wait_for_selector(f'a[data-date="{day}"]')
    page.click(f'a[data-date="{day}"]')
    page.wait_for_selector(f'a.date.selected[data-date="{day}"]')
