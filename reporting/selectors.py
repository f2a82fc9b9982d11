"""Reads behind the program report: a handful of aggregate queries, whatever the program's size.

Definitions (the report page repeats them as help text):

- The period is whole local days in the viewer's time zone (see `reporting.periods`).
- *Sessions in the period* are sessions whose start falls inside it. They are split into
  **booked through Together** (origin platform, not cancelled), **marked done outside**
  (origin outside, not cancelled) and **cancelled** (either origin). **Completed** counts
  sessions with status completed, whichever the origin. A session cancelled and then rebooked
  therefore counts once as cancelled and once as booked.
- **Share booked through Together** = booked / (booked + marked done outside).
- *Match figures are as of the end of the period*: matches made before it ends, and their live
  (not cancelled) sessions starting before it ends, whether or not inside the period. A match
  has **no session yet** when it has no such session; it has been **waiting** since it was
  matched (whole days, until the end of the period or now, whichever is earlier).
- **Time to first session** = start of a match's first live session − matched at, in whole
  days (floored; a session booked before the match was recorded counts as day 0).
- **Sessions per match** = live sessions against the program's `target_sessions`.
- **Group attendance**, per group: members, sessions held (completed, in the period), and seats
  filled in them (session participants).
- **Integration adoption** covers the program's mentees and mentors: each person's integration
  state (``calendars.selectors.integration_state``, what their My Calendar page shows). A person
  is integrated *by the organization* when an active domain-wide integration covers their email
  domain and reaches their calendar; otherwise *individually* when they have at least one
  connected (active) calendar account; otherwise *none* (a member the organization's grant
  cannot reach, with no calendar of their own, is *none*). Organization wins over individual.
  A match is integrated on *both* sides, *one* or *neither*.
- **Connections needing reconnect**: the mentees' and mentors' calendar accounts whose status
  is needs reconnect (whatever the period).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from calendars.models import CalendarConnection
from calendars.selectors import integration_states
from programs.models import (
    Group,
    GroupMember,
    Match,
    Membership,
    Program,
    Session,
    SessionParticipant,
    User,
)
from reporting.periods import ReportPeriod

LIVE_STATUSES = (Session.Status.SCHEDULED, Session.Status.COMPLETED)
BOOKING_ROLES = (Membership.Role.MENTEE, Membership.Role.MENTOR)

# Time-to-first-session buckets in whole days: (slug, label, lowest, highest or None).
FIRST_SESSION_BUCKETS = (
    ("0-7", "0–7 days", 0, 7),
    ("8-14", "8–14 days", 8, 14),
    ("15-30", "15–30 days", 15, 30),
    ("31-60", "31–60 days", 31, 60),
    ("over-60", "Over 60 days", 61, None),
)

NONE, INDIVIDUAL, ORGANIZATION = "none", "individual", "organization"
ADOPTION_LABELS = {
    ORGANIZATION: "Organization-wide",
    INDIVIDUAL: "Individual",
    NONE: "None",
}
BOTH, ONE, NEITHER = "both", "one", "neither"
MATCH_ADOPTION_LABELS = {BOTH: "Both integrated", ONE: "One integrated", NEITHER: "Neither"}


@dataclass(frozen=True)
class SessionTotals:
    booked: int = 0
    outside: int = 0
    cancelled: int = 0
    completed: int = 0
    scheduled: int = 0

    @property
    def held_or_planned(self) -> int:
        return self.booked + self.outside

    @property
    def platform_share(self) -> float | None:
        """Booked through Together among live sessions, 0..1; None when there are none."""
        if not self.held_or_planned:
            return None
        return self.booked / self.held_or_planned


@dataclass(frozen=True)
class TimelinePoint:
    starts_on: dt.date
    booked: int
    outside: int


@dataclass(frozen=True)
class Bucket:
    slug: str
    label: str
    count: int


@dataclass(frozen=True)
class GroupAttendance:
    group_id: int
    name: str
    members: int
    held: int
    seats: int

    @property
    def average_attendance(self) -> float | None:
        return self.seats / self.held if self.held else None


@dataclass(frozen=True)
class MatchProgress:
    """One match as of the end of the period."""

    match_id: int
    mentee_id: int
    mentor_id: int
    matched_at: dt.datetime
    first_session_at: dt.datetime | None
    live_sessions: int
    # Derived once here: the report reads it for every match in several figures.
    days_to_first_session: int | None = field(init=False)

    def __post_init__(self) -> None:
        days = None
        if self.first_session_at is not None:
            days = max(0, (self.first_session_at - self.matched_at).days)
        object.__setattr__(self, "days_to_first_session", days)


@dataclass
class ProgramFigures:
    program: Program
    period: ReportPeriod
    participants_by_role: dict[str, int]
    sessions: SessionTotals
    timeline_unit: str
    timeline: list[TimelinePoint]
    matches: list[MatchProgress]
    groups: list[GroupAttendance]
    adoption_by_user: dict[int, str]
    connections_needing_reconnect: int
    as_of: dt.datetime = field(default_factory=timezone.now)

    @cached_property
    def match_count(self) -> int:
        return len(self.matches)

    @cached_property
    def matches_without_session(self) -> list[MatchProgress]:
        return [m for m in self.matches if m.first_session_at is None]

    @cached_property
    def waiting_until(self) -> dt.datetime:
        return waiting_until(self.period, self.as_of)

    def days_waiting(self, matched_at: dt.datetime) -> int:
        return max(0, (self.waiting_until - matched_at).days)

    @cached_property
    def longest_wait_days(self) -> int | None:
        waiting = self.matches_without_session
        if not waiting:
            return None
        return self.days_waiting(min(m.matched_at for m in waiting))

    @cached_property
    def median_days_to_first_session(self) -> float | None:
        days = [m.days_to_first_session for m in self.matches if m.first_session_at]
        return statistics.median(days) if days else None

    @cached_property
    def first_session_buckets(self) -> list[Bucket]:
        buckets = [
            Bucket(slug, label, len(matches_in_first_session_bucket(self.matches, slug)))
            for slug, label, _low, _high in FIRST_SESSION_BUCKETS
        ]
        buckets.append(Bucket("none", "No session yet", len(self.matches_without_session)))
        return buckets

    @cached_property
    def sessions_per_match_buckets(self) -> list[Bucket]:
        return [
            Bucket(slug, label, len(matches_in_progress_bucket(self.matches, slug, self.target)))
            for slug, label in progress_bucket_labels(self.target)
        ]

    @cached_property
    def target(self) -> int:
        return self.program.target_sessions

    @cached_property
    def average_sessions_per_match(self) -> float | None:
        if not self.matches:
            return None
        return sum(m.live_sessions for m in self.matches) / len(self.matches)

    @cached_property
    def users_by_adoption(self) -> dict[str, int]:
        counts = dict.fromkeys(ADOPTION_LABELS, 0)
        for kind in self.adoption_by_user.values():
            counts[kind] += 1
        return counts

    @cached_property
    def matches_by_adoption(self) -> dict[str, int]:
        counts = dict.fromkeys(MATCH_ADOPTION_LABELS, 0)
        for match in self.matches:
            counts[match_adoption(match, self.adoption_by_user)] += 1
        return counts

    @cached_property
    def participant_count(self) -> int:
        """Distinct mentees and mentors (a person in both roles counts once)."""
        return len(self.adoption_by_user)


def program_figures(program: Program, period: ReportPeriod) -> ProgramFigures:
    """Every figure of one program's report, in a fixed number of queries (about ten)."""
    totals, timeline = sessions_counted(program, period)
    adoption, needing_reconnect = _adoption_and_reconnects(program)
    return ProgramFigures(
        program=program,
        period=period,
        participants_by_role=participants_by_role(program),
        sessions=totals,
        timeline_unit=timeline_unit(period),
        timeline=timeline,
        matches=match_progress(program, period),
        groups=group_attendance(program, period),
        adoption_by_user=adoption,
        connections_needing_reconnect=needing_reconnect,
    )


