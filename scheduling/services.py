"""Writes for booking: book (single and recurring), reschedule, cancel, mark as done.

Each public function is keyword-only and runs in one transaction. ``check_*`` functions
validate and raise :class:`BookingRefused` without writing; ``do_*`` helpers mutate and must
run inside the transaction that holds the participants' row locks.

The no-overlap guarantee: every write that puts a scheduled session on someone's calendar first
takes ``SELECT ... FOR UPDATE`` locks on the participants' user rows, in primary-key order (so
two bookings never deadlock), then checks for an overlapping scheduled session and only then
inserts. On PostgreSQL a concurrent booking of any shared participant waits for the lock and,
at READ COMMITTED, its overlap query then sees the winner's committed rows. SQLite serialises
writers for the whole database, so the same check inside the transaction is enough there.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from programs import dates, links, zones
from programs.availability import optional_member_ids
from programs.busy_versions import bump_busy_versions
from programs.errors import Refused
from programs.models import (
    Group,
    GroupMember,
    Match,
    Program,
    Session,
    SessionParticipant,
    SessionSeries,
    User,
)
from scheduling import policy
from scheduling.models import SessionInvite

logger = logging.getLogger(__name__)

# The step is the policy's (one place); kept under this name for the pages that show it.
SLOT_STEP_MINUTES = policy.STEP_MINUTES

MatchOrGroup = Match | Group


class BookingRefused(Refused, ValueError):
    """A booking request the rules cannot honour; ``str(error)`` is shown to the person.
    Its HTTP status (422) and the API's body come from together/errors.py, like every
    domain error's."""


class NotAParticipant(BookingRefused):
    """The person is not in the match or group: views answer 404, never say more."""

    kind = "not_found"


class SlotTaken(BookingRefused):
    """Someone (or a concurrent request) booked an overlapping session first."""

    kind = "conflict"


class SessionStateConflict(BookingRefused):
    """The session is no longer in a state that allows this (cancelled, already done)."""

    kind = "conflict"


def check_in_years(value: dt.datetime, *, field: str = "start") -> None:
    """Before any arithmetic on a requested time: far-off dates would overflow (programs.dates)."""
    if not dates.in_range(value):
        raise BookingRefused(dates.range_message("Session dates"), field=field)


@dataclass(frozen=True)
class Conferencing:
    kind: str = Session.Conferencing.NONE
    url: str = ""
    location: str = ""


# --- Reads the services need ------------------------------------------------------------


def participants_of(match_or_group: MatchOrGroup) -> list[User]:
    if isinstance(match_or_group, Match):
        return [match_or_group.mentee, match_or_group.mentor]
    return list(
        User.objects.filter(group_memberships__group=match_or_group).order_by("first_name", "pk")
    )


def is_participant(match_or_group: MatchOrGroup, user: User) -> bool:
    if isinstance(match_or_group, Match):
        return user.pk in (match_or_group.mentee_id, match_or_group.mentor_id)
    return GroupMember.objects.filter(group=match_or_group, user=user).exists()


def sessions_left(match_or_group: MatchOrGroup) -> int:
    """How many more sessions the program's target allows for this match or group."""
    held = Session.objects.filter(**_owner_filter(match_or_group)).exclude(
        status=Session.Status.CANCELLED
    )
    return max(0, match_or_group.program.target_sessions - held.count())


def _owner_filter(match_or_group: MatchOrGroup) -> dict:
    if isinstance(match_or_group, Match):
        return {"match": match_or_group}
    return {"group": match_or_group}


# --- Validation -------------------------------------------------------------------------


def _aware(value: object) -> bool:
    return isinstance(value, dt.datetime) and value.utcoffset() is not None


def check_participant(*, match_or_group: MatchOrGroup, user: User) -> None:
    if not is_participant(match_or_group, user):
        raise NotAParticipant("Not found.")
    if isinstance(match_or_group, Match) and not match_or_group.is_active:
        raise NotAParticipant("Not found.")


@functools.cache
def known_time_zones() -> frozenset[str]:
    # One rule for what a zone is (programs.zones): "localtime" and "Factory" are not.
    return zones.known_zone_names()


def check_time_zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or name not in known_time_zones():
        raise BookingRefused(
            f"{name!r} is not a known time zone, e.g. Europe/London.", field="time_zone"
        )
    return ZoneInfo(name)


