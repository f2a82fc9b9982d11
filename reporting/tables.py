"""The report's tables, built once from the figures and shown both as HTML and as CSV.

Building them in one place keeps the page and the exports saying the same thing: every table
on the page has a CSV export with the same rows, and every count names the drill-down behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse

from programs.models import Membership
from reporting import selectors
from reporting.selectors import ProgramFigures


@dataclass(frozen=True)
class Cell:
    value: object
    drill: str | None = None  # slug of the drill-down listing the rows behind this number
    href: str | None = None  # a direct admin link (e.g. a group's change page)


@dataclass(frozen=True)
class ReportTable:
    slug: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    help_text: str = ""


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def days(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g} day" if value == 1 else f"{value:g} days"


def report_tables(figures: ProgramFigures) -> list[ReportTable]:
    return [
        _participants(figures),
        _sessions(figures),
        _timeline(figures),
        _matches(figures),
        _first_session(figures),
        _sessions_per_match(figures),
        _groups(figures),
        _adoption_people(figures),
        _adoption_matches(figures),
    ]


def report_table(figures: ProgramFigures, slug: str) -> ReportTable | None:
    return next((t for t in report_tables(figures) if t.slug == slug), None)


def _participants(f: ProgramFigures) -> ReportTable:
    rows = [
        (Cell(Membership.Role(role).label), Cell(count, drill=f"participants-{role}"))
        for role, count in f.participants_by_role.items()
    ]
    rows.append((Cell("Mentees and mentors (each person once)"), Cell(f.participant_count)))
    return ReportTable(
        "participants",
        "Participants by role",
        ("Role", "People"),
        rows,
        "Current members of the program; someone in two roles is counted in both.",
    )


def _matches(f: ProgramFigures) -> ReportTable:
    rows = [
        (Cell("Matches"), Cell(f.match_count, drill="matches")),
        (
            Cell("Matches with no session yet"),
            Cell(len(f.matches_without_session), "matches-waiting"),
        ),
        (Cell("Longest wait of those, since matched"), Cell(days(f.longest_wait_days))),
        (
            Cell("Median time from match to first session"),
            Cell(days(f.median_days_to_first_session)),
        ),
        (
            Cell("Connections needing reconnect"),
            Cell(f.connections_needing_reconnect, "needs-reconnect"),
        ),
    ]
    return ReportTable(
        "matches",
        "Matches",
        ("Figure", "Value"),
        rows,
        "As of the end of the period: matches made before it ends and their sessions "
        "(not cancelled) starting before it ends. Waiting counts whole days until the end "
        "of the period or now, whichever is earlier.",
    )


def _sessions(f: ProgramFigures) -> ReportTable:
    s = f.sessions
    rows = [
        (Cell("Booked through Together"), Cell(s.booked, "sessions-booked")),
        (Cell("Marked done after happening outside"), Cell(s.outside, "sessions-outside")),
        (Cell("Cancelled"), Cell(s.cancelled, "sessions-cancelled")),
        (Cell("Completed (either origin)"), Cell(s.completed, "sessions-completed")),
        (Cell("Still scheduled"), Cell(s.scheduled, "sessions-scheduled")),
        (Cell("Share booked through Together"), Cell(percent(s.platform_share))),
    ]
    return ReportTable(
        "sessions",
        "Sessions in the period",
        ("Sessions", "Count"),
        rows,
        "Sessions starting in the period. Booked = booked through Together and not cancelled; "
        "outside = held elsewhere and marked done; cancelled = either origin. A session "
        "cancelled and rebooked counts once as cancelled and once as booked. Share = booked ÷ "
        "(booked + outside).",
    )


def _timeline(f: ProgramFigures) -> ReportTable:
    rows = [
        (
            Cell(point.starts_on.isoformat()),
            Cell(point.booked),
            Cell(point.outside),
            Cell(point.booked + point.outside),
        )
        for point in f.timeline
    ]
    unit = f.timeline_unit.capitalize()
    return ReportTable(
        "sessions-over-time",
        f"Sessions per {f.timeline_unit}",
        (f"{unit} starting", "Booked through Together", "Marked done outside", "Total"),
        rows,
        f"Sessions not cancelled, by local {f.timeline_unit} (weeks start on Monday).",
    )


def _first_session(f: ProgramFigures) -> ReportTable:
    rows = [
        (
            Cell(b.label),
            Cell(
                b.count, drill="matches-waiting" if b.slug == "none" else f"matches-first-{b.slug}"
            ),
        )
        for b in f.first_session_buckets
    ]
    rows.append((Cell("Median"), Cell(days(f.median_days_to_first_session))))
    return ReportTable(
        "time-to-first-session",
        "Time from match to first session",
        ("Days", "Matches"),
        rows,
        "Whole days from matched to the start of the first session that was not cancelled.",
    )


def _sessions_per_match(f: ProgramFigures) -> ReportTable:
    rows = [
        (Cell(b.label), Cell(b.count, drill=f"matches-progress-{b.slug}"))
        for b in f.sessions_per_match_buckets
    ]
    average = f.average_sessions_per_match
    rows.append((Cell("Average per match"), Cell("—" if average is None else f"{average:.1f}")))
    return ReportTable(
        "sessions-per-match",
        f"Sessions per match (target {f.target})",
        ("Sessions", "Matches"),
        rows,
        "Sessions not cancelled per match, as of the end of the period, against the "
        "program's target.",
    )


def _group_href(group_id: int) -> str | None:
    try:
        return reverse("admin:programs_group_change", args=[group_id])
    except NoReverseMatch:
        return None


def _groups(f: ProgramFigures) -> ReportTable:
    rows = [
        (
            Cell(g.name, href=_group_href(g.group_id)),
            Cell(g.members),
            Cell(g.held),
            Cell(g.seats),
            Cell("—" if g.average_attendance is None else f"{g.average_attendance:.1f}"),
        )
        for g in f.groups
    ]
    return ReportTable(
        "group-attendance",
        "Group attendance",
        ("Group", "Members", "Sessions held", "Seats filled", "Average per session"),
        rows,
        "Sessions held = completed sessions starting in the period; seats = their participants.",
    )


def _adoption_people(f: ProgramFigures) -> ReportTable:
    counts = f.users_by_adoption
    rows = [
        (Cell(label), Cell(counts[kind], drill=f"people-{kind}"))
        for kind, label in selectors.ADOPTION_LABELS.items()
    ]
    return ReportTable(
        "adoption-people",
        "Calendar integration: mentees and mentors",
        ("Integration", "People"),
        rows,
        "Organization-wide = the organization's active domain-wide integration covers the "
        "person's email domain (this wins); individual = at least one connected calendar "
        "account; none = neither.",
    )


def _adoption_matches(f: ProgramFigures) -> ReportTable:
    counts = f.matches_by_adoption
    rows = [
        (Cell(label), Cell(counts[kind], drill=f"matches-{kind}"))
        for kind, label in selectors.MATCH_ADOPTION_LABELS.items()
    ]
    return ReportTable(
        "adoption-matches",
        "Calendar integration: matches",
        ("Sides integrated", "Matches"),
        rows,
        "Both integrated get exact mutual availability when booking; one gets their own; "
        "neither gets plain time slots.",
    )