def waiting_until(period: ReportPeriod, now: dt.datetime | None = None) -> dt.datetime:
    """Matches with no session have waited until the period's end, or until now if earlier."""
    return min(now or timezone.now(), period.end_at)


def participants_by_role(program: Program) -> dict[str, int]:
    counts = dict(
        Membership.objects.filter(program=program)
        .order_by()
        .values("role")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("role", "n")
    )
    return {role: counts.get(role, 0) for role in Membership.Role.values}


def sessions_in_period(program: Program, period: ReportPeriod) -> QuerySet[Session]:
    return Session.objects.filter(
        program=program, start__gte=period.start_at, start__lt=period.end_at
    )


# The session kinds the report counts, as filters on Session; drill-downs reuse them.
SESSION_KINDS = {
    "booked": Q(origin=Session.Origin.PLATFORM, status__in=LIVE_STATUSES),
    "outside": Q(origin=Session.Origin.OUTSIDE, status__in=LIVE_STATUSES),
    "cancelled": Q(status=Session.Status.CANCELLED),
    "completed": Q(status=Session.Status.COMPLETED),
    "scheduled": Q(status=Session.Status.SCHEDULED),
}


def session_totals(program: Program, period: ReportPeriod) -> SessionTotals:
    totals = sessions_in_period(program, period).aggregate(
        **{kind: Count("pk", filter=condition) for kind, condition in SESSION_KINDS.items()}
    )
    return SessionTotals(**totals)