def check_duration(*, program: Program, duration: int) -> None:
    if duration not in program.allowed_durations:
        allowed = ", ".join(str(d) for d in program.allowed_durations)
        raise BookingRefused(
            f"{duration} minutes is not allowed here; choose {allowed}.", field="duration"
        )


class NotBookable(BookingRefused):
    """The policy refuses the slot; ``reason`` is its named state (policy.Reason)."""

    def __init__(self, message: str, *, reason: policy.Reason):
        super().__init__(message)
        self.reason = reason


def _refuse(reason: policy.Reason, *, booker: User, who: User | None = None, program=None):
    you = who is None or who.pk == booker.pk
    name = "" if who is None else who.display_name
    text = policy.explain(reason, name=name, you=you, program=program)
    return NotBookable(f"That time is {text}; choose another slot.", reason=reason)


def check_slot(
    *,
    rules: policy.BookingPolicy,
    users: list[User],
    booker: User,
    start: dt.datetime,
    duration: int,
    time_zone: str,
    now: dt.datetime,
) -> None:
    """A slot is bookable if the policy says so: in the future, within the booking window and
    the program, on the step, and (the engine's answer, the question the wizard asked) beyond
    the minimum notice, inside everyone's hours (the booker's in the zone they chose) and
    nobody away."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise BookingRefused("The start time needs a time zone offset.", field="start")
    check_in_years(start)
    program = rules.program
    check_duration(program=program, duration=duration)
    tz = check_time_zone(time_zone)
    end = start + dt.timedelta(minutes=duration)
    if start <= now:
        raise _refuse(policy.Reason.PAST, booker=booker)
    if rules.beyond_window(start, now):
        raise _refuse(policy.Reason.BEYOND_WINDOW, booker=booker)
    utc_start = start.astimezone(dt.UTC)
    if utc_start.second or utc_start.microsecond or utc_start.minute % policy.STEP_MINUTES:
        raise BookingRefused(f"Sessions start on a {policy.STEP_MINUTES}-minute step.")
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if not (rules.in_program(local_start.date()) and rules.in_program(local_end.date())):
        raise _refuse(policy.Reason.OUTSIDE_PROGRAM, booker=booker, program=program)
    found = rules.why_not_hours(
        users=users, booker=booker, booker_tz=time_zone, start=start, duration=duration, now=now
    )
    if found is not None:
        reason, who = found
        raise _refuse(reason, booker=booker, who=who)


def policy_of(match_or_group: MatchOrGroup, users: list[User], starts: list[dt.datetime]):
    """The booking policy for these people over the dates of these starts."""
    for start in starts:
        check_in_years(start)
    days = [s.astimezone(dt.UTC).date() for s in starts] or [timezone.now().date()]
    return policy.policy_for(
        program=match_or_group.program,
        users=users,
        first_day=min(days) - dt.timedelta(days=1),
        last_day=max(days) + dt.timedelta(days=1),
        # A group's optional members (the facilitator's choice) do not hold a booking back.
        optional=(
            optional_member_ids(match_or_group)
            if isinstance(match_or_group, Group)
            else frozenset()
        ),
    )


def check_conferencing(conferencing: Conferencing) -> Conferencing:
    kind = conferencing.kind
    if kind not in Session.Conferencing.values:
        raise BookingRefused(f"Unknown conferencing choice {kind!r}.")
    if kind == Session.Conferencing.CUSTOM_LINK:
        try:
            url = links.check_conference_link(conferencing.url)
        except Refused as error:
            raise BookingRefused(error.message, field="url") from None
        return Conferencing(kind=kind, url=url)
    if kind == Session.Conferencing.LOCATION:
        location = conferencing.location.strip()
        if not location or len(location) > 300:
            raise BookingRefused("Say where you will meet (up to 300 characters).")
        return Conferencing(kind=kind, location=location)
    return Conferencing(kind=kind)


# --- Mutation helpers (call inside the transaction) -------------------------------------


def do_lock_participants(users: list[User]) -> None:
    """Take row locks on the users in primary-key order. Call inside ``transaction.atomic``."""
    ids = sorted({u.pk for u in users})
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def do_check_no_overlap(
    *, users: list[User], start: dt.datetime, end: dt.datetime, exclude: Session | None = None
) -> None:
    """Refuse if any user has a scheduled session overlapping [start, end).

    Precondition: the caller holds the row locks from :func:`do_lock_participants`.
    """
    clash = Session.objects.filter(
        status=Session.Status.SCHEDULED,
        session_participants__user__in=[u.pk for u in users],
        start__lt=end,
        end__gt=start,
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise SlotTaken("That time was just taken; please choose another slot.")


def do_check_rules(
    *,
    rules: policy.BookingPolicy,
    users: list[User],
    booker: User,
    starts: list[dt.datetime],
    duration: int,
    exclude: Session | None = None,
) -> None:
    """Refuse if a session would sit within the program's buffers of another scheduled one,
    or take someone past their daily or weekly limit (their own days and Monday-to-Sunday
    weeks, all their programs).

    Precondition: the caller holds the row locks from :func:`do_lock_participants`, so a
    racing booking of the same people waits and then counts this one.
    """
    delta = dt.timedelta(minutes=duration)
    before, after = rules.rules.buffer_before, rules.rules.buffer_after
    if before or after:
        for start in starts:
            near = Session.objects.filter(
                status=Session.Status.SCHEDULED,
                session_participants__user__in=[u.pk for u in users],
                start__lt=start + delta + after,
                end__gt=start - before,
            )
            if exclude is not None:
                near = near.exclude(pk=exclude.pk)
            if near.exists():
                raise _refuse(policy.Reason.BUFFER, booker=booker)
    per_day, per_week = rules.rules.per_day, rules.rules.per_week
    if per_day is None and per_week is None:
        return
    first, last = min(starts) - dt.timedelta(days=8), max(starts) + dt.timedelta(days=8)
    for user in users:
        tz = ZoneInfo(user.time_zone)
        held = Session.objects.filter(
            status=Session.Status.SCHEDULED,
            session_participants__user=user,
            start__gte=first,
            start__lt=last,
        )
        if exclude is not None:
            held = held.exclude(pk=exclude.pk)
        local = [s.astimezone(tz) for s in held.values_list("start", flat=True)]
        for start in starts:
            mine = start.astimezone(tz)
            local.append(mine)
            if per_day is not None and sum(d.date() == mine.date() for d in local) > per_day:
                raise _refuse(policy.Reason.DAY_LIMIT, booker=booker, who=user)
            week = mine.isocalendar()[:2]
            if per_week is not None and sum(d.isocalendar()[:2] == week for d in local) > per_week:
                raise _refuse(policy.Reason.WEEK_LIMIT, booker=booker, who=user)


def do_create_session(
    *,
    match_or_group: MatchOrGroup,
    users: list[User],
    start: dt.datetime,
    duration: int,
    booked_by: User,
    conferencing: Conferencing,
    agenda: str,
    series: SessionSeries | None,
) -> Session:
    program = match_or_group.program
    session = Session.objects.create(
        program=program,
        series=series,
        start=start.astimezone(dt.UTC),
        end=(start + dt.timedelta(minutes=duration)).astimezone(dt.UTC),
        duration_minutes=duration,
        conferencing=conferencing.kind,
        conference_url=conferencing.url,
        location=conferencing.location,
        agenda=agenda,
        booked_by=booked_by,
        **_owner_filter(match_or_group),
    )
    SessionParticipant.objects.bulk_create(
        SessionParticipant(session=session, user=u) for u in users
    )
    bump_busy_versions(u.pk for u in users)
    invite = SessionInvite.objects.create(session=session)
    _enqueue_invite(invite.pk)
    return session


def _enqueue_invite(invite_id: int) -> None:
    # After commit: a worker must never see an invite whose session was rolled back.
    transaction.on_commit(lambda: _send_to_worker(invite_id))


def _send_to_worker(invite_id: int) -> None:
    """Hand the invite to Celery. The booking is already committed, so a broker outage (or,
    with eager tasks, an unexpected error) must not fail the request: the invite is marked
    failed instead and the person can press Retry."""
    from scheduling import tasks

    try:
        tasks.invite_deliver.delay(invite_id)
    except Exception as error:
        logger.exception("could not deliver invite %s", invite_id)
        # People read the notice; the error text is for operators only.
        SessionInvite.objects.filter(pk=invite_id).update(
            state=SessionInvite.State.FAILED,
            notice=INVITE_NOT_QUEUED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            updated_at=timezone.now(),
        )


INVITE_NOT_QUEUED = (
    "Together could not start sending this invite. Press Retry to try again; if it keeps "
    "failing, tell your program admin."
)


# --- Services ---------------------------------------------------------------------------


@transaction.atomic
def session_book(
    *,
    match_or_group: MatchOrGroup,
    start: dt.datetime,
    duration: int,
    booked_by: User,
    time_zone: str | None = None,
    conferencing: Conferencing | None = None,
    agenda: str | None = None,
    now: dt.datetime | None = None,
) -> Session:
    """Book one session; raise :class:`BookingRefused` (or a subclass) and write nothing."""
    now = now or timezone.now()
    check_participant(match_or_group=match_or_group, user=booked_by)
    program = match_or_group.program
    users = participants_of(match_or_group)
    rules = policy_of(match_or_group, users, [start]) if _aware(start) else None
    check_slot(
        rules=rules,
        users=users,
        booker=booked_by,
        start=start,
        duration=duration,
        time_zone=time_zone or booked_by.time_zone,
        now=now,
    )
    conf = check_conferencing(conferencing or Conferencing())
    end = start + dt.timedelta(minutes=duration)
    do_lock_participants(users)
    do_check_no_overlap(users=users, start=start, end=end)
    do_check_rules(rules=rules, users=users, booker=booked_by, starts=[start], duration=duration)
    return do_create_session(
        match_or_group=match_or_group,
        users=users,
        start=start,
        duration=duration,
        booked_by=booked_by,
        conferencing=conf,
        agenda=program.agenda_template if agenda is None else agenda,
        series=None,
    )


@transaction.atomic
def session_series_book(
    *,
    match_or_group: MatchOrGroup,
    starts: list[dt.datetime],
    frequency: str,
    duration: int,
    booked_by: User,
    time_zone: str | None = None,
    conferencing: Conferencing | None = None,
    agenda: str | None = None,
    now: dt.datetime | None = None,
) -> list[Session]:
    """Book every occurrence (already moved or skipped by the person) as its own session.

    All or nothing: if any occurrence is refused, none is booked, and the error names it.
    """
    now = now or timezone.now()
    zone_name = time_zone or booked_by.time_zone
    check_participant(match_or_group=match_or_group, user=booked_by)
    if frequency not in SessionSeries.Frequency.values:
        raise BookingRefused(f"Repeat must be one of {', '.join(SessionSeries.Frequency.values)}.")
    if not starts:
        raise BookingRefused("Choose at least one occurrence.")
    for start in starts:
        if not _aware(start):
            raise BookingRefused("The start time needs a time zone offset.", field="starts")
        check_in_years(start, field="starts")
    ordered = sorted(starts)
    program = match_or_group.program
    users = participants_of(match_or_group)
    rules = policy_of(match_or_group, users, ordered)
    for index, start in enumerate(ordered, 1):
        try:
            check_slot(
                rules=rules,
                users=users,
                booker=booked_by,
                start=start,
                duration=duration,
                time_zone=zone_name,
                now=now,
            )
        except BookingRefused as error:
            raise BookingRefused(f"Occurrence {index}: {error}") from None
    delta = dt.timedelta(minutes=duration)
    for a, b in itertools.pairwise(ordered):
        if b < a + delta:
            raise BookingRefused("Two occurrences overlap each other.")
    conf = check_conferencing(conferencing or Conferencing())
    do_lock_participants(users)
    # Under the locks: a racing series of the same match or group waits here, then counts
    # what the winner booked (checked before the locks, ten racing series of three with a
    # target of six once made nine sessions).
    left = sessions_left(match_or_group)
    if len(starts) > left:
        raise BookingRefused(f"Only {left} session(s) are left in this program.")
    for index, start in enumerate(ordered, 1):
        try:
            do_check_no_overlap(users=users, start=start, end=start + delta)
        except SlotTaken:
            raise SlotTaken(
                f"Occurrence {index} ({start.astimezone(ZoneInfo(zone_name)):%a %d %b %H:%M}) "
                "was just taken; move or skip it."
            ) from None
    do_check_rules(rules=rules, users=users, booker=booked_by, starts=ordered, duration=duration)
    series = SessionSeries.objects.create(
        program=program,
        frequency=frequency,
        occurrences=len(ordered),
        time_zone=zone_name,
        created_by=booked_by,
    )
    return [
        do_create_session(
            match_or_group=match_or_group,
            users=users,
            start=start,
            duration=duration,
            booked_by=booked_by,
            conferencing=conf,
            agenda=program.agenda_template if agenda is None else agenda,
            series=series,
        )
        for start in ordered
    ]


def _owner_of(session: Session) -> MatchOrGroup:
    return session.match if session.match_id else session.group


def check_session_change(*, session: Session, by: User) -> None:
    check_participant(match_or_group=_owner_of(session), user=by)


@transaction.atomic
def session_reschedule(
    *,
    session: Session,
    start: dt.datetime,
    by: User,
    duration: int | None = None,
    time_zone: str | None = None,
    now: dt.datetime | None = None,
) -> Session:
    """Move a scheduled session; the calendar event (or .ics) is updated after commit."""
    now = now or timezone.now()
    check_session_change(session=session, by=by)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status != Session.Status.SCHEDULED:
        raise SessionStateConflict("Only a scheduled session can be rescheduled.")
    duration = duration or session.duration_minutes
    users = list(session.participants.all())
    owner = _owner_of(session)
    rules = policy_of(owner, users, [start]) if _aware(start) else None
    check_slot(
        rules=rules,
        users=users,
        booker=by,
        start=start,
        duration=duration,
        time_zone=time_zone or by.time_zone,
        now=now,
    )
    end = start + dt.timedelta(minutes=duration)
    do_lock_participants(users)
    do_check_no_overlap(users=users, start=start, end=end, exclude=session)
    do_check_rules(
        rules=rules, users=users, booker=by, starts=[start], duration=duration, exclude=session
    )
    session.start, session.end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    session.duration_minutes = duration
    session.save(update_fields=["start", "end", "duration_minutes", "updated_at"])
    bump_busy_versions(u.pk for u in users)
    _mark_invite_changed(session, "rescheduled")
    return session


@transaction.atomic
def session_cancel(*, session: Session, by: User, now: dt.datetime | None = None) -> Session:
    """Cancel a scheduled session; the calendar event is deleted (or a CANCEL .ics sent)."""
    check_session_change(session=session, by=by)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status != Session.Status.SCHEDULED:
        raise SessionStateConflict("Only a scheduled session can be cancelled.")
    session.status = Session.Status.CANCELLED
    session.cancelled_at = now or timezone.now()
    session.save(update_fields=["status", "cancelled_at", "updated_at"])
    bump_busy_versions(u.pk for u in session.participants.all())
    _mark_invite_changed(session, "cancelled")
    return session


@transaction.atomic
def session_mark_done(*, session: Session, by: User, now: dt.datetime | None = None) -> Session:
    """Record that a scheduled session took place."""
    now = now or timezone.now()
    check_session_change(session=session, by=by)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status != Session.Status.SCHEDULED:
        raise SessionStateConflict("Only a scheduled session can be marked as done.")
    if session.start > now:
        raise SessionStateConflict("A session can be marked as done once it has started.")
    session.status = Session.Status.COMPLETED
    session.completed_at = now
    session.save(update_fields=["status", "completed_at", "updated_at"])
    return session


@transaction.atomic
def session_record_outside(
    *,
    match_or_group: MatchOrGroup,
    start: dt.datetime,
    duration: int,
    by: User,
    now: dt.datetime | None = None,
) -> Session:
    """Mark as Done a session that was held outside the platform (no invite, no overlap check)."""
    now = now or timezone.now()
    check_participant(match_or_group=match_or_group, user=by)
    if start.tzinfo is None or start.utcoffset() is None:
        raise BookingRefused("The start time needs a time zone offset.", field="start")
    check_in_years(start)
    check_duration(program=match_or_group.program, duration=duration)
    if start > now:
        raise BookingRefused("A session held outside the platform must be in the past.")
    session = Session.objects.create(
        program=match_or_group.program,
        start=start.astimezone(dt.UTC),
        end=(start + dt.timedelta(minutes=duration)).astimezone(dt.UTC),
        duration_minutes=duration,
        status=Session.Status.COMPLETED,
        origin=Session.Origin.OUTSIDE,
        booked_by=by,
        completed_at=now,
        **_owner_filter(match_or_group),
    )
    SessionParticipant.objects.bulk_create(
        SessionParticipant(session=session, user=u) for u in participants_of(match_or_group)
    )
    return session


def _mark_invite_changed(session: Session, change: str) -> None:
    invite, _ = SessionInvite.objects.select_for_update().get_or_create(session=session)
    invite.pending_change = change
    invite.state = SessionInvite.State.PENDING
    invite.attempts = 0
    invite.last_error = ""
    invite.waiting_for = SessionInvite.WaitingFor.NOBODY
    if invite.channel != SessionInvite.Channel.ICS:
        # An email invite keeps saying why it goes by email; anything else starts afresh.
        invite.notice = ""
    invite.save(
        update_fields=[
            "pending_change",
            "state",
            "attempts",
            "last_error",
            "waiting_for",
            "notice",
            "updated_at",
        ]
    )
    _enqueue_invite(invite.pk)


@transaction.atomic
def invite_retry(*, session: Session, by: User) -> SessionInvite:
    """Send an invite that has not been delivered again (the "Retry" button): a failed one,
    or one stuck pending (waiting for a reconnect, or a worker that never came back).

    An invite that reached no calendar yet decides its channel afresh from the booker's
    integration state now, so a calendar reconnected (or an organization connected again)
    since is used; one already written keeps its calendar (its event is there).
    """
    check_session_change(session=session, by=by)
    invite = SessionInvite.objects.select_for_update().get(session=session)
    if invite.delivered:
        raise SessionStateConflict("This invite has already been sent.")
    invite.state = SessionInvite.State.PENDING
    invite.attempts = 0
    invite.waiting_for = SessionInvite.WaitingFor.NOBODY
    invite.notice = ""
    if not invite.event_id:
        invite.channel = SessionInvite.Channel.UNDECIDED
        invite.target = {}
        invite.provider_name = invite.calendar_id = ""
    invite.save(
        update_fields=[
            "state",
            "attempts",
            "waiting_for",
            "notice",
            "channel",
            "target",
            "provider_name",
            "calendar_id",
            "updated_at",
        ]
    )
    _enqueue_invite(invite.pk)
    return invite


def invites_resume(*, user_ids: Iterable[int]) -> int:
    """Re-queue the invites of these people's bookings that wait for their calendar (journey 7).

    For the calendars app to call once a person has reconnected, or an organization's grant
    works again for its members; safe to call any time, since delivering an invite twice is
    harmless. Returns how many were queued.
    """
    waiting = list(
        SessionInvite.objects.filter(
            session__booked_by__in=list(user_ids),
            session__status__in=[Session.Status.SCHEDULED, Session.Status.CANCELLED],
            state=SessionInvite.State.PENDING,
        )
        .exclude(waiting_for=SessionInvite.WaitingFor.NOBODY, last_error="")
        .values_list("pk", flat=True)
    )
    for invite_id in waiting:
        _send_to_worker(invite_id)
    return len(waiting)


def invites_sweep(*, now: dt.datetime | None = None) -> int:
    """Re-queue every invite that should be moving but is not: nothing waits for a person, and
    nothing has touched it for ``INVITE_STUCK_AFTER_SECONDS``. Returns how many were queued.

    A message can vanish between commit and delivery (Redis killed without persistence, a
    broker outage at enqueue time, a worker SIGKILLed while it held the task past the broker's
    visibility timeout). Each attempt bumps ``updated_at`` when it starts, and Celery's own
    retries come back within the backoff cap, so an invite untouched for longer than that is
    one no worker is working on: delivering it again is harmless (idempotent writes).
    """
    from django.conf import settings

    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=settings.INVITE_STUCK_AFTER_SECONDS)
    stuck = list(
        SessionInvite.objects.filter(
            state=SessionInvite.State.PENDING,
            waiting_for=SessionInvite.WaitingFor.NOBODY,
            updated_at__lt=stale_before,
            session__status__in=[Session.Status.SCHEDULED, Session.Status.CANCELLED],
        ).values_list("pk", flat=True)
    )
    for invite_id in stuck:
        logger.warning("invite %s was stuck pending; queued again", invite_id)
        _send_to_worker(invite_id)
    return len(stuck)


def invites_resume_for(user_ids: list[int]) -> int:
    """The calendars hook (calendars.hooks.on_write_access_restored) calls this."""
    return invites_resume(user_ids=user_ids)
