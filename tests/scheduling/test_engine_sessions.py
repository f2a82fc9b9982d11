"""Together's own sessions are an engine input of their own: known to everyone who books
with the person, they block (buffers included) whether or not a calendar is connected."""

from __future__ import annotations

import datetime as dt

from scheduling import engine

DAY = dt.date(2026, 3, 3)
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 3, hour, minute, tzinfo=dt.UTC)


def states(result, who) -> dict[str, str]:
    return {
        dt.datetime.fromtimestamp(s, dt.UTC).strftime("%H:%M"): str(state)
        for s, state in zip(result.starts, result.states_of(who), strict=True)
    }


def test_a_session_blocks_someone_without_a_calendar_with_its_buffers():
    ben = engine.Participant(
        id="ben",
        time_zone="UTC",
        integrated=False,
        sessions=[(at(10), at(10, 30))],
        hours=engine.BookableHours.around_the_clock(),
    )
    alice = engine.Participant(
        id="alice", time_zone="UTC", integrated=False, hours=engine.BookableHours.around_the_clock()
    )
    request = engine.SlotRequest(
        first_day=DAY,
        last_day=DAY,
        viewer_tz="UTC",
        now=NOW,
        duration=dt.timedelta(minutes=30),
        buffer_before=dt.timedelta(minutes=15),
        buffer_after=dt.timedelta(minutes=15),
    )
    result = engine.availability(participants=[alice, ben], viewer_id="alice", request=request)
    bens = states(result, "ben")
    assert bens["09:15"] == "unknown"  # 09:15-09:45, then 15 minutes clear before 10:00
    assert bens["09:30"] == "busy"
    assert bens["10:30"] == "busy"  # needs 15 minutes after the session ends
    assert bens["10:45"] == "unknown"
    bookable = dict(zip(result.starts, result.bookable_flags, strict=True))
    assert bookable[int(at(9, 30).timestamp())] == 0 and bookable[int(at(10, 45).timestamp())] == 1
    heat = engine.heat_map(members=[alice, ben], request=request)
    cell = next(c for c in heat.cells if c.start == at(10))
    assert cell.busy == ("ben",)


def test_a_session_outside_someones_hours_stays_outside_hours():
    ben = engine.Participant(
        id="ben",
        time_zone="UTC",
        integrated=False,
        sessions=[(at(20), at(22))],
    )
    request = engine.SlotRequest(
        first_day=DAY, last_day=DAY, viewer_tz="UTC", now=NOW, duration=dt.timedelta(minutes=30)
    )
    result = engine.availability(participants=[ben], viewer_id="ben", request=request)
    assert states(result, "ben")["20:00"] == "outside_hours"
