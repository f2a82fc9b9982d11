"""The slot engine's rules, one behaviour per test: insight levels, busy semantics, past and
notice, buffers, bookable hours, the heat map, recurrence conflicts and bad input.

Named people: Alice the mentee and Bob the mentor, both in London unless a test says
otherwise; Monday 4 March 2024 is the day most tests look at, with a fixed clock.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import pathlib

import pytest

from scheduling import engine

UTC = dt.UTC
MONDAY = dt.date(2024, 3, 4)
NOW = dt.datetime(2024, 3, 1, 12, tzinfo=UTC)
ENGINE_DIR = pathlib.Path(engine.__file__).parent


class NoOffset(dt.tzinfo):
    """A tzinfo that knows no offset: Python counts such datetimes as naive."""

    def utcoffset(self, when):
        return None


def at(hour: int, minute: int = 0, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


def person(name: str, *, integrated: bool = True, tz: str = "Europe/London", **more):
    return engine.Participant(id=name, time_zone=tz, integrated=integrated, **more)


def request(**changes) -> engine.SlotRequest:
    values = {
        "first_day": MONDAY,
        "last_day": MONDAY,
        "viewer_tz": "Europe/London",
        "now": NOW,
        "duration": dt.timedelta(minutes=30),
        "step": dt.timedelta(minutes=30),
    }
    values.update(changes)
    return engine.SlotRequest(**values)


def slots_at(result: engine.Availability) -> dict[str, engine.Slot]:
    return {s.start.strftime("%H:%M"): s for s in result.slots}


def states_at(result: engine.Availability, when: str) -> dict[str, str]:
    return {k: str(v) for k, v in slots_at(result)[when].states.items()}


def availability(*people, viewer="alice", **changes) -> engine.Availability:
    return engine.availability(participants=people, viewer_id=viewer, request=request(**changes))


# -- Insight levels, exactly as the seeds describe. -----------------------------------------


def test_both_integrated_see_mutual_availability_and_each_others_busy_blocks():
    meeting = (at(10), at(11))
    result = availability(person("alice"), person("bob", busy=[meeting]))
    assert result.insight == engine.Insight.MUTUAL
    assert states_at(result, "09:00") == {"alice": "free", "bob": "free"}
    assert states_at(result, "10:00") == {"alice": "free", "bob": "busy"}
    assert not slots_at(result)["10:00"].bookable and slots_at(result)["09:00"].bookable
    assert result.busy_blocks == {"alice": (), "bob": (meeting,)}


def test_only_the_viewer_integrated_sees_their_own_availability_only():
    result = availability(person("alice", busy=[(at(9), at(10))]), person("bob", integrated=False))
    assert result.insight == engine.Insight.VIEWER_ONLY
    assert states_at(result, "09:00") == {"alice": "busy", "bob": "unknown"}
    assert states_at(result, "11:00") == {"alice": "free", "bob": "unknown"}
    assert slots_at(result)["11:00"].bookable  # unknown does not block
    assert set(result.busy_blocks) == {"alice"}


def test_an_unintegrated_viewer_learns_nothing_from_an_integrated_partner():
    result = availability(person("alice", integrated=False), person("bob", busy=[(at(10), at(11))]))
    assert result.insight == engine.Insight.NONE
    assert states_at(result, "10:00") == {"alice": "unknown", "bob": "unknown"}
    assert slots_at(result)["10:00"].bookable  # plain slots: Bob's meeting is not revealed
    assert result.busy_blocks == {}


def test_neither_integrated_gives_plain_slots_within_bookable_hours():
    result = availability(person("alice", integrated=False), person("bob", integrated=False))
    assert result.insight == engine.Insight.NONE
    bookable = [k for k, s in slots_at(result).items() if s.bookable]
    assert bookable == [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]
    assert all(
        str(state) == "unknown" for s in result.slots if s.bookable for state in s.states.values()
    )


def test_an_unintegrated_participant_is_never_free():
    result = availability(person("alice"), person("bob", integrated=False))
    assert engine.State.FREE not in result.states_of("bob")


def test_outside_bookable_hours_is_its_own_state_and_blocks_even_without_a_calendar():
    result = availability(person("alice", integrated=False), person("bob", integrated=False))
    assert states_at(result, "08:30") == {"alice": "outside_hours", "bob": "outside_hours"}
    assert not slots_at(result)["08:30"].bookable
    assert slots_at(result)["16:30"].bookable  # 16:30-17:00 still fits
    assert not slots_at(result)["17:00"].bookable


# -- Busy semantics. -------------------------------------------------------------------------


def test_overlapping_and_adjacent_blocks_merge():
    bob = person(
        "bob",
        busy=[(at(10), at(11)), (at(11), at(11, 30)), (at(10, 30), at(10, 45)), (at(13), at(14))],
    )
    result = availability(person("alice"), bob)
    assert result.busy_blocks["bob"] == ((at(10), at(11, 30)), (at(13), at(14)))


def test_blocks_may_arrive_in_any_order_and_any_zone():
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    bob = person(
        "bob", busy=[(at(13).astimezone(tokyo), at(14).astimezone(tokyo)), (at(9), at(10))]
    )
    result = availability(person("alice"), bob)
    assert result.busy_blocks["bob"] == ((at(9), at(10)), (at(13), at(14)))


def test_a_slot_ending_as_a_meeting_starts_is_free():
    result = availability(person("alice"), person("bob", busy=[(at(10), at(11))]))
    assert states_at(result, "09:30")["bob"] == "free"
    assert states_at(result, "11:00")["bob"] == "free"


def test_a_zero_length_block_blocks_nothing():
    result = availability(person("alice"), person("bob", busy=[(at(10, 10), at(10, 10))]))
    assert states_at(result, "10:00")["bob"] == "free"
    assert result.busy_blocks["bob"] == ()


def test_a_multi_day_timed_event_blocks_exactly_its_span():
    bob = person("bob", busy=[(at(15, day=dt.date(2024, 3, 3)), at(10, 30))])
    result = availability(person("alice"), bob)
    assert states_at(result, "10:00")["bob"] == "busy"
    assert states_at(result, "10:30")["bob"] == "free"
    # Clipped to the requested dates (London midnight is UTC midnight in March).
    assert result.busy_blocks["bob"] == ((at(0), at(10, 30)),)


def test_an_all_day_event_blocks_the_owners_whole_day_and_shows_as_busy():
    bob = person("bob", all_day=[(MONDAY, MONDAY + dt.timedelta(days=1))])
    result = availability(person("alice"), bob)
    assert not any(s.bookable for s in result.slots)
    assert result.busy_blocks["bob"] == ((at(0), at(0, day=MONDAY + dt.timedelta(days=1))),)


def test_a_multi_day_all_day_event_blocks_each_of_its_days():
    bob = person("bob", all_day=[(dt.date(2024, 3, 5), dt.date(2024, 3, 7))])
    result = availability(person("alice"), bob, last_day=dt.date(2024, 3, 8))
    counts = {d.date.day: d.bookable_count for d in engine.bookable_dates(result)}
    assert counts == {4: 16, 5: 0, 6: 0, 7: 16, 8: 16}


def test_busy_outside_the_range_is_clipped_away():
    bob = person("bob", busy=[(at(9, day=dt.date(2024, 2, 1)), at(10, day=dt.date(2024, 2, 1)))])
    result = availability(person("alice"), bob)
    assert result.busy_blocks["bob"] == ()


# -- Past, notice and buffers. ---------------------------------------------------------------


def test_past_slots_stay_in_the_output_greyed_and_unbookable():
    result = availability(person("alice"), person("bob"), now=at(10, 5))
    by_time = slots_at(result)
    assert by_time["10:00"].past and not by_time["10:00"].bookable
    assert not by_time["10:30"].past and by_time["10:30"].bookable
    assert result.past_count == 21


def test_minimum_notice_pushes_the_first_bookable_slot_later():
    result = availability(
        person("alice"), person("bob"), now=at(10, 5), min_notice=dt.timedelta(hours=2)
    )
    first = next(s for s in result.slots if s.bookable)
    assert first.start == at(12, 30)
    assert slots_at(result)["12:00"].past


def test_dates_before_today_are_past_and_today_is_not():
    result = availability(
        person("alice"),
        person("bob"),
        first_day=dt.date(2024, 3, 3),
        last_day=dt.date(2024, 3, 5),
        now=at(16, 45),
    )
    view = [(d.date.day, d.past, d.bookable) for d in engine.bookable_dates(result)]
    # Sunday 3rd is past; Monday 4th is today with no bookable time left; Tuesday is open.
    assert view == [(3, True, False), (4, False, False), (5, False, True)]


def test_buffers_keep_time_clear_around_meetings():
    bob = person("bob", busy=[(at(12), at(13))])
    result = availability(
        person("alice"),
        bob,
        buffer_before=dt.timedelta(minutes=15),
        buffer_after=dt.timedelta(minutes=15),
    )
    states = {k: v.states["bob"] for k, v in slots_at(result).items()}
    assert str(states["11:00"]) == "free"
    assert str(states["11:30"]) == "busy"  # ends at 12:00, needs 15 minutes after it
    assert str(states["13:00"]) == "busy"  # starts at 13:00, needs 15 minutes before it
    assert str(states["13:30"]) == "free"


def test_buffers_do_not_shrink_bookable_hours():
    result = availability(
        person("alice"),
        person("bob"),
        buffer_before=dt.timedelta(minutes=30),
        buffer_after=dt.timedelta(minutes=30),
    )
    assert slots_at(result)["09:00"].bookable and slots_at(result)["16:30"].bookable


# -- Bookable hours. -------------------------------------------------------------------------


def test_a_date_override_replaces_the_weekday_hours():
    hours = engine.BookableHours(overrides={MONDAY: [(dt.time(13), dt.time(14))]})
    result = availability(person("alice"), person("bob", hours=hours))
    assert [k for k, s in slots_at(result).items() if s.bookable] == ["13:00", "13:30"]


def test_an_empty_override_closes_the_day():
    hours = engine.BookableHours(overrides={MONDAY: []})
    result = availability(person("alice", hours=hours), person("bob"))
    assert not any(s.bookable for s in result.slots)


def test_windows_touching_at_midnight_let_a_slot_span_it():
    night = [(dt.time(22), dt.time(0))]
    early = [(dt.time(0), dt.time(2))]
    hours = engine.BookableHours(weekly={0: night, 1: early})
    alice = person("alice", hours=hours, tz="UTC")
    result = availability(
        alice,
        viewer="alice",
        viewer_tz="UTC",
        last_day=MONDAY + dt.timedelta(days=1),
        duration=dt.timedelta(minutes=60),
    )
    by_start = {s.start: s for s in result.slots}
    assert by_start[at(23, 30)].bookable  # 23:30 Monday to 00:30 Tuesday
    assert not by_start[at(23, 30, day=MONDAY + dt.timedelta(days=1))].bookable


def test_bookable_hours_values_compare_and_hash_by_content():
    a = engine.BookableHours(weekly={0: [(dt.time(9), dt.time(12)), (dt.time(11), dt.time(13))]})
    b = engine.BookableHours(weekly={0: [(dt.time(9), dt.time(12)), (dt.time(11), dt.time(13))]})
    assert a == b and hash(a) == hash(b)
    assert engine.BookableHours() == engine.DEFAULT_HOURS
    with pytest.raises(TypeError):
        a.weekly[1] = ()


# -- The group heat map. ----------------------------------------------------------------------


def test_the_heat_map_counts_free_members_and_names_the_busy_ones_only():
    members = [
        person("alice"),
        person("bob", busy=[(at(10), at(11))]),
        person("carol", busy=[(at(10, 30), at(12))]),
        person("dan", integrated=False),
    ]
    heat = engine.heat_map(members=members, request=request())
    cells = {c.start.strftime("%H:%M"): c for c in heat.cells}
    assert (cells["09:00"].free, cells["09:00"].total) == (3, 4)
    assert cells["10:30"].free == 1 and cells["10:30"].busy == ("bob", "carol")
    assert cells["10:30"].unknown == ("dan",)
    # Before anyone's hours: outside hours, not busy.
    assert cells["08:00"].outside == ("alice", "bob", "carol", "dan")
    assert cells["08:00"].busy == () and cells["08:00"].free == 0
    fields = {f.name for f in dataclasses.fields(engine.HeatCell)}
    assert fields == {"start", "end", "past", "free", "total", "busy", "unknown", "outside"}


def test_the_heat_map_flags_past_slots():
    heat = engine.heat_map(members=[person("alice")], request=request(now=at(9, 1)))
    cells = {c.start.strftime("%H:%M"): c for c in heat.cells}
    assert cells["09:00"].past and not cells["09:30"].past


# -- Recurrence: each occurrence checked and reported on its own. ---------------------------


def test_each_occurrence_reports_its_own_conflict():
    second = at(10, day=MONDAY + dt.timedelta(weeks=1))
    bob = person("bob", busy=[(second, second + dt.timedelta(minutes=45))])
    series = engine.SeriesRequest(
        first_start=at(10),
        duration=dt.timedelta(minutes=30),
        frequency=engine.Frequency.WEEKLY,
        count=3,
        booker_tz="Europe/London",
        now=NOW,
    )
    found = engine.recurrence(participants=[person("alice"), bob], viewer_id="alice", series=series)
    assert [(o.index, o.conflict, o.bookable) for o in found] == [
        (0, False, True),
        (1, True, False),
        (2, False, True),
    ]
    assert {k: str(v) for k, v in found[1].states.items()} == {"alice": "free", "bob": "busy"}


def test_an_occurrence_outside_hours_or_in_the_past_is_not_bookable():
    series = engine.SeriesRequest(
        first_start=at(16, 45),  # ends 17:15, past Bob's day
        duration=dt.timedelta(minutes=30),
        frequency="biweekly",
        count=2,
        booker_tz="Europe/London",
        now=at(17),
    )
    found = engine.recurrence(
        participants=[person("alice"), person("bob")], viewer_id="alice", series=series
    )
    assert found[0].past and found[0].conflict and not found[0].bookable
    assert not found[1].past and found[1].conflict


def test_a_hidden_calendar_never_makes_an_occurrence_conflict():
    bob = person("bob", busy=[(at(10), at(11))])
    series = engine.SeriesRequest(
        first_start=at(10),
        duration=dt.timedelta(minutes=30),
        frequency="weekly",
        count=1,
        booker_tz="Europe/London",
        now=NOW,
    )
    found = engine.recurrence(
        participants=[person("alice", integrated=False), bob], viewer_id="alice", series=series
    )
    assert not found[0].conflict
    assert {str(s) for s in found[0].states.values()} == {"unknown"}


# -- Bad input: one clear, typed error, raised before anything is computed. -----------------


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: person("bob", busy=[(at(11), at(10))]), engine.InvalidInterval),
        (lambda: person("bob", busy=[(at(10).replace(tzinfo=None), at(11))]), engine.NaiveDatetime),
        (lambda: person("bob", busy=[(at(10), at(11).replace(tzinfo=None))]), engine.NaiveDatetime),
        (
            lambda: person(
                "bob",
                busy=[(at(9), at(10)), (at(10).replace(tzinfo=None), at(11).replace(tzinfo=None))],
            ),
            engine.NaiveDatetime,
        ),
        (
            lambda: person("bob", busy=[(at(9).replace(tzinfo=NoOffset()), at(10))]),
            engine.NaiveDatetime,
        ),
        (lambda: person("bob", busy=[(MONDAY, MONDAY)]), engine.InvalidRequest),
        (lambda: person("bob", busy=[(at(9), at(10), at(11))]), engine.InvalidRequest),
        (lambda: person("bob", busy=[at(10)]), engine.InvalidRequest),
        (lambda: person("bob", all_day=[(MONDAY, dt.date(2024, 3, 1))]), engine.InvalidInterval),
        (lambda: person("bob", all_day=[(at(10), at(11))]), engine.InvalidRequest),
        (lambda: person("bob", tz="Mars/Olympus_Mons"), engine.UnknownTimeZone),
        (lambda: person("bob", tz="../../etc/passwd"), engine.UnknownTimeZone),
        (lambda: person("bob", tz=""), engine.UnknownTimeZone),
        (lambda: person("bob", integrated="yes"), engine.InvalidRequest),
        (lambda: person(["not", "hashable"]), engine.InvalidRequest),
        (
            lambda: engine.BookableHours(weekly={0: [(dt.time(17), dt.time(9))]}),
            engine.InvalidInterval,
        ),
        (lambda: engine.BookableHours(weekly={7: []}), engine.InvalidRequest),
        (lambda: engine.BookableHours(weekly={0: [(9, 17)]}), engine.InvalidRequest),
        (lambda: request(last_day=dt.date(2024, 3, 3)), engine.InvalidInterval),
        (lambda: request(last_day=MONDAY + dt.timedelta(days=62)), engine.RangeTooLong),
        (lambda: request(viewer_tz="Europe/Atlantis"), engine.UnknownTimeZone),
        (lambda: request(now=dt.datetime(2024, 3, 1)), engine.NaiveDatetime),
        (
            lambda: request(
                duration=dt.timedelta(minutes=25),
                allowed_durations=(dt.timedelta(minutes=30), dt.timedelta(minutes=60)),
            ),
            engine.DurationNotAllowed,
        ),
        (lambda: request(duration=dt.timedelta(0)), engine.InvalidRequest),
        (lambda: request(step=dt.timedelta(minutes=7)), engine.InvalidRequest),
        (lambda: request(step=dt.timedelta(seconds=90)), engine.InvalidRequest),
        (lambda: request(buffer_before=dt.timedelta(minutes=-5)), engine.InvalidRequest),
        (lambda: request(first_day=at(0)), engine.InvalidRequest),
        (
            lambda: engine.SeriesRequest(
                first_start=at(10),
                duration=dt.timedelta(minutes=30),
                frequency="daily",
                count=2,
                booker_tz="UTC",
                now=NOW,
            ),
            engine.InvalidRequest,
        ),
        (
            lambda: engine.SeriesRequest(
                first_start=at(10),
                duration=dt.timedelta(minutes=30),
                frequency="weekly",
                count=53,
                booker_tz="UTC",
                now=NOW,
            ),
            engine.RangeTooLong,
        ),
        (
            lambda: engine.SeriesRequest(
                first_start=at(10).replace(tzinfo=None),
                duration=dt.timedelta(minutes=30),
                frequency="weekly",
                count=2,
                booker_tz="UTC",
                now=NOW,
            ),
            engine.NaiveDatetime,
        ),
        (
            lambda: engine.availability(
                participants=[person("alice")], viewer_id="nobody", request=request()
            ),
            engine.InvalidRequest,
        ),
        (
            lambda: engine.availability(
                participants=[person("alice"), person("alice")],
                viewer_id="alice",
                request=request(),
            ),
            engine.InvalidRequest,
        ),
        (lambda: engine.heat_map(members=[], request=request()), engine.InvalidRequest),
    ],
)
def test_it_refuses_bad_input_with_one_typed_error(build, error):
    with pytest.raises(error) as raised:
        build()
    assert isinstance(raised.value, engine.SchedulingError)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value)


def test_a_range_of_exactly_the_maximum_is_accepted():
    result = availability(person("alice"), person("bob"), last_day=MONDAY + dt.timedelta(days=61))
    assert len(engine.bookable_dates(result)) == engine.MAX_RANGE_DAYS == 62


def test_a_custom_duration_is_allowed_when_the_program_allows_it():
    result = availability(
        person("alice"),
        person("bob"),
        duration=dt.timedelta(minutes=90),
        allowed_durations=(dt.timedelta(minutes=90),),
    )
    assert result.slots[0].end - result.slots[0].start == dt.timedelta(minutes=90)


# -- The package itself. ---------------------------------------------------------------------


def test_the_engine_imports_nothing_from_django_and_does_no_io():
    forbidden = {"django", "requests", "socket", "urllib", "http", "sqlite3", "psycopg2"}
    for path in ENGINE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & forbidden, (path.name, names)
            assert "open(" not in path.read_text()


def test_the_public_api_is_what_the_module_docstring_promises():
    for name in engine.__all__:
        assert getattr(engine, name) is not None
        if name[0].islower():
            assert name in engine.__doc__, name
    assert not list(ENGINE_DIR.glob("utils.py"))


def test_results_are_immutable_values():
    result = availability(person("alice"), person("bob"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.insight = engine.Insight.NONE
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.slots[0].bookable = False
    assert isinstance(result.starts, tuple) and isinstance(result.bookable_flags, bytes)
    with pytest.raises(TypeError):
        result.slots[0].states["alice"] = engine.State.FREE


def test_one_dates_slots_come_without_the_rest_of_the_range():
    result = availability(person("alice"), person("bob"), last_day=MONDAY + dt.timedelta(days=2))
    tuesday = result.slots_on(MONDAY + dt.timedelta(days=1))
    assert len(tuesday) == 48
    assert tuesday == tuple(s for s in result.slots if s.start.date() == tuesday[0].start.date())
    assert result.slots_on(dt.date(2030, 1, 1)) == ()
