"""Demo extension: sessions, every one booked through the booking services.

After the demo's transaction commits (so the calendars extension's first syncs have filled
the busy cache):

- the history: sessions booked weeks ago (``now`` of the service is the day they were
  booked), held and marked done, one held outside the platform, one cancelled; Hiro and
  Grace's session of yesterday (in Hiro's zone), never marked, so their home page asks;
- people book the way they do in the wizard: Ben a weekly series with Ada, Dev a session
  with Chloe, Liam a Platform Circle session where the heat map shows everyone free, Emma a
  session with Felipe starting within a day, so the worker's reminders have one to send (all
  Google Meet, written into the booker's emulated Google calendar), Mateo a session with
  Aroha (Contoso: Microsoft Teams, through Graph), Owen a session with Nadia (Tailspin:
  nobody connected, so .ics invites by email).

Every session sits inside both (all) people's bookable hours, in daytime for them where
their days meet. Only `manage.py demo` calls this.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from programs.demo_data import Journey, matches_of
from programs.models import Group, Session
from scheduling import availability, services

# Daytime for everyone: a demo slot nobody would have to get up early or stay late for.
DEMO_HOURS = (dt.time(9, 0), dt.time(17, 0))


def demo_sessions(demo, *, out=print) -> None:
    _add_journeys(demo)
    transaction.on_commit(lambda: _book(demo, out))


def _book(demo, out) -> None:
    people = demo.people
    matches = matches_of(demo)
    circle = Group.objects.get(program=demo.group_program)
    _history(matches, circle, people, out)

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
    _book_one(out, matches[("dev", "chloe")], people["dev"], today + dt.timedelta(days=2), video)
    _book_group(circle, people["liam"], today + dt.timedelta(days=1), video, out)
    # Due for a reminder at once: the worker's first reminder run emails both of them.
    _book_one(
        out,
        matches[("felipe", "emma")],
        people["emma"],
        today,
        video,
        note=" within the next day (its reminder comes from the worker)",
        before=timezone.now() + dt.timedelta(hours=23),
    )
    _book_one(
        out,
        matches[("mateo", "aroha")],
        people["mateo"],
        today + dt.timedelta(days=3),
        video,
        note=" (Contoso, Microsoft Teams)",
    )
    _book_one(
        out,
        matches[("nadia", "owen")],
        people["owen"],
        today + dt.timedelta(days=4),
        services.Conferencing(
            kind=Session.Conferencing.CUSTOM_LINK, url="https://meet.tailspin.example/owen-price"
        ),
        note=" (Tailspin, no calendar connected: .ics invites by email)",
    )


def _history(matches, circle, people, out) -> None:
    """Earlier sessions, booked and changed through the services at the time they happened."""
    ada_ben, dev_chloe, hiro_grace = (
        matches[("ada", "ben")],
        matches[("dev", "chloe")],
        matches[("hiro", "grace")],
    )
    members = list(circle.members.all())
    try:
        held = _booked_back_then(ada_ben, people["ada"], days_ago=21, minutes=45)
        _mark_done(held, people["ada"])
        # Held outside the platform, so nothing was booked; at a time that was daytime for both.
        outside_start = next(_candidates(ada_ben.participants(), people["ada"], 7, 30))
        services.session_record_outside(
            match_or_group=ada_ben,
            start=outside_start,
            duration=30,
            by=people["ben"],
            now=outside_start + dt.timedelta(hours=2),
        )
        cancelled = _booked_back_then(dev_chloe, people["dev"], days_ago=10, minutes=60)
        with transaction.atomic():
            services.session_cancel(
                session=cancelled, by=people["chloe"], now=cancelled.start - dt.timedelta(days=1)
            )
        _mark_done(
            _booked_back_then(circle, people["emma"], days_ago=6, minutes=60, members=members),
            people["emma"],
        )
        # Yesterday on Hiro's own calendar (Tokyo), in daytime for Hiro and Grace (Sydney).
        _booked_back_then(
            hiro_grace,
            people["grace"],
            days_ago=1,
            minutes=30,
            anchor=people["hiro"],
            weekday=False,
        )
    except services.BookingRefused as error:
        out(f"Demo history refused: {error}")
        return
    out(
        "Earlier: Ada and Ben met twice (once outside the platform), Chloe cancelled a session "
        "with Dev, the Platform Circle met last week."
    )
    out("Hiro and Grace have yesterday's session to mark as done.")


def _booked_back_then(
    target, booker, *, days_ago: int, minutes: int, anchor=None, members=None, weekday=True
):
    """Book, as of a week before, the first time that day the booking service accepts,
    trying daytime for everyone first: the service, not the demo, knows people's hours."""
    people = members if members is not None else target.participants()
    refusal = None
    for start in _candidates(people, anchor or booker, days_ago, minutes, weekday=weekday):
        try:
            return services.session_book(
                match_or_group=target,
                start=start,
                duration=minutes,
                booked_by=booker,
                conferencing=services.Conferencing(kind=Session.Conferencing.VIDEO),
                now=start - dt.timedelta(days=7),
            )
        except services.BookingRefused as error:
            refusal = error
    raise refusal or services.BookingRefused("No time that day suits everyone.")


