"""What a session's calendar event says (title, description), and the iTIP (RFC 5546)
invitations emailed to people without a calendar integration.

The iCalendar itself is built by calendars.ics, the one builder CalDAV uses too; this module
decides who organizes, who is asked to reply and who sends it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from email.utils import formataddr, parseaddr

from django.conf import settings

from calendars import ics as ical
from calendars.providers.base import EventSpec
from programs.models import Session, User


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


@dataclass(frozen=True)
class Invitation:
    """One person's invitation email: the iCalendar, its method, and who it is from."""

    method: str
    content: bytes
    from_email: str
    reply_to: tuple[str, ...]


def _sender_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def organizer_of(session: Session, participants: list[User]) -> User:
    return session.booked_by or participants[0]


def invitations(
    *,
    session: Session,
    event: EventSpec,
    uid: str,
    sequence: int,
    participants: list[User],
    cancel: bool,
    now: dt.datetime,
) -> dict[int, Invitation]:
    """Each participant's invitation, by user id.

    The booker organizes: the others get a REQUEST (or CANCEL) that asks them to reply, sent
    "<booker> via Together" from Together's address, which ORGANIZER names as SENT-BY, with
    Reply-To the booker; the booker gets their own copy as PUBLISH (or the CANCEL), since
    iTIP sends no REQUEST to the organizer.
    """
    organizer = organizer_of(session, participants)
    sender = _sender_address()
    event = replace(event, conference_url=session.conference_url, organizer=organizer.email)
    on_behalf = ical.Organizer(email=organizer.email, name=organizer.display_name, sent_by=sender)
    to_attendees = ical.CANCEL if cancel else ical.REQUEST
    to_organizer = ical.CANCEL if cancel else ical.PUBLISH

    def build(method: str) -> bytes:
        return ical.event_ical(
            uid=uid,
            event=event,
            organizer=on_behalf,
            now=now,
            sequence=sequence,
            method=method,
            cancelled=cancel,
        )

    contents = {method: build(method) for method in {to_attendees, to_organizer}}
    via = formataddr((" ".join(f"{organizer.display_name} via Together".split()), sender))
    result = {}
    for user in participants:
        if user.pk == organizer.pk:
            result[user.pk] = Invitation(
                to_organizer, contents[to_organizer], settings.DEFAULT_FROM_EMAIL, ()
            )
        else:
            result[user.pk] = Invitation(
                to_attendees, contents[to_attendees], via, (organizer.email,)
            )
    return result
