"""The booking policy: the one place that says when someone can be booked.

It combines each person's own hours (programs.availability: their week, date overrides and
time off, in their zone) with a program's rules (notice, booking window, buffers, daily and
weekly limits, durations, the slot step) into the inputs of the pure engine. The wizard, the
heat map, the series preview, the API, the booking services and the admin troubleshooter all
build a :class:`BookingPolicy` and ask it (through the engine) the same question, so a slot
a page shows as bookable is one the services accept, and a refusal names the same reason a
page shows.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from programs.availability import StoredHours, booking_rules_for, stored_hours
from programs.models import Program, User
from scheduling import engine

# Slots start on a quarter hour; every IANA zone in use today is offset by a multiple of 15
# minutes, so a quarter hour in UTC is a quarter hour on everyone's wall clock. The wizard,
# the heat map and the services all step by this.
STEP_MINUTES = 15
STEP = dt.timedelta(minutes=STEP_MINUTES)
# The group heat map's rows are every other step, so a week of them fits a screen; its slots
# start on the same grid as everyone else's.
HEAT_MAP_STEP = 2 * STEP

# The hours of someone who has set no week of their own and whose mailbox has no working
# hours: weekdays 09:00-17:00 on their own wall clock, as the issue asks (a mentor with a
# day job is not bookable on a Saturday morning until they say so).
DEFAULT_WEEK: dict[int, list[tuple[dt.time, dt.time]]] = {
    day: [(dt.time(9, 0), dt.time(17, 0))] for day in range(5)
}


def default_duration(durations: Sequence[int]) -> int:
    """The session length a booking page starts with: 30 minutes where the program allows
    it, else its first length."""
    return 30 if 30 in durations else durations[0]


class Reason(StrEnum):
    """Why a slot cannot be booked, as one named state (pages word it with :func:`explain`)."""

    PAST = "past"
    TOO_SOON = "too_soon"
    BEYOND_WINDOW = "beyond_window"
    OUTSIDE_PROGRAM = "outside_program"
    OUTSIDE_HOURS = "outside_hours"
    AWAY = "away"
    BUSY = "busy"
    BUFFER = "buffer"
    DAY_LIMIT = "day_limit"
    WEEK_LIMIT = "week_limit"
    TAKEN = "taken"
    UNKNOWN = "unknown"


def explain(reason: Reason, *, name: str = "", you: bool = False, program: Program | None = None):
    """The reason in the person's words: the same sentence in the wizard, the heat map, the
    API, a refusal and the admin troubleshooter."""
    whose = "your" if you else f"{name}'s"
    who = "you are" if you else f"{name} is"
    return {
        Reason.PAST: "in the past",
        Reason.TOO_SOON: "too soon (minimum notice)",
        Reason.BEYOND_WINDOW: "beyond the booking window",
        Reason.OUTSIDE_PROGRAM: (
            f"outside {program.name} ({program.starts_on:%d %b %Y} to {program.ends_on:%d %b %Y})"
            if program
            else "outside the program's dates"
        ),
        Reason.OUTSIDE_HOURS: f"outside {whose} hours",
        Reason.AWAY: f"{who} away",
        Reason.BUSY: f"{who} busy",
        Reason.BUFFER: "too close to another session (buffer)",
        Reason.DAY_LIMIT: f"{whose} limit for that day",
        Reason.WEEK_LIMIT: f"{whose} limit for that week",
        Reason.TAKEN: "already taken by another session",
        Reason.UNKNOWN: f"unknown ({'you have' if you else name + ' has'} no calendar connected)",
    }[reason]


@dataclass(frozen=True)
class Rules:
    """A program's booking rules, as the engine and the services need them."""

    durations: tuple[int, ...]
    min_notice: dt.timedelta
    window: dt.timedelta
    buffer_before: dt.timedelta
    buffer_after: dt.timedelta
    per_day: int | None
    per_week: int | None
    starts_on: dt.date
    ends_on: dt.date

    @classmethod
    def of(cls, program: Program) -> Rules:
        row = booking_rules_for(program)
        return cls(
            durations=tuple(program.allowed_durations),
            min_notice=dt.timedelta(minutes=row.min_notice_minutes),
            window=dt.timedelta(days=row.booking_window_days),
            buffer_before=dt.timedelta(minutes=row.buffer_before_minutes),
            buffer_after=dt.timedelta(minutes=row.buffer_after_minutes),
            per_day=row.max_sessions_per_day,
            per_week=row.max_sessions_per_week,
            starts_on=program.starts_on,
            ends_on=program.ends_on,
        )

    @property
    def engine_durations(self) -> tuple[dt.timedelta, ...]:
        return tuple(dt.timedelta(minutes=m) for m in self.durations)


