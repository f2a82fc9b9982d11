"""The loader's time list: taken, busy and free flags per slot, from busy times and sessions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from scheduling import availability, services
from tests import factories

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 3)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 3, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def wizard_rows(alice_and_bob, alice_mentee, bob_mentor):
    with time_machine.travel(NOW, tick=False):
        factories.calendar_connected(alice_mentee)
        factories.calendar_connected(bob_mentor, [(at(18), at(19))])
        # The invite is written after commit, which never comes inside a test's transaction.
        services.session_book(
            match_or_group=alice_and_bob, start=at(15), duration=30, booked_by=alice_mentee
        )

        def rows(**kwargs):
            return availability.match_wizard(
                match=alice_and_bob,
                viewer=alice_mentee,
                time_zone="Europe/London",
                duration=30,
                **kwargs,
            )

        yield rows


def test_each_slot_says_whether_it_is_taken_busy_or_free(wizard_rows):
    wizard = wizard_rows(first_day=DAY, last_day=DAY, every_day=True)
    assert wizard.insight == "mutual"
    by_start = {row.start: row for row in wizard.slots}
    # A session 15:00-15:30 takes every 30-minute slot that overlaps it, and no other.
    taken = sorted(s.strftime("%H:%M") for s, row in by_start.items() if row.taken)
    assert taken == ["14:45", "15:00", "15:15"]
    assert not by_start[at(15)].bookable
    assert by_start[at(15, 30)].bookable and by_start[at(14, 30)].bookable
    # Bob is busy 18:00-19:00.
    assert by_start[at(17, 45)].partner_busy and not by_start[at(17, 45)].bookable
    assert not by_start[at(19)].partner_busy and by_start[at(19)].bookable
    # Both free at 13:00: a green dot.
    assert by_start[at(13)].all_free and not by_start[at(13)].me_busy
    # Alice's own night is left out of her list; Bob's morning (before 12:00 UTC) is outside
    # his hours, which is not the same as busy.
    assert min(by_start) == at(7) and max(by_start) == at(20, 30)
    assert by_start[at(11, 45)].partner_outside and not by_start[at(11, 45)].partner_busy
    assert not by_start[at(12)].partner_outside and not by_start[at(11, 45)].bookable


def test_the_day_view_agrees_with_the_whole_range(wizard_rows):
    whole = wizard_rows(first_day=DAY - dt.timedelta(days=1), last_day=DAY + dt.timedelta(days=1))
    whole.show_day(DAY)
    single = wizard_rows(first_day=DAY, last_day=DAY, every_day=True)
    assert whole.slots == single.slots
    # Bob's busy times shown to Alice: the session and his 18:00-19:00 block.
    assert single.partner_busy == [(at(15), at(15, 30)), (at(18), at(19))]
    assert whole.partner_busy == single.partner_busy


def test_a_day_outside_the_loaded_range_is_refused(wizard_rows):
    wizard = wizard_rows(first_day=DAY, last_day=DAY)
    with pytest.raises(ValueError, match="outside the loaded range"):
        wizard.show_day(DAY + dt.timedelta(days=1))


def test_rescheduling_frees_the_sessions_own_time_and_its_synced_invite(
    alice_and_bob, alice_mentee, bob_mentor
):
    with time_machine.travel(NOW, tick=False):
        session = services.session_book(
            match_or_group=alice_and_bob, start=at(15), duration=30, booked_by=alice_mentee
        )
        # The invite came back from Bob's calendar as a busy block with the session's times.
        factories.calendar_connected(alice_mentee)
        factories.calendar_connected(bob_mentor, [(at(15), at(15, 30)), (at(18), at(19))])

        def slot(exclude):
            wizard = availability.match_wizard(
                match=alice_and_bob,
                viewer=alice_mentee,
                time_zone="Europe/London",
                duration=30,
                first_day=DAY,
                last_day=DAY,
                day=DAY,
                exclude_session=exclude,
            )
            return {row.start: row for row in wizard.slots}

        assert not slot(None)[at(15, 15)].bookable
        moving = slot(session.pk)
        assert moving[at(15, 15)].bookable and not moving[at(15, 15)].partner_busy
        assert moving[at(18)].partner_busy  # Bob's other busy time still counts


def test_the_group_heat_map_leaves_out_the_session_being_moved(circle, alice_mentee):
    with time_machine.travel(NOW, tick=False):
        session = services.session_book(
            match_or_group=circle, start=at(15), duration=30, booked_by=alice_mentee
        )

        def cell(exclude):
            heat = availability.group_heat_map(
                group=circle,
                viewer=alice_mentee,
                time_zone="UTC",
                duration=30,
                week_start=dt.date(2026, 3, 2),
                exclude_session=exclude,
            )
            return next(c for _, row in heat.rows for c in row if c and c.start == at(15))

        assert cell(None).free == 0
        # Nobody in the circle has a calendar: without the session they are unknown, not free.
        moved = cell(session.pk)
        assert (moved.free, moved.unknown, moved.busy_names) == (0, 3, [])


def test_the_group_heat_map_counts_members_without_a_calendar_as_unknown(
    client, circle, alice_mentee, bob_mentor
):
    """Unknown is never free: "2 of 3 available, 1 unknown", never "3 of 3"."""
    with time_machine.travel(NOW, tick=False):
        factories.calendar_connected(alice_mentee)
        factories.calendar_connected(bob_mentor)
        heat = availability.group_heat_map(
            group=circle,
            viewer=alice_mentee,
            time_zone="UTC",
            duration=30,
            week_start=dt.date(2026, 3, 2),
        )
        cell = next(c for _, row in heat.rows for c in row if c and c.start == at(15))
        assert (cell.free, cell.unknown, cell.total) == (2, 1, 3)
        client.force_login(alice_mentee)
        page = client.get(f"/groups/{circle.pk}/book/?week=2026-03-02&tz=UTC").content.decode()
    assert "2 of 3 available, 1 unknown" in page
    assert "3 of 3 available" not in page
