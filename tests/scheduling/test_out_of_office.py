"""An out-of-office event in someone's calendar (Google eventType outOfOffice, Graph showAs
oof, stored as kind "oof") blocks like time off: partners read "away", never "busy"."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from calendars.models import BusyBlock
from programs import services as program_services
from scheduling import availability, presenters
from tests import factories

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 3)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 3, hour, minute, tzinfo=dt.UTC)


def out_of_office(person, start, end) -> None:
    _, calendar = factories.calendar_connected(person, [(at(17), at(18))])
    BusyBlock.objects.create(user=person, calendar=calendar, start=start, end=end, kind="oof")


@time_machine.travel(NOW, tick=False)
def test_a_partners_out_of_office_reads_away_in_the_wizard(alice_and_bob, alice_mentee, bob_mentor):
    factories.calendar_connected(alice_mentee)
    out_of_office(bob_mentor, at(12), at(15))
    wizard = availability.match_wizard(
        match=alice_and_bob,
        viewer=alice_mentee,
        time_zone="Europe/London",
        duration=30,
        first_day=DAY,
        last_day=DAY,
        every_day=True,
    )
    by_start = {row.start: row for row in wizard.slots}
    assert by_start[at(13)].partner_away and not by_start[at(13)].bookable
    assert not by_start[at(17)].partner_away  # an ordinary meeting is busy, not away
    why = {t: presenters.why_not(by_start[t], wizard.insight, "Bob") for t in (at(12), at(17))}
    assert why == {at(12): "Bob is away", at(17): "Bob is busy"}
    assert by_start[at(15)].bookable


@time_machine.travel(NOW, tick=False)
def test_the_heat_map_lists_someone_out_of_office_as_away(northwind, alice_mentee, bob_mentor):
    program = factories.group_program(northwind)
    group = program_services.group_create(
        program=program, name="Circle", facilitator=alice_mentee, members=[bob_mentor]
    )
    factories.calendar_connected(alice_mentee)
    out_of_office(bob_mentor, at(12), at(15))
    heat = availability.group_heat_map(
        group=group,
        viewer=alice_mentee,
        time_zone="UTC",
        duration=30,
        week_start=DAY,
        days=1,
    )
    cells = {c.start: c for _, row in heat.rows for c in row if c is not None}
    assert cells[at(13)].away_names == ["Bob Example"]
    assert cells[at(13)].busy_names == []
    assert cells[at(17)].busy_names == ["Bob Example"]
    assert cells[at(13)].free == 1
