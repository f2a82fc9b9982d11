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
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from django.db import transaction
from django.utils import timezone

from programs.busy_versions import bump_busy_versions
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
from scheduling.models import SessionInvite

logger = logging.getLogger(__name__)

# Slots start on a quarter hour; every IANA zone in use today is offset by a multiple of 15
# minutes, so a quarter hour in UTC is a quarter hour on everyone's wall clock.
SLOT_STEP_MINUTES = 15
# Everyone's bookable hours, every day, on their own wall clock (the booker's: the zone they
# book in). The whole session must fit inside.
BOOKABLE_HOURS = (dt.time(7, 0), dt.time(21, 0))
# How far ahead a slot may be booked.
BOOKING_HORIZON = dt.timedelta(days=366)

MatchOrGroup = Match | Group


class BookingRefused(ValueError):
    """A booking request that cannot be honoured; ``str(error)`` is shown to the person."""

    status_code = 400


class NotAParticipant(BookingRefused):
    """The person is not in the match or group: views answer 404, never say more."""

    status_code = 404


class SlotTaken(BookingRefused):
    """Someone (or a concurrent request) booked an overlapping session first."""

    status_code = 409


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


def check_participant(*, match_or_group: MatchOrGroup, user: User) -> None:
    if not is_participant(match_or_group, user):
        raise NotAParticipant("Not found.")
    if isinstance(match_or_group, Match) and not match_or_group.is_active:
        raise NotAParticipant("Not found.")


@functools.cache
def known_time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk; once per process is enough.
    return frozenset(available_timezones())


def check_time_zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or name not in known_time_zones():
        raise BookingRefused(f"{name!r} is not a known time zone, e.g. Europe/London.")
    return ZoneInfo(name)


def check_duration(*, program: Program, duration: int) -> None:
    if duration not in program.allowed_durations:
        allowed = ", ".join(str(d) for d in program.allowed_durations)
        raise BookingRefused(f"{duration} minutes is not allowed here; choose {allowed}.")


def check_slot(
    *, program: Program, start: dt.datetime, duration: int, time_zone: str, now: dt.datetime
) -> None:
    """A slot is bookable if it is in the future, on the grid, in bookable hours and the range."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise BookingRefused("The start time needs a time zone offset.")
    check_duration(program=program, duration=duration)
    tz = check_time_zone(time_zone)
    end = start + dt.timedelta(minutes=duration)
    if start <= now:
        raise BookingRefused("That time is in the past; choose a later slot.")
    if start - now > BOOKING_HORIZON:
        raise BookingRefused("That time is too far ahead to book.")
    utc_start = start.astimezone(dt.UTC)
    if utc_start.second or utc_start.microsecond or utc_start.minute % SLOT_STEP_MINUTES:
        raise BookingRefused(f"Sessions start on a {SLOT_STEP_MINUTES}-minute step.")
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if not (program.starts_on <= local_start.date() and local_end.date() <= program.ends_on):
        raise BookingRefused(
            f"{program.name} runs from {program.starts_on:%d %b %Y} to {program.ends_on:%d %b %Y}."
        )
    check_bookable_hours(start=start, end=end, time_zone=time_zone)


def check_bookable_hours(
    *, start: dt.datetime, end: dt.datetime, time_zone: str, who: str = ""
) -> None:
    """The whole session must sit inside BOOKABLE_HOURS on the wall clock of ``time_zone``."""
    tz = ZoneInfo(time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    first, last = BOOKABLE_HOURS
    if local_start.date() != local_end.date() or not (
        first <= local_start.time() and local_end.time() <= last
    ):
        whose = f"{who}'s" if who else time_zone
        raise BookingRefused(
            f"Sessions can be booked between {first:%H:%M} and {last:%H:%M} ({whose} time)."
        )


def check_everyones_hours(
    *, users: list[User], booker: User, start: dt.datetime, duration: int
) -> None:
    """The booker's hours are checked in the zone they chose; everyone else's in their own."""
    end = start + dt.timedelta(minutes=duration)
    for user in users:
        if user.pk != booker.pk:
            check_bookable_hours(
                start=start, end=end, time_zone=user.time_zone, who=user.display_name
            )


def check_conferencing(conferencing: Conferencing) -> Conferencing:
    kind = conferencing.kind
    if kind not in Session.Conferencing.values:
        raise BookingRefused(f"Unknown conferencing choice {kind!r}.")
    if kind == Session.Conferencing.CUSTOM_LINK:
        url = conferencing.url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
            raise BookingRefused("The custom link must be a full http(s):// address.")
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
    check_slot(
        program=program,
        start=start,
        duration=duration,
        time_zone=time_zone or booked_by.time_zone,
        now=now,
    )
    conf = check_conferencing(conferencing or Conferencing())
    users = participants_of(match_or_group)
    check_everyones_hours(users=users, booker=booked_by, start=start, duration=duration)
    end = start + dt.timedelta(minutes=duration)
    do_lock_participants(users)
    do_check_no_overlap(users=users, start=start, end=end)
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
    left = sessions_left(match_or_group)
    if len(starts) > left:
        raise BookingRefused(f"Only {left} session(s) are left in this program.")
    ordered = sorted(starts)
    program = match_or_group.program
    for index, start in enumerate(ordered, 1):
        try:
            check_slot(
                program=program, start=start, duration=duration, time_zone=zone_name, now=now
            )
        except BookingRefused as error:
            raise BookingRefused(f"Occurrence {index}: {error}") from None
    delta = dt.timedelta(minutes=duration)
    for a, b in itertools.pairwise(ordered):
        if b < a + delta:
            raise BookingRefused("Two occurrences overlap each other.")
    conf = check_conferencing(conferencing or Conferencing())
    users = participants_of(match_or_group)
    for index, start in enumerate(ordered, 1):
        try:
            check_everyones_hours(users=users, booker=booked_by, start=start, duration=duration)
        except BookingRefused as error:
            raise BookingRefused(f"Occurrence {index}: {error}") from None
    do_lock_participants(users)
    for index, start in enumerate(ordered, 1):
        try:
            do_check_no_overlap(users=users, start=start, end=start + delta)
        except SlotTaken:
            raise SlotTaken(
                f"Occurrence {index} ({start.astimezone(ZoneInfo(zone_name)):%a %d %b %H:%M}) "
                "was just taken; move or skip it."
            ) from None
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
        raise BookingRefused("Only a scheduled session can be rescheduled.")
    duration = duration or session.duration_minutes
    check_slot(
        program=session.program,
        start=start,
        duration=duration,
        time_zone=time_zone or by.time_zone,
        now=now,
    )
    users = list(session.participants.all())
    check_everyones_hours(users=users, booker=by, start=start, duration=duration)
    end = start + dt.timedelta(minutes=duration)
    do_lock_participants(users)
    do_check_no_overlap(users=users, start=start, end=end, exclude=session)
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
        raise BookingRefused("Only a scheduled session can be cancelled.")
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
        raise BookingRefused("Only a scheduled session can be marked as done.")
    if session.start > now:
        raise BookingRefused("A session can be marked as done once it has started.")
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
        raise BookingRefused("The start time needs a time zone offset.")
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
        raise BookingRefused("This invite has already been sent.")
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
