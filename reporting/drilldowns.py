"""The rows behind each number in the report, for the drill-down pages and their CSV exports.

A drill-down is named by a slug such as `matches-waiting` or `sessions-cancelled`. Its source
is a queryset (paginated and streamed from the database) or a list already computed from one
or two aggregate queries; either way a page or an export costs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from programs.models import Membership, Program, Session
from reporting import selectors
from reporting.periods import ReportPeriod


@dataclass(frozen=True)
class Row:
    href: str | None  # the row's admin change page
    values: tuple


@dataclass(frozen=True)
class Listing:
    title: str
    columns: tuple[str, ...]
    source: QuerySet | Sequence
    to_row: Callable[[object], Row]


def _admin_url(name: str, pk: int) -> str | None:
    try:
        return reverse(f"admin:{name}_change", args=[pk])
    except NoReverseMatch:  # the model is not in admin (yet)
        return None


def _admin_url_maker(name: str) -> Callable[[int], str | None]:
    """A fast pk → change-page URL function, so long listings do not reverse() every row."""
    template = _admin_url(name, 0)
    if template is None:
        return lambda pk: None
    head, tail = template.rsplit("/0/", 1)
    return lambda pk: f"{head}/{pk}/{tail}"


def _local(instant, period: ReportPeriod) -> str:
    return instant.astimezone(period.zone).strftime("%Y-%m-%d %H:%M") if instant else ""


def _match_listing(title: str, matches: list, program: Program, period: ReportPeriod) -> Listing:
    emails = dict(selectors.booking_people(program).values_list("pk", "email"))
    waiting_until = selectors.waiting_until(period)

    match_url = _admin_url_maker("programs_match")

    def to_row(match: selectors.MatchProgress) -> Row:
        days = match.days_to_first_session
        waited = None if match.first_session_at else max(0, (waiting_until - match.matched_at).days)
        return Row(
            match_url(match.match_id),
            (
                emails.get(match.mentee_id, ""),
                emails.get(match.mentor_id, ""),
                _local(match.matched_at, period),
                _local(match.first_session_at, period),
                "" if days is None else days,
                "" if waited is None else waited,
                match.live_sessions,
            ),
        )

    columns = (
        "Mentee",
        "Mentor",
        "Matched at",
        "First session",
        "Days to first session",
        "Days waiting",
        "Live sessions",
    )
    return Listing(title, columns, matches, to_row)


def _matches(program: Program, period: ReportPeriod, subset: str) -> Listing:
    matches = selectors.match_progress(program, period)
    if subset == "all":
        return _match_listing("Matches", matches, program, period)
    if subset == "waiting":
        chosen = [m for m in matches if m.first_session_at is None]
        return _match_listing("Matches with no session yet", chosen, program, period)
    if subset.startswith("first-"):
        slug = subset.removeprefix("first-")
        try:
            chosen = selectors.matches_in_first_session_bucket(matches, slug)
        except KeyError:
            raise Http404("No such bucket") from None
        label = {s: label for s, label, *_ in selectors.FIRST_SESSION_BUCKETS}.get(
            slug, "no session yet"
        )
        return _match_listing(f"Matches: first session {label}", chosen, program, period)
    if subset.startswith("progress-"):
        slug = subset.removeprefix("progress-")
        try:
            chosen = selectors.matches_in_progress_bucket(matches, slug, program.target_sessions)
        except KeyError:
            raise Http404("No such bucket") from None
        label = dict(selectors.progress_bucket_labels(program.target_sessions))[slug]
        return _match_listing(f"Matches with {label}", chosen, program, period)
    if subset in selectors.MATCH_ADOPTION_LABELS:
        adoption = selectors.adoption_by_user(program)
        chosen = [m for m in matches if selectors.match_adoption(m, adoption) == subset]
        title = f"Matches: {selectors.MATCH_ADOPTION_LABELS[subset].lower()}"
        return _match_listing(title, chosen, program, period)
    raise Http404("No such drill-down")


def _sessions(program: Program, period: ReportPeriod, kind: str) -> Listing:
    if kind not in selectors.SESSION_KINDS:
        raise Http404("No such drill-down")
    # Plain values, not model instances: an export of tens of thousands of sessions would
    # otherwise spend its time building Session, Match and User objects it only reads.
    source = (
        selectors.sessions_in_period(program, period)
        .filter(selectors.SESSION_KINDS[kind])
        .order_by("start", "pk")
        .values_list(
            "pk",
            "start",
            "duration_minutes",
            "match__mentee__email",
            "match__mentor__email",
            "group__name",
            "status",
            "origin",
        )
    )
    session_url = _admin_url_maker("programs_session")
    statuses = dict(Session.Status.choices)
    origins = dict(Session.Origin.choices)

    def to_row(values: tuple) -> Row:
        pk, start, minutes, mentee, mentor, group, status, origin = values
        who = f"{mentee} & {mentor}" if mentee else group
        return Row(
            session_url(pk),
            (_local(start, period), minutes, who, statuses[status], origins[origin]),
        )

    titles = {
        "booked": "Sessions booked through Together",
        "outside": "Sessions marked done outside",
        "cancelled": "Cancelled sessions",
        "completed": "Completed sessions",
        "scheduled": "Sessions still scheduled",
    }
    columns = ("Start (your time)", "Minutes", "Match or group", "Status", "Origin")
    return Listing(titles[kind], columns, source, to_row)


def _participants(program: Program, period: ReportPeriod, role: str) -> Listing:
    if role not in Membership.Role.values:
        raise Http404("No such role")
    source = (
        Membership.objects.filter(program=program, role=role)
        .select_related("user")
        .order_by("user__email")
    )

    def to_row(membership: Membership) -> Row:
        user = membership.user
        return Row(
            _admin_url("programs_user", user.pk),
            (
                user.get_full_name(),
                user.email,
                user.time_zone,
                _local(membership.joined_at, period),
            ),
        )

    title = f"{Membership.Role(role).label}s"
    return Listing(title, ("Name", "Email", "Time zone", "Joined"), source, to_row)


def _people_by_adoption(program: Program, period: ReportPeriod, kind: str) -> Listing:
    if kind not in selectors.ADOPTION_LABELS:
        raise Http404("No such integration kind")
    adoption = selectors.adoption_by_user(program)
    source = [
        person
        for person in selectors.booking_people(program)
        .order_by("email")
        .values("pk", "email", "first_name", "last_name")
        if adoption.get(person["pk"]) == kind
    ]

    def to_row(person: dict) -> Row:
        name = f"{person['first_name']} {person['last_name']}".strip()
        return Row(_admin_url("programs_user", person["pk"]), (name, person["email"]))

    title = f"Mentees and mentors — integration: {selectors.ADOPTION_LABELS[kind].lower()}"
    return Listing(title, ("Name", "Email"), source, to_row)


def _needs_reconnect(program: Program, period: ReportPeriod) -> Listing:
    source = (
        selectors.connections_needing_reconnect(program)
        .select_related("user")
        .order_by("needs_reconnect_since", "pk")
    )

    def to_row(connection) -> Row:
        href = _admin_url("calendars_calendarconnection", connection.pk) or _admin_url(
            "programs_user", connection.user_id
        )
        return Row(
            href,
            (
                connection.user.email,
                connection.get_provider_display(),
                connection.account_email,
                _local(connection.needs_reconnect_since, period),
            ),
        )

    columns = ("Person", "Provider", "Account", "Needs reconnect since")
    return Listing("Connections needing reconnect", columns, source, to_row)


def drilldown(program: Program, period: ReportPeriod, slug: str) -> Listing:
    """The listing behind one number; Http404 for a slug the report never links to."""
    family, _, rest = slug.partition("-")
    if family == "matches":
        return _matches(program, period, rest or "all")
    if family == "sessions":
        return _sessions(program, period, rest)
    if family == "participants":
        return _participants(program, period, rest)
    if family == "people":
        return _people_by_adoption(program, period, rest)
    if slug == "needs-reconnect":
        return _needs_reconnect(program, period)
    raise Http404("No such drill-down")
