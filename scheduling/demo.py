"""Demo extension: sessions booked the way people book them, once busy times are in.

After the demo's transaction commits (so the calendars extension's first sync has filled the
busy cache), people book through the booking services: Ben books a weekly series with Ada,
Dev a single session with Chloe, Liam a Platform Circle session at the time the heat map
shows most of the circle free. With the emulator running, each invite is written into the
booker's emulated Google calendar with a Meet link, through the real client libraries; without
it, everyone gets an .ics email. Hiro and Grace also get a session that happened yesterday
and was never marked: their home page asks them to mark it as done. Only `manage.py demo`
calls this.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from programs.models import Group, Match, Session, SessionParticipant
from scheduling import availability, services

# Daytime for both people: a demo slot nobody would have to get up at night for.
DEMO_HOURS = (dt.time(9, 0), dt.time(17, 0))


def demo_sessions(demo, *, out=print) -> None:
    transaction.on_commit(lambda: _book(demo, out))


def _book(demo, out) -> None:
    people = demo.people
    matches = {
        (m.mentee.email.split("@")[0], m.mentor.email.split("@")[0]): m
        for m in Match.objects.filter(program=demo.one_to_one).select_related("mentee", "mentor")
    }
    video = services.Conferencing(kind=Session.Conferencing.VIDEO)
    today = timezone.now().date()

    ada_ben = matches[("ada", "ben")]
    starts = _weekly_free(ada_ben, people["ben"], today + dt.timedelta(days=9), duration=45)
    if starts:
        _try(
            out,
            f"Ben booked a weekly series of {len(starts)} with Ada.",
            lambda: services.session_series_book(
                match_or_group=ada_ben,
                starts=starts,
                frequency="weekly",
                duration=45,
                booked_by=people["ben"],
                conferencing=video,
            ),
        )

    dev_chloe = matches[("dev", "chloe")]
    start = _first_free(dev_chloe, people["dev"], today + dt.timedelta(days=2), duration=30)
    if start is not None:
        _try(
            out,
            "Dev booked a session with Chloe.",
            lambda: services.session_book(
                match_or_group=dev_chloe,
                start=start,
                duration=30,
                booked_by=people["dev"],
                conferencing=video,
            ),
        )

    circle = Group.objects.get(program=demo.group_program)
    _book_group(circle, people["liam"], today + dt.timedelta(days=1), video, out)

    _unmarked_past_session(matches[("hiro", "grace")])
    out("Hiro and Grace have yesterday's session to mark as done.")


def _try(out, done: str, book) -> None:
    try:
        book()
    except services.BookingRefused as error:
        out(f"Demo booking refused: {error}")
        return
    out(done)


def _weekly_free(match, viewer, first_day: dt.date, *, duration: int) -> list[dt.datetime]:
    """Three weekly starts (fewer if the program has fewer sessions left) free for both, from
    the first daytime slot whose every occurrence is free, as the series preview shows."""
    count = min(3, services.sessions_left(match))
    for start in _free_slots(match, viewer, first_day, duration=duration):
        occurrences = availability.series_preview(
            owner=match,
            viewer=viewer,
            first_start=start,
            frequency="weekly",
            count=count,
            duration=duration,
            time_zone=viewer.time_zone,
        )
        if not any(conflict for _, conflict in occurrences):
            return [o.start for o, _ in occurrences]
    return []


def _first_free(match, viewer, first_day: dt.date, *, duration: int) -> dt.datetime | None:
    return next(_free_slots(match, viewer, first_day, duration=duration), None)


def _free_slots(match, viewer, first_day: dt.date, *, duration: int):
    """Slots from ``first_day`` on when both are free and it is daytime for both."""
    wizard = availability.match_wizard(
        match=match,
        viewer=viewer,
        time_zone=viewer.time_zone,
        duration=duration,
        first_day=first_day,
        last_day=first_day + dt.timedelta(days=6),
        every_day=True,
    )
    partner = match.partner_of(viewer)
    for row in wizard.slots:
        if row.bookable and _daytime(row.start, viewer) and _daytime(row.start, partner):
            yield row.start


def _book_group(group, booker, week_start: dt.date, conferencing, out) -> None:
    """Book where the heat map shows the most members free, as a member would: the first
    such time that is inside everyone's bookable hours."""
    heat = availability.group_heat_map(
        group=group, viewer=booker, time_zone=booker.time_zone, duration=60, week_start=week_start
    )
    cells = sorted(
        (cell for _, row in heat.rows for cell in row if cell is not None and not cell.past),
        key=lambda c: (-c.free, c.start),
    )
    for cell in cells[:200]:
        try:
            services.session_book(
                match_or_group=group,
                start=cell.start,
                duration=60,
                booked_by=booker,
                conferencing=conferencing,
            )
        except services.BookingRefused:
            continue
        out(
            f"{booker.first_name} scheduled a {group.name} session "
            f"({cell.free} of {cell.total} free)."
        )
        return
    out(f"No time in the week of {week_start} suits everyone in {group.name}.")


def _daytime(instant: dt.datetime, person) -> bool:
    local = instant.astimezone(ZoneInfo(person.time_zone)).time()
    return DEMO_HOURS[0] <= local < DEMO_HOURS[1]


def _unmarked_past_session(match) -> None:
    # The booking service refuses past times, as it should; this one was booked last week.
    start = (timezone.now() - dt.timedelta(days=1)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    session = Session.objects.create(
        program=match.program,
        match=match,
        start=start,
        end=start + dt.timedelta(minutes=30),
        duration_minutes=30,
        conferencing=Session.Conferencing.NONE,
        agenda=match.program.agenda_template,
        booked_by=match.mentor,
    )
    SessionParticipant.objects.bulk_create(
        SessionParticipant(session=session, user=u) for u in match.participants()
    )
