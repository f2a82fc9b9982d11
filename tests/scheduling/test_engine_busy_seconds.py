"""Busy blocks handed to the engine as epoch seconds (what the busy cache reads from the
database) count exactly as the same blocks given as datetimes, and bad numbers are refused.
Hours code strings kept between calls never show anyone yesterday's hours."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from scheduling import engine

FIRST = dt.date(2026, 3, 23)  # a fortnight across the EU's DST change (29 March)
NOW = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
REQUEST = engine.SlotRequest(
    first_day=FIRST,
    last_day=FIRST + dt.timedelta(days=13),
    viewer_tz="Asia/Kolkata",
    now=NOW,
    duration=dt.timedelta(minutes=30),
    buffer_before=dt.timedelta(minutes=10),
)


def _random_blocks(seed: int) -> list[tuple[dt.datetime, dt.datetime]]:
    rng = random.Random(seed)
    start = dt.datetime(2026, 3, 22, tzinfo=dt.UTC)
    blocks = []
    for _ in range(120):
        begin = start + dt.timedelta(seconds=rng.randrange(16 * 86400))
        blocks.append((begin, begin + dt.timedelta(seconds=rng.randrange(0, 3 * 3600))))
    return blocks


def _as_seconds(blocks) -> tuple[list[int], list[int]]:
    return [int(a.timestamp()) for a, _ in blocks], [int(b.timestamp()) for _, b in blocks]


@pytest.mark.parametrize("seed", range(5))
def test_seconds_and_datetimes_give_the_same_heat_map(seed):
    blocks = _random_blocks(seed)
    as_datetimes = engine.Participant(
        id="ben", time_zone="Europe/Berlin", integrated=True, busy=blocks
    )
    as_seconds = engine.Participant(
        id="ben", time_zone="Europe/Berlin", integrated=True, busy_seconds=_as_seconds(blocks)
    )
    one = engine.heat_map(members=[as_datetimes], request=REQUEST)
    other = engine.heat_map(members=[as_seconds], request=REQUEST)
    assert one.state_codes == other.state_codes
    assert one.free_counts == other.free_counts


def test_seconds_and_datetimes_of_one_person_are_merged_together():
    day = dt.datetime(2026, 3, 24, tzinfo=dt.UTC)
    ten, eleven = day.replace(hour=10), day.replace(hour=11)
    ben = engine.Participant(
        id="ben",
        time_zone="UTC",
        integrated=True,
        busy=[(ten, eleven)],
        busy_seconds=([int(eleven.timestamp())], [int(eleven.timestamp()) + 1800]),
    )
    alice = engine.Participant(id="alice", time_zone="UTC", integrated=True)
    result = engine.availability(participants=[alice, ben], viewer_id="alice", request=REQUEST)
    assert result.busy["ben"] == ((int(ten.timestamp()), int(eleven.timestamp()) + 1800),)


@pytest.mark.parametrize(
    "seconds, error",
    [
        (([1.5], [2]), engine.InvalidRequest),
        ((["10"], ["20"]), engine.InvalidRequest),
        (([None], [20]), engine.InvalidRequest),
        (([10, 20], [30]), engine.InvalidRequest),
        ("10-20", engine.InvalidRequest),
        (([30], [20]), engine.InvalidInterval),
    ],
)
def test_bad_busy_seconds_are_refused_with_a_clear_error(seconds, error):
    with pytest.raises(error, match="busy"):
        engine.Participant(id="ben", time_zone="UTC", integrated=True, busy_seconds=seconds)


def test_empty_blocks_in_seconds_block_nothing():
    at = int(dt.datetime(2026, 3, 24, 10, tzinfo=dt.UTC).timestamp())
    ben = engine.Participant(id="ben", time_zone="UTC", integrated=True, busy_seconds=([at], [at]))
    assert ben.busy_seconds == ((), ())
    free = engine.heat_map(members=[ben], request=REQUEST).free_counts
    alone = engine.heat_map(
        members=[engine.Participant(id="ben", time_zone="UTC", integrated=True)], request=REQUEST
    ).free_counts
    assert free == alone


def test_changed_hours_show_at_once_though_hours_codes_are_kept_between_calls():
    def ben(hours):
        return engine.Participant(id="ben", time_zone="Europe/Berlin", integrated=True, hours=hours)

    nine_to_five = engine.BookableHours()
    mornings = engine.BookableHours(weekly=dict.fromkeys(range(5), [(dt.time(8), dt.time(12))]))
    before = engine.heat_map(members=[ben(nine_to_five)], request=REQUEST)
    after = engine.heat_map(members=[ben(mornings)], request=REQUEST)
    again = engine.heat_map(members=[ben(nine_to_five)], request=REQUEST)
    assert before.state_codes != after.state_codes
    assert again.state_codes == before.state_codes
    # 14:00 Berlin on Tuesday 24 March: inside nine-to-five, outside mornings.
    two_pm = int(dt.datetime(2026, 3, 24, 13, tzinfo=dt.UTC).timestamp())
    k = before.starts.index(two_pm)
    assert before.state_codes[0][k] == engine.STATE_OF_CODE.index(engine.State.FREE)
    assert after.state_codes[0][k] == engine.STATE_OF_CODE.index(engine.State.OUTSIDE_HOURS)
