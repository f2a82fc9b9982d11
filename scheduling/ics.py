"""iCalendar (RFC 5545 / iTIP RFC 5546) invitations for people without a calendar integration."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from programs.models import Session, User


def _address(user: User, *, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.display_name)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def session_title(session: Session) -> str:
    if session.group_id:
        return f"{session.group.name} — {session.program.name}"
    match = session.match
    return f"{match.mentee.display_name} & {match.mentor.display_name} — {session.program.name}"


def session_description(session: Session) -> str:
    lines = [f"Mentorship session booked through Together ({settings.SITE_URL})."]
    if session.conference_url:
        lines.append(f"Join: {session.conference_url}")
    if session.location:
        lines.append(f"Where: {session.location}")
    if session.agenda:
        lines += ["", "Agenda:", session.agenda]
    return "\n".join(lines)


def build_invitation(
    *,
    session: Session,
    uid: str,
    sequence: int,
    participants: list[User],
    cancel: bool = False,
    now: dt.datetime,
) -> bytes:
    """One VEVENT with a stable UID; METHOD:REQUEST, or METHOD:CANCEL when ``cancel``."""
    cal = Calendar()
    cal.add("prodid", "-//Together//Mentorship sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", session.start.astimezone(dt.UTC))
    event.add("dtend", session.end.astimezone(dt.UTC))
    event.add("summary", session_title(session))
    event.add("description", session_description(session))
    if session.location:
        event.add("location", session.location)
    elif session.conference_url:
        event.add("location", session.conference_url)
    if session.conference_url:
        event.add("url", session.conference_url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = session.booked_by or participants[0]
    event["organizer"] = _address(organizer)
    for user in participants:
        event.add("attendee", _address(user, role="REQ-PARTICIPANT"), encode=0)
    cal.add_component(event)
    return cal.to_ical()