@dataclass(frozen=True)
class PersonHours:
    """One person's hours as the engine takes them, and the dates they are away (for the
    "away" reason: the engine only knows "outside hours")."""

    hours: engine.BookableHours
    away: frozenset[dt.date]
    own_week: bool
    # The zone the hours are in when it is not the person's own (their mailbox's working
    # hours may name another); None: their profile zone.
    zone: str | None = None


def effective_week(stored: StoredHours) -> tuple[dict, str | None]:
    """The week a person is booked by, and the zone it is in when not their own: the week
    they set, else their mailbox's working hours, else :data:`DEFAULT_WEEK`."""
    if stored.week is not None:
        return stored.week, None
    if stored.mailbox is not None:
        return stored.mailbox
    return DEFAULT_WEEK, None


def _frozen(days: dict) -> tuple:
    """A week or overrides mapping as a hashable, ordered value (windows are pairs)."""
    return tuple(sorted(zip(days.keys(), map(tuple, days.values()), strict=True)))


def person_hours(stored: StoredHours) -> PersonHours:
    """A person's week (see :func:`effective_week`), their overrides, and time off as
    unavailable days.

    Kept by content: a group's page builds the same fifty people's hours on every load, and
    equal stored hours give equal (immutable) results."""
    week, zone = effective_week(stored)
    return _person_hours(
        _frozen(week),
        zone,
        _frozen(stored.overrides),
        tuple(stored.time_off),
        stored.week is not None,
    )


@functools.lru_cache(maxsize=8192)
def _person_hours(week: tuple, zone: str | None, overrides: tuple, time_off: tuple, own: bool):
    days: dict[dt.date, tuple] = dict(overrides)
    away: set[dt.date] = set()
    for first, last in time_off:
        day = first
        while day <= last:
            # Time off wins over an override of the same date.
            days[day] = ()
            away.add(day)
            day += dt.timedelta(days=1)
    return PersonHours(
        hours=engine.BookableHours(weekly=dict(week), overrides=days),
        away=frozenset(away),
        own_week=own,
        zone=zone,
    )


@dataclass
class BookingPolicy:
    """Built once per request for the people of one match or group in one program."""

    program: Program
    rules: Rules
    people: dict[int, PersonHours] = field(default_factory=dict)
    # Group members the facilitator marked optional: their hours do not stop a booking.
    optional: frozenset[int] = frozenset()

    def participants(
        self,
        users: Sequence[User],
        *,
        viewer: User | None,
        viewer_tz: str,
        integrated: dict[int, bool] | None = None,
        busy_seconds: dict[int, tuple] | None = None,
        sessions: dict[int, list] | None = None,
    ) -> list[engine.Participant]:
        """The engine's participants. The viewer's hours follow the zone they book from (the
        wizard's); everyone else's their own. Together sessions are their own input: they
        block whatever anyone's calendar shows."""
        integrated = integrated or {}
        busy_seconds = busy_seconds or {}
        sessions = sessions or {}
        return [
            engine.Participant(
                id=u.pk,
                time_zone=viewer_tz
                if viewer is not None and u.pk == viewer.pk
                else self.people[u.pk].zone or u.time_zone,
                integrated=integrated.get(u.pk, False),
                busy_seconds=busy_seconds.get(u.pk, ((), ())),
                sessions=sessions.get(u.pk, ()),
                hours=self.people[u.pk].hours,
            )
            for u in users
        ]

    def slot_request(
        self,
        *,
        first_day: dt.date,
        last_day: dt.date,
        viewer_tz: str,
        now: dt.datetime,
        duration: int,
        step: dt.timedelta = STEP,
    ) -> engine.SlotRequest:
        return engine.SlotRequest(
            first_day=first_day,
            last_day=last_day,
            viewer_tz=viewer_tz,
            now=now,
            duration=dt.timedelta(minutes=duration),
            step=step,
            min_notice=self.rules.min_notice,
            buffer_before=self.rules.buffer_before,
            buffer_after=self.rules.buffer_after,
            allowed_durations=self.rules.engine_durations,
        )

    def series_request(
        self,
        *,
        first_start: dt.datetime,
        duration: int,
        frequency: str,
        count: int,
        booker_tz: str,
        now: dt.datetime,
    ) -> engine.SeriesRequest:
        return engine.SeriesRequest(
            first_start=first_start,
            duration=dt.timedelta(minutes=duration),
            frequency=frequency,
            count=count,
            booker_tz=booker_tz,
            now=now,
            min_notice=self.rules.min_notice,
            buffer_before=self.rules.buffer_before,
            buffer_after=self.rules.buffer_after,
            allowed_durations=self.rules.engine_durations,
        )

    def in_program(self, day: dt.date) -> bool:
        return self.rules.starts_on <= day <= self.rules.ends_on

    def beyond_window(self, start: dt.datetime, now: dt.datetime) -> bool:
        return start - now > self.rules.window

    def hours_reason(self, user: User, state: engine.State, local_day: dt.date) -> Reason | None:
        """A person's engine state for a slot as a reason (None when it does not block)."""
        if state == engine.State.OUTSIDE_HOURS:
            return Reason.AWAY if local_day in self.people[user.pk].away else Reason.OUTSIDE_HOURS
        if state == engine.State.BUSY:
            return Reason.BUSY
        return None

    def why_not_hours(
        self,
        *,
        users: Sequence[User],
        booker: User,
        booker_tz: str,
        start: dt.datetime,
        duration: int,
        now: dt.datetime,
    ) -> tuple[Reason, User] | None:
        """Ask the engine, as the wizard does, whether the slot is beyond the minimum notice and
        everyone's hours hold it (their calendars are the page's business; sessions are
        checked under the locks). Returns the first person it does not suit and why, or None."""
        tz = ZoneInfo(booker_tz)
        day = start.astimezone(tz).date()
        result = engine.availability(
            participants=self.participants(users, viewer=booker, viewer_tz=booker_tz),
            viewer_id=booker.pk,
            request=self.slot_request(
                first_day=day, last_day=day, viewer_tz=booker_tz, now=now, duration=duration
            ),
        )
        at = int(start.timestamp())
        try:
            index = result.starts.index(at)
        except ValueError:
            # Not on the grid: the step check says so before this is asked.
            return None
        if index < result.past_count:
            # The engine's "past" is before now + minimum notice, as the wizard shows it.
            return (Reason.PAST if start <= now else Reason.TOO_SOON), booker
        # Everyone else before the booker: "outside Ben's hours" says more than "yours".
        ordered = sorted(users, key=lambda u: u.pk == booker.pk)
        for user in ordered:
            if user.pk in self.optional and user.pk != booker.pk:
                continue
            code = result.state_codes[result.participant_ids.index(user.pk)][index]
            zone = booker_tz if user.pk == booker.pk else user.time_zone
            reason = self.hours_reason(
                user, engine.STATE_OF_CODE[code], start.astimezone(ZoneInfo(zone)).date()
            )
            if reason is not None:
                return reason, user
        return None


