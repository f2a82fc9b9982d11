"""The loader: fetch busy times and sessions from the database, then ask the slot engine.

The engine (``scheduling.engine``) is pure; everything that touches the ORM or the calendars
app happens here. Times go in and come out as aware UTC datetimes; conversion to the viewer's
zone happens in :class:`SlotRow` and the templates only.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils import timezone

from programs.availability import optional_member_ids
from programs.busy_versions import busy_versions
from programs.models import Group, Match, Session, User
from scheduling import engine, policy
from scheduling.services import participants_of

INSIGHT_HELP = {
    "mutual": (
        "You both have a calendar connected: a green dot marks times when you are both free, "
        "and you can see each other's busy times."
    ),
    "viewer_only": (
        "Only your calendar is connected: you see your own availability, but not your "
        "partner's, so check the time with them."
    ),
    "none": (
        "Your calendar is not connected: these are plain time slots with no availability "
        "insight. Connect your calendar to see when you are both free."
    ),
}


# Computed availability is reused for at most this long. Anything that changes when one of
# the people is busy (a booking, a calendar sync, a calendar connected or broken) makes the
# stored answer stale at once (programs.busy_versions); the time limit bounds what versions
# do not cover: a match ended, and a stale calendar waiting for its sync to be requested.
PAYLOAD_CACHE_SECONDS = 60

FREE = engine.STATE_OF_CODE.index(engine.State.FREE)
BUSY = engine.STATE_OF_CODE.index(engine.State.BUSY)
OUTSIDE = engine.STATE_OF_CODE.index(engine.State.OUTSIDE_HOURS)


def _payload_key(*, match_id: int, viewer: User, query: str, now: dt.datetime) -> str:
    # Keyed by the raw query, so a warm request needs no parsing: the same query from the same
    # person (same home zone, for the defaults) in the same slot step validates the same way.
    # Past flags change only when a slot starts, and slots start on the step grid.
    bucket = int(now.timestamp()) // (policy.STEP_MINUTES * 60)
    digest = hashlib.blake2b(query.encode(), digest_size=16).hexdigest()
    return f"scheduling:availability:{match_id}:{viewer.pk}:{viewer.time_zone}:{bucket}:{digest}"


@dataclass(frozen=True)
class _StoredPayload:
    participant_ids: tuple[int, ...]
    versions: str
    body: bytes


def cached_payload(
    *, match_id: int, viewer: User, query: str, now: dt.datetime | None = None
) -> bytes | None:
    """The answer stored for this exact request, if no participant booked, moved or cancelled
    a session since (two cache reads); None otherwise."""
    key = _payload_key(match_id=match_id, viewer=viewer, query=query, now=now or timezone.now())
    stored = cache.get(key)
    if stored is None or busy_versions(list(stored.participant_ids)) != stored.versions:
        return None
    return stored.body


def payload_versions(participant_ids: list[int]) -> str:
    """Read before computing an answer, then pass to :func:`remember_payload`: a booking made
    while computing then leaves the stored answer stale instead of hiding the booking."""
    return busy_versions(participant_ids)


def remember_payload(
    *,
    match_id: int,
    viewer: User,
    query: str,
    participant_ids: list[int],
    versions: str,
    body: bytes,
    now: dt.datetime | None = None,
) -> None:
    key = _payload_key(match_id=match_id, viewer=viewer, query=query, now=now or timezone.now())
    stored = _StoredPayload(tuple(participant_ids), versions, body)
    cache.set(key, stored, PAYLOAD_CACHE_SECONDS)


@dataclass(frozen=True)
class PersonCalendar:
    integrated: bool
    # Busy blocks as whole epoch seconds, ``(starts, ends)``, as the busy cache reads them:
    # the engine takes them so, without a datetime per block.
    busy_seconds: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())
    stale: bool = False
    # Out-of-office events (Google eventType outOfOffice, Graph showAs oof), epoch seconds:
    # they block like busy time and read as "away", like time off set in Together.
    away: tuple[tuple[int, int], ...] = ()

    @property
    def busy(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """The busy blocks as aware UTC datetimes, for pages that show them."""
        at = functools.partial(dt.datetime.fromtimestamp, tz=dt.UTC)
        return [(at(a), at(b)) for a, b in zip(*self.busy_seconds, strict=True)]


_NO_CALENDAR = PersonCalendar(integrated=False)


def calendars_of(
    users: list[User],
    start: dt.datetime,
    end: dt.datetime,
    *,
    exclude_session: int | None = None,
) -> dict[int, PersonCalendar]:
    """Each person's busy times from the calendars app (its cache); asks for a sync if stale.

    ``exclude_session`` is a session being rescheduled: its own invite, synced back from the
    participants' calendars as a busy block with exactly its start and end, does not count.
    """
    try:
        from calendars.selectors import busy_for
    except ImportError:
        return {u.pk: _NO_CALENDAR for u in users}
    found = busy_for(users, start, end)
    own_event = _own_event(exclude_session)
    out = {}
    stale = []
    for user in users:
        person = found.get(user.pk)
        if person is None:
            out[user.pk] = _NO_CALENDAR
            continue
        starts, ends = person.starts, person.ends
        if own_event and user.pk in own_event[0]:
            kept = [(a, b) for a, b in zip(starts, ends, strict=True) if (a, b) != own_event[1]]
            starts, ends = tuple(a for a, _ in kept), tuple(b for _, b in kept)
        out[user.pk] = PersonCalendar(
            integrated=bool(person.integrated),
            busy_seconds=(starts, ends),
            stale=bool(person.stale),
            away=tuple(
                (a, b)
                for a, b, kind in zip(person.starts, person.ends, person.kinds, strict=True)
                if kind == "oof"
            ),
        )
        if person.stale:
            stale.append(user)
    if stale:
        try:
            from calendars.services import request_sync_if_stale

            request_sync_if_stale(stale)
        except ImportError:
            pass
    return out


def _own_event(session_id: int | None):
    """(participant ids, (start, end)) of a session, or None."""
    if session_id is None:
        return None
    session = Session.objects.filter(pk=session_id).only("start", "end").first()
    if session is None:
        return None
    ids = set(session.session_participants.values_list("user_id", flat=True))
    return ids, (math.floor(session.start.timestamp()), math.ceil(session.end.timestamp()))


def booked_sessions_of(
    users: list[User], start: dt.datetime, end: dt.datetime, *, exclude_session: int | None = None
) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """Scheduled Together sessions per user: these block booking whatever calendars say."""
    rows = (
        Session.objects.filter(
            status=Session.Status.SCHEDULED,
            session_participants__user__in=[u.pk for u in users],
            start__lt=end,
            end__gt=start,
        )
        .exclude(pk=exclude_session)
        .values_list("session_participants__user_id", "start", "end")
    )
    out: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for user_id, s, e in rows:
        out[user_id].append((s, e))
    return out


@dataclass(frozen=True)
class SlotRow:
    start: dt.datetime
    local: dt.datetime
    past: bool
    bookable: bool
    all_free: bool
    taken: bool
    me_busy: bool
    partner_busy: bool
    me_outside: bool = False  # outside my bookable hours (in the zone I book from)
    partner_outside: bool = False  # outside the partner's bookable hours, in their zone
    partner_away: bool = False  # outside the partner's hours because they are away that day
    beyond_window: bool = False  # further ahead than the program lets people book


@dataclass
class Wizard:
    insight: str
    insight_help: str
    time_zone: str
    duration: int
    dates: list = field(default_factory=list)
    slots: list[SlotRow] = field(default_factory=list)
    my_busy: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    partner_busy: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    stale: bool = False
    # Fills slots and busy blocks for one date of the range from the computed availability.
    _fill_day: Callable[[dt.date], None] | None = field(default=None, repr=False, compare=False)

    def show_day(self, day: dt.date) -> None:
        """Set the time list and busy blocks to those of ``day`` (a date of the loaded range),
        without loading anything again."""
        if self._fill_day is None:
            raise ValueError("This wizard was built for the whole range.")
        self._fill_day(day)


def _range(first_day: dt.date, last_day: dt.date, tz: ZoneInfo):
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start - dt.timedelta(days=1), end.astimezone(dt.UTC) + dt.timedelta(days=1)


def engine_participants(
    rules: policy.BookingPolicy,
    users: list[User],
    calendars: dict[int, PersonCalendar],
    sessions: dict[int, list],
    *,
    viewer: User,
    viewer_tz: str,
) -> list[engine.Participant]:
    """The policy's participants with what the calendars and Together's sessions say."""
    return rules.participants(
        users,
        viewer=viewer,
        viewer_tz=viewer_tz,
        integrated={u.pk: calendars[u.pk].integrated for u in users},
        busy_seconds={u.pk: calendars[u.pk].busy_seconds for u in users},
        sessions=sessions,
    )


def match_wizard(
    *,
    match: Match,
    viewer: User,
    time_zone: str,
    duration: int,
    first_day: dt.date,
    last_day: dt.date,
    day: dt.date | None = None,
    now: dt.datetime | None = None,
    exclude_session: int | None = None,
    every_day: bool = False,
) -> Wizard:
    """Dates for the picker (first_day..last_day), loaded once. The time list and busy blocks
    are those of ``day`` if given (or later through :meth:`Wizard.show_day`), or of every day
    of the range with ``every_day``, as the API wants."""
    now = now or timezone.now()
    tz = ZoneInfo(time_zone)
    partner = match.partner_of(viewer)
    users = [viewer, partner]
    start, end = _range(first_day, last_day, tz)
    calendars = calendars_of(users, start, end, exclude_session=exclude_session)
    sessions = booked_sessions_of(users, start, end, exclude_session=exclude_session)
    rules = policy.policy_for(
        program=match.program, users=users, first_day=first_day, last_day=last_day
    )
    request = rules.slot_request(
        first_day=first_day, last_day=last_day, viewer_tz=time_zone, now=now, duration=duration
    )
    result = engine.availability(
        participants=engine_participants(
            rules, users, calendars, sessions, viewer=viewer, viewer_tz=time_zone
        ),
        viewer_id=viewer.pk,
        request=request,
    )
    insight = str(result.insight)
    wizard = Wizard(
        insight=insight,
        insight_help=INSIGHT_HELP.get(insight, ""),
        time_zone=time_zone,
        duration=duration,
        dates=[d for d in engine.bookable_dates(result) if rules.in_program(d.date)],
        stale=any(c.stale for c in calendars.values()),
    )

    # Rows are built from the result's compact fields: hundreds of slots through Slot
    # objects and per-slot zone conversions cost more than computing the availability.
    codes = result.state_codes
    mine = codes[result.participant_ids.index(viewer.pk)]
    theirs = codes[result.participant_ids.index(partner.pk)]
    booked = engine.merge(
        (int(s.timestamp()), math.ceil(e.timestamp()))
        for u in users
        for s, e in sessions.get(u.pk, [])
    )
    step = duration * 60
    partner_tz = ZoneInfo(partner.time_zone)
    partner_away = rules.people[partner.pk].away
    partner_oof = engine.merge(calendars[partner.pk].away)

    def fill(first: dt.date, last: dt.date, runs: tuple[range, ...]) -> None:
        wizard.slots = []
        booked_at = oof_at = 0
        for run in runs:
            for i in run:
                begin = result.starts[i]
                local = dt.datetime.fromtimestamp(begin, tz)
                if mine[i] == OUTSIDE:
                    continue  # outside the viewer's own hours: not worth a row in the list
                # Slots ascend, so one pass over the merged sessions answers "taken".
                while booked_at < len(booked) and booked[booked_at][1] <= begin:
                    booked_at += 1
                taken = booked_at < len(booked) and booked[booked_at][0] < begin + step
                beyond = rules.beyond_window(local, now)
                while oof_at < len(partner_oof) and partner_oof[oof_at][1] <= begin:
                    oof_at += 1
                # Only where the engine says busy: a hidden calendar's absence stays hidden.
                out_of_office = (
                    theirs[i] == BUSY
                    and oof_at < len(partner_oof)
                    and partner_oof[oof_at][0] < begin + step
                )
                wizard.slots.append(
                    SlotRow(
                        start=local.astimezone(dt.UTC),
                        local=local,
                        past=i < result.past_count,
                        bookable=result.bookable_flags[i] == 1
                        and not taken
                        and not beyond
                        and rules.in_program(local.date()),
                        all_free=all(c[i] == FREE for c in codes),
                        taken=taken,
                        me_busy=mine[i] == BUSY,
                        partner_busy=theirs[i] == BUSY,
                        me_outside=mine[i] == OUTSIDE,
                        partner_outside=theirs[i] == OUTSIDE,
                        partner_away=(
                            theirs[i] == OUTSIDE
                            and local.astimezone(partner_tz).date() in partner_away
                        )
                        or out_of_office,
                        beyond_window=beyond,
                    )
                )
        day_start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
        day_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        blocks = result.busy_blocks
        wizard.my_busy = _clip_local(blocks.get(viewer.pk, ()), day_start, day_end, tz)
        wizard.partner_busy = _clip_local(blocks.get(partner.pk, ()), day_start, day_end, tz)

    def fill_day(chosen: dt.date) -> None:
        if not first_day <= chosen <= last_day:
            raise ValueError(f"{chosen} is outside the loaded range {first_day}..{last_day}.")
        fill(chosen, chosen, result.indices_on(chosen))

    if every_day:
        fill(first_day, last_day, (range(len(result)),))
    else:
        wizard._fill_day = fill_day
        if day is not None:
            fill_day(day)
    return wizard


def _clip_local(blocks, day_start, day_end, tz):
    out = []
    for s, e in blocks:
        s, e = max(s, day_start), min(e, day_end)
        if e > s:
            out.append((s.astimezone(tz), e.astimezone(tz)))
    return out


@dataclass(frozen=True)
class HeatCellView:
    start: dt.datetime
    local: dt.datetime
    past: bool
    free: int
    total: int
    busy_names: list[str]
    # Members whose bookable hours this slot is not inside (their night, say): not busy.
    outside_names: list[str]
    # Members on time off that day (outside their hours because they are away).
    away_names: list[str]
    # Members not busy here but without calendar insight: never counted as available (the
    # engine's rule is that unknown is never free), shown as their own state.
    unknown: int
    level: int  # 0 = everyone free ... 4 = (nearly) everyone busy
    # No required member is busy, outside their hours or away (optional ones may be).
    required_free: bool = True


@dataclass
class HeatView:
    time_zone: str
    duration: int
    days: list[dt.date]
    times: list[dt.time]
    # (time of day, [cell or None for each day])
    rows: list[tuple[dt.time, list[HeatCellView | None]]]
    members: list[User]
    optional_ids: frozenset[int] = frozenset()


def group_heat_map(
    *,
    group: Group,
    viewer: User,
    time_zone: str,
    duration: int,
    week_start: dt.date,
    days: int = 7,
    now: dt.datetime | None = None,
    exclude_session: int | None = None,
) -> HeatView:
    """How many members are free per slot of the week; ``exclude_session`` (the session being
    rescheduled) does not count against anyone."""
    now = now or timezone.now()
    tz = ZoneInfo(time_zone)
    members = participants_of(group)
    last_day = week_start + dt.timedelta(days=days - 1)
    start, end = _range(week_start, last_day, tz)
    calendars = calendars_of(members, start, end, exclude_session=exclude_session)
    sessions = booked_sessions_of(members, start, end, exclude_session=exclude_session)
    rules = policy.policy_for(
        program=group.program,
        users=members,
        first_day=week_start,
        last_day=last_day,
        optional=optional_member_ids(group),
    )
    request = rules.slot_request(
        first_day=week_start,
        last_day=last_day,
        viewer_tz=time_zone,
        now=now,
        duration=duration,
        step=policy.HEAT_MAP_STEP,
    )
    heat = engine.heat_map(
        members=engine_participants(
            rules, members, calendars, sessions, viewer=viewer, viewer_tz=time_zone
        ),
        request=request,
    )
    zones = {u.pk: ZoneInfo(u.time_zone) for u in members}
    names = {u.pk: u.display_name for u in members}
    day_list = [week_start + dt.timedelta(days=i) for i in range(days)]
    grid: dict[tuple[dt.time, dt.date], HeatCellView] = {}
    length = duration * 60
    for cell_start, cell in zip(heat.starts, heat.cells, strict=True):
        cell_end = cell_start + length
        local = cell.start.astimezone(tz)
        # The engine already counts Together sessions as busy, calendar or not.
        busy_ids = set(cell.busy)
        outside_ids = set(cell.outside) - busy_ids
        away_ids = {
            pk
            for pk in outside_ids
            if cell.start.astimezone(zones[pk]).date() in rules.people[pk].away
        } | {
            pk
            for pk in busy_ids
            if any(s < cell_end and e > cell_start for s, e in calendars[pk].away)
        }
        unknown_ids = set(cell.unknown) - busy_ids - outside_ids
        away = len(busy_ids) + len(outside_ids)
        grid[(local.time(), local.date())] = HeatCellView(
            start=cell.start,
            local=local,
            past=cell.past,
            free=cell.total - away - len(unknown_ids),
            total=cell.total,
            busy_names=[names[u.pk] for u in members if u.pk in busy_ids and u.pk not in away_ids],
            outside_names=[
                names[u.pk] for u in members if u.pk in outside_ids and u.pk not in away_ids
            ],
            away_names=[names[u.pk] for u in members if u.pk in away_ids],
            unknown=len(unknown_ids),
            level=0 if away == 0 else min(4, 1 + (away * 4 - 1) // max(1, cell.total)),
            required_free=not ((busy_ids | outside_ids) - rules.optional),
        )
    # Rows only for times some member can be booked on some day of the week: a row where
    # everyone is outside their hours every day (the small hours) says nothing.
    times = sorted(
        {t for (t, _), c in grid.items() if len(c.outside_names) + len(c.away_names) < c.total}
    )
    rows = [(t, [grid.get((t, d)) for d in day_list]) for t in times]
    return HeatView(
        time_zone=time_zone,
        duration=duration,
        days=day_list,
        times=times,
        rows=rows,
        members=members,
        optional_ids=rules.optional,
    )


def series_preview(
    *,
    owner: Match | Group,
    viewer: User,
    first_start: dt.datetime,
    frequency: str,
    count: int,
    duration: int,
    time_zone: str,
    now: dt.datetime | None = None,
) -> list:
    """Each occurrence with its own conflict state (Together sessions count as conflicts)."""
    now = now or timezone.now()
    users = participants_of(owner)
    span_end = first_start + dt.timedelta(days=31 * count + 1)
    rules = policy.policy_for(
        program=owner.program,
        users=users,
        first_day=first_start.astimezone(dt.UTC).date(),
        last_day=span_end.astimezone(dt.UTC).date(),
    )
    request = rules.series_request(
        first_start=first_start,
        duration=duration,
        frequency=frequency,
        count=count,
        booker_tz=time_zone,
        now=now,
    )
    calendars = calendars_of(users, first_start, span_end)
    sessions = booked_sessions_of(users, first_start, span_end)
    occurrences = engine.recurrence(
        participants=engine_participants(
            rules, users, calendars, sessions, viewer=viewer, viewer_tz=time_zone
        ),
        viewer_id=viewer.pk,
        series=request,
    )
    # The engine counts Together sessions as conflicts even where calendars are hidden.
    return [(o, o.conflict) for o in occurrences]