def timeline_unit(period: ReportPeriod) -> str:
    # Weekly bars stay readable up to about half a year; longer periods are shown by month.
    return "week" if period.days <= 190 else "month"


def sessions_counted(
    program: Program, period: ReportPeriod
) -> tuple[SessionTotals, list[TimelinePoint]]:
    """Totals and the timeline from one GROUP BY (bucket, status, origin) over the period.

    Same definitions as `session_totals`, in one pass over the sessions: a year of weeks × 3
    statuses × 2 origins is a few hundred rows. The bucket is found by comparing the start
    with each bucket's first instant (local midnight, computed here in Python, DST and
    half-hour zones included) rather than by truncating every start in the viewer's zone in
    SQL, which SQLite can only do by calling back into Python once per row.
    """
    unit = timeline_unit(period)
    starts = period.weeks() if unit == "week" else period.months()
    later_bounds = [dt.datetime.combine(day, dt.time.min, tzinfo=period.zone) for day in starts[1:]]
    bucket = Case(
        *[When(start__lt=bound, then=Value(i)) for i, bound in enumerate(later_bounds)],
        default=Value(len(starts) - 1),
        output_field=IntegerField(),
    )
    rows = (
        sessions_in_period(program, period)
        .order_by()
        .annotate(bucket=bucket)
        .values_list("bucket", "status", "origin")
        .annotate(n=Count("pk"))
    )
    totals = dict.fromkeys(SESSION_KINDS, 0)
    counts = [[0, 0] for _day in starts]
    for index, status, origin, n in rows:
        totals[status] += n
        if status in LIVE_STATUSES:
            platform = origin == Session.Origin.PLATFORM
            totals["booked" if platform else "outside"] += n
            counts[index][0 if platform else 1] += n
    timeline = [TimelinePoint(day, *pair) for day, pair in zip(starts, counts, strict=True)]
    return SessionTotals(**totals), timeline


def match_progress(program: Program, period: ReportPeriod) -> list[MatchProgress]:
    """Matches made before the period ends, with their live sessions up to then (2 queries).

    Sessions are grouped by match on their own and joined to the matches here: on PostgreSQL
    that is about half the work of grouping the match-session join by match.
    """
    sessions = {
        match_id: (first, count)
        for match_id, first, count in Session.objects.filter(
            program=program,
            match__isnull=False,
            status__in=LIVE_STATUSES,
            start__lt=period.end_at,
        )
        .order_by()
        .values("match_id")
        .annotate(first=Min("start"), n=Count("pk"))
        .values_list("match_id", "first", "n")
    }
    matches = (
        Match.objects.filter(program=program, matched_at__lt=period.end_at)
        .order_by("matched_at", "pk")
        .values_list("pk", "mentee_id", "mentor_id", "matched_at")
    )
    return [
        MatchProgress(pk, mentee_id, mentor_id, matched_at, *sessions.get(pk, (None, 0)))
        for pk, mentee_id, mentor_id, matched_at in matches
    ]


def matches_in_first_session_bucket(matches: list[MatchProgress], slug: str) -> list:
    if slug == "none":
        return [m for m in matches if m.first_session_at is None]
    for bucket_slug, _label, low, high in FIRST_SESSION_BUCKETS:
        if bucket_slug == slug:
            return [
                m
                for m in matches
                if m.days_to_first_session is not None
                and low <= m.days_to_first_session
                and (high is None or m.days_to_first_session <= high)
            ]
    raise KeyError(slug)


def progress_bucket_labels(target: int) -> list[tuple[str, str]]:
    labels = [("zero", "0 sessions")]
    if target > 2:
        labels.append(("some", f"1–{target - 1} sessions"))
    elif target == 2:
        labels.append(("some", "1 session"))
    labels.append(("target", f"{target} or more (target)"))
    return labels