def policy_for(
    *,
    program: Program,
    users: Iterable[User],
    first_day: dt.date,
    last_day: dt.date,
    optional: frozenset[int] = frozenset(),
) -> BookingPolicy:
    """The policy for these people booking in ``program`` between these dates (anyone's).

    Reads everyone's stored hours in four queries; a day of margin either side covers every
    zone's date for the instants of the range."""
    people = list(users)
    stored = stored_hours(
        [u.pk for u in people],
        first_day - dt.timedelta(days=1),
        last_day + dt.timedelta(days=1),
    )
    return BookingPolicy(
        program=program,
        rules=Rules.of(program),
        people={pk: person_hours(s) for pk, s in stored.items()},
        optional=optional,
    )


def week_preview(
    *, user: User, first_day: dt.date, days: int = 7
) -> list[tuple[dt.date, list[tuple[dt.datetime, dt.datetime]]]]:
    """When ``user`` can be booked on each of ``days`` dates from ``first_day`` (their own
    zone), as the engine sees their hours: what a partner's wizard will offer before anyone's
    calendar or sessions are taken into account. Windows are aware datetimes in their zone."""
    last_day = first_day + dt.timedelta(days=days - 1)
    stored = stored_hours([user.pk], first_day - dt.timedelta(days=1), last_day)[user.pk]
    own = person_hours(stored)
    person = engine.Participant(
        id=user.pk, time_zone=own.zone or user.time_zone, integrated=False, hours=own.hours
    )
    result = engine.availability(
        participants=[person],
        viewer_id=user.pk,
        request=engine.SlotRequest(
            first_day=first_day,
            last_day=last_day,
            viewer_tz=user.time_zone,
            # Past or not does not matter here: only the hours are read.
            now=dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC),
            duration=STEP,
            allowed_durations=(STEP,),
        ),
    )
    tz = ZoneInfo(user.time_zone)
    inside = result.state_codes[0]
    outside = engine.STATE_OF_CODE.index(engine.State.OUTSIDE_HOURS)
    out = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        windows: list[tuple[dt.datetime, dt.datetime]] = []
        for run in result.indices_on(day):
            for i in run:
                if inside[i] == outside:
                    continue
                start = dt.datetime.fromtimestamp(result.starts[i], tz)
                end = (start + STEP).astimezone(tz)
                if windows and windows[-1][1] == start:
                    windows[-1] = (windows[-1][0], end)
                else:
                    windows.append((start, end))
        out.append((day, windows))
    return out
