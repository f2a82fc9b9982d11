"""Small functions that turn the loader's results into what a booking page lists: the month
grid of the date picker and the wizard's time rows with their reasons in people's words
(policy.explain, so the wizard says what a refusal says)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from scheduling import availability
from scheduling.policy import Reason, explain


def month_grid(first: dt.date, dates) -> list[list]:
    """Weeks (Monday first) of the month for the date picker; None pads the edges."""
    by_date = {d.date: d for d in dates}
    weeks = []
    for week in calendar.Calendar().monthdatescalendar(first.year, first.month):
        weeks.append([by_date.get(d) if d.month == first.month else None for d in week])
    return weeks


@dataclass(frozen=True)
class TimeRow:
    """One entry of the wizard's time list: a bookable slot, one unavailable slot, or a run of
    unavailable slots for the same reason (a morning outside the partner's hours is one row,
    not twenty)."""

    slot: availability.SlotRow
    reason: str = ""  # why it cannot be booked; empty when it can
    until: dt.datetime | None = None  # the run's last slot start, for a run


# Runs of at least this many unavailable slots (an hour of 15-minute steps) become one row.
RUN_MIN_SLOTS = 4


def why_not(slot: availability.SlotRow, insight: str, partner_name: str) -> str:
    """The reason a slot of the wizard cannot be booked, in the policy's words ("" if it can)."""
    if slot.past:
        return "past"
    if slot.taken:
        return "booked"
    if slot.bookable:
        return ""
    if slot.beyond_window:
        return explain(Reason.BEYOND_WINDOW)
    # Outside someone's hours is its own state, named before anything a calendar says.
    if slot.partner_away:
        return explain(Reason.AWAY, name=partner_name)
    if slot.me_outside and slot.partner_outside:
        return "outside both your hours"
    if slot.partner_outside:
        return explain(Reason.OUTSIDE_HOURS, name=partner_name)
    if slot.me_outside:
        return explain(Reason.OUTSIDE_HOURS, you=True)
    if slot.me_busy and slot.partner_busy:
        return "both busy"
    if slot.me_busy:
        return explain(Reason.BUSY, you=True)
    if slot.partner_busy:
        return explain(Reason.BUSY, name=partner_name)
    return explain(Reason.OUTSIDE_PROGRAM)


def time_rows(slots, *, insight: str, partner_name: str) -> list[TimeRow]:
    rows: list[TimeRow] = []
    run: list = []

    def flush() -> None:
        if len(run) >= RUN_MIN_SLOTS:
            rows.append(TimeRow(slot=run[0][0], reason=run[0][1], until=run[-1][0].local))
        else:
            rows.extend(TimeRow(slot=s, reason=r) for s, r in run)
        run.clear()

    for slot in slots:
        reason = why_not(slot, insight, partner_name)
        if run and reason != run[-1][1]:
            flush()
        if reason:
            run.append((slot, reason))
        else:
            rows.append(TimeRow(slot=slot))
    flush()
    return rows


def wizard_page(
    *, match, viewer, wizard, form, data: dict, month: tuple, today: dt.date, reschedule
) -> dict:
    """The 1:1 wizard's page context from a loaded month: the chosen day's time list (the
    first bookable date if none was asked), the month grid and its navigation, the choices."""
    from programs.models import Session
    from scheduling import selectors, services

    first, last = month
    day = data.get("day")
    if day is None or not first <= day <= last:
        day = next((d.date for d in wizard.dates if d.bookable), None) or min(
            max(first, today), last
        )
    wizard.show_day(day)
    partner = match.partner_of(viewer)
    program = match.program
    return {
        "match": match,
        "partner": partner,
        "program": program,
        "form": form,
        "wizard": wizard,
        "weeks": month_grid(first, wizard.dates),
        "time_rows": time_rows(
            wizard.slots, insight=wizard.insight, partner_name=partner.first_name or "partner"
        ),
        "month": first,
        "prev_month": (first - dt.timedelta(days=1)).strftime("%Y-%m")
        if first > dt.date(today.year, today.month, 1)
        else None,
        "next_month": (last + dt.timedelta(days=1)).strftime("%Y-%m"),
        "day": day,
        "today": today,
        "time_zone": wizard.time_zone,
        "duration": wizard.duration,
        "durations": program.allowed_durations,
        "conferencing": data.get("conferencing")
        or (reschedule.conferencing if reschedule else Session.Conferencing.NONE),
        "url": data.get("url", ""),
        "location": data.get("location", ""),
        "first_session": not selectors.match_has_sessions(match),
        "sessions_left": services.sessions_left(match),
        "reschedule": reschedule,
        "booker_provider": provider_label(viewer),
    }


def heat_map_page(*, group, heat, week: dt.date, today: dt.date, data: dict, reschedule) -> dict:
    """The group heat map's page context: the week, its navigation and the choices."""
    from programs.models import Session
    from scheduling import services

    return {
        "group": group,
        "program": group.program,
        "heat": heat,
        "week": week,
        "prev_week": week - dt.timedelta(days=7),
        "next_week": week + dt.timedelta(days=7),
        "show_prev": week > today - dt.timedelta(days=today.weekday()),
        "time_zone": heat.time_zone,
        "duration": heat.duration,
        "durations": group.program.allowed_durations,
        "reschedule": reschedule,
        "sessions_left": services.sessions_left(group),
        "is_group": True,
        "conferencing": data.get("conferencing")
        or (reschedule.conferencing if reschedule else Session.Conferencing.NONE),
    }


def provider_label(user) -> str:
    """'Google Meet' or 'Microsoft Teams' if the booker can get an automatic video link: only
    when their integration state can write to that provider's calendar."""
    from calendars.selectors import integration_state

    return integration_state(user).conference_label