def matches_in_progress_bucket(matches: list[MatchProgress], slug: str, target: int) -> list:
    if slug == "zero":
        return [m for m in matches if m.live_sessions == 0]
    if slug == "some":
        return [m for m in matches if 0 < m.live_sessions < target]
    if slug == "target":
        return [m for m in matches if m.live_sessions >= target]
    raise KeyError(slug)


def _count_of(queryset: QuerySet, outer: str) -> Coalesce:
    """A correlated COUNT(*) of `queryset`'s rows whose `outer` points at the outer row."""
    counted = queryset.order_by().values(outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def group_attendance(program: Program, period: ReportPeriod) -> list[GroupAttendance]:
    held = Session.objects.filter(
        group=OuterRef("pk"),
        status=Session.Status.COMPLETED,
        start__gte=period.start_at,
        start__lt=period.end_at,
    )
    seats = SessionParticipant.objects.filter(
        session__group=OuterRef("pk"),
        session__status=Session.Status.COMPLETED,
        session__start__gte=period.start_at,
        session__start__lt=period.end_at,
    )
    rows = (
        Group.objects.filter(program=program)
        .order_by("name")
        .annotate(
            member_count=_count_of(GroupMember.objects.filter(group=OuterRef("pk")), "group"),
            held_count=_count_of(held, "group"),
            seat_count=_count_of(seats, "session__group"),
        )
        .values_list("pk", "name", "member_count", "held_count", "seat_count")
    )
    return [GroupAttendance(*row) for row in rows]


def booking_people(program: Program) -> QuerySet[User]:
    """The program's mentees and mentors, each once."""
    in_program = Membership.objects.filter(
        program=program, role__in=BOOKING_ROLES, user=OuterRef("pk")
    )
    return User.objects.filter(Exists(in_program))


def _adoption_and_reconnects(program: Program) -> tuple[dict[int, str], int]:
    """`adoption_by_user` and the count of connections needing reconnect.

    Adoption is each person's integration state from the calendars app (the same fact their
    My Calendar page and the booking wizard show), read in bulk: a fixed number of queries
    whatever the program's size.
    """
    states = integration_states(booking_people(program))
    needing_reconnect = sum(state.needs_reconnect for state in states.values())
    return {user_id: state.how for user_id, state in states.items()}, needing_reconnect


def adoption_by_user(program: Program) -> dict[int, str]:
    """How each mentee and mentor is integrated: organization, individual or none."""
    return _adoption_and_reconnects(program)[0]


def match_adoption(match: MatchProgress, adoption: dict[int, str]) -> str:
    integrated = sum(
        adoption.get(user_id, NONE) != NONE for user_id in (match.mentee_id, match.mentor_id)
    )
    return {2: BOTH, 1: ONE, 0: NEITHER}[integrated]


def connections_needing_reconnect(program: Program) -> QuerySet[CalendarConnection]:
    return CalendarConnection.objects.filter(
        user__in=booking_people(program), status=CalendarConnection.Status.NEEDS_RECONNECT
    )


# --- The program comparison (admin changelist) ---------------------------------------------


def programs_compared(programs: QuerySet[Program]) -> QuerySet[Program]:
    """Programs annotated with their whole-life figures, one correlated subquery per column."""
    sessions = Session.objects.filter(program=OuterRef("pk"))
    live_session = Session.objects.filter(match=OuterRef("pk"), status__in=LIVE_STATUSES)
    waiting = Match.objects.filter(program=OuterRef("pk")).filter(~Exists(live_session))
    people = (
        Membership.objects.filter(program=OuterRef("pk"), role__in=BOOKING_ROLES)
        .order_by()
        .values("program")
        .annotate(n=Count("user_id", distinct=True))
        .values("n")
    )
    return programs.annotate(
        participant_count=Coalesce(Subquery(people, output_field=IntegerField()), 0),
        match_count=_count_of(Match.objects.filter(program=OuterRef("pk")), "program"),
        waiting_count=_count_of(waiting, "program"),
        booked_count=_count_of(sessions.filter(SESSION_KINDS["booked"]), "program"),
        outside_count=_count_of(sessions.filter(SESSION_KINDS["outside"]), "program"),
        completed_count=_count_of(sessions.filter(SESSION_KINDS["completed"]), "program"),
        cancelled_count=_count_of(sessions.filter(SESSION_KINDS["cancelled"]), "program"),
    )