def _mark_done(session: Session, by) -> None:
    services.session_mark_done(session=session, by=by, now=session.end + dt.timedelta(hours=1))


def _candidates(people, anchor, days_ago: int, minutes: int, *, weekday: bool = True):
    """Quarter hours of ``anchor``'s local day ``days_ago`` days back (the Friday before, if
    that is a weekend and ``weekday``): first those in daytime for everyone, then the rest."""
    tz = ZoneInfo(anchor.time_zone)
    day = timezone.now().astimezone(tz).date() - dt.timedelta(days=days_ago)
    while weekday and day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    midnight = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    step = dt.timedelta(minutes=services.SLOT_STEP_MINUTES)
    starts = [
        (midnight + i * step).astimezone(dt.UTC)
        for i in range(24 * 60 // services.SLOT_STEP_MINUTES)
        if (midnight + i * step).astimezone(dt.UTC).astimezone(tz).date() == day
    ]
    length = dt.timedelta(minutes=minutes)
    daytime = [s for s in starts if all(_within(s, s + length, p, DEMO_HOURS) for p in people)]
    yield from daytime
    yield from (s for s in starts if s not in daytime)


def _within(start: dt.datetime, end: dt.datetime, person, hours=None, *, weekday=False) -> bool:
    """Whether [start, end) is on one day of ``person``'s clock, within ``hours`` if given
    and on a weekday if asked: the demo's preference, not a booking rule."""
    tz = ZoneInfo(person.time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    return (
        local_start.date() == local_end.date()
        and (not weekday or local_start.weekday() < 5)
        and (hours is None or (hours[0] <= local_start.time() and local_end.time() <= hours[1]))
    )


def _try(out, done: str, book) -> None:
    try:
        book()
    except services.BookingRefused as error:
        out(f"Demo booking refused: {error}")
        return
    out(done)


def _book_one(
    out,
    match,
    booker,
    first_day: dt.date,
    conferencing,
    *,
    note: str = "",
    before: dt.datetime | None = None,
) -> None:
    slots = _free_slots(match, booker, first_day, duration=30)
    start = next((s for s in slots if before is None or s < before), None)
    partner = match.partner_of(booker)
    if start is None:
        out(f"No free slot for {booker.first_name} and {partner.first_name} from {first_day}.")
        return
    _try(
        out,
        f"{booker.first_name} booked a session with {partner.first_name}{note}.",
        lambda: services.session_book(
            match_or_group=match,
            start=start,
            duration=30,
            booked_by=booker,
            conferencing=conferencing,
        ),
    )


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


def _free_slots(match, viewer, first_day: dt.date, *, duration: int):
    """Slots from ``first_day`` on that the wizard offers (all inside both people's bookable
    hours): first those on a weekday in daytime for both, then (for people whose days barely
    meet, São Paulo and Auckland) on a weekday for both, then any."""
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
    end = dt.timedelta(minutes=duration)
    bookable = [row.start for row in wizard.slots if row.bookable]
    both = (viewer, partner)
    yield from (
        s for s in bookable if all(_within(s, s + end, p, DEMO_HOURS, weekday=True) for p in both)
    )
    yield from (s for s in bookable if all(_within(s, s + end, p, weekday=True) for p in both))
    yield from bookable


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


def _add_journeys(demo) -> None:
    p = demo.people
    demo.journeys += [
        Journey(
            "3",
            "Booking a 1:1 session",
            [
                (p["dev"].email, "Book Session with Chloe: both integrated, mutual availability"),
                (p["isla"].email, "Book Session with Jamal: only you are integrated"),
                (p["nadia"].email, "Book Session with Owen: neither, plain times; .ics invites"),
                (p["mateo"].email, "Book Session with Aroha: a Microsoft Teams link is added"),
            ],
        ),
        Journey(
            "4",
            "Recurring sessions",
            [
                (p["ada"].email, "My sessions: Ben's weekly series of 3"),
                (
                    p["felipe"].email,
                    "Book Session with Emma › Schedule all at once, weekly × 4; "
                    "move or skip a conflicting date",
                ),
            ],
        ),
        Journey(
            "5",
            "Groups",
            [
                (
                    p["kavya"].email,
                    "Platform Circle › heat map (hover a slot: how many are available), "
                    "click a slot › Schedule",
                ),
            ],
        ),
        Journey(
            "8",
            "My availability",
            [
                (
                    p["emma"].email,
                    "My availability: weekly hours in your zone, a date override, time off; "
                    "Felipe's wizard then shows those times as outside your hours or away",
                ),
            ],
        ),
        Journey(
            "6",
            "After booking",
            [
                (p["hiro"].email, "home: yesterday's session with Grace, Mark as Done"),
                (p["chloe"].email, "reschedule or cancel Dev's session; his invite follows"),
                (
                    p["felipe"].email,
                    "the reminder of his session with Emma: the worker emails it within a "
                    "minute (.celery/worker.log)",
                ),
            ],
        ),
    ]
