"""The one iCalendar (RFC 5545) builder: a session as a VEVENT, for a CalDAV calendar and for
the iTIP (RFC 5546) invitations emailed to people without a calendar integration.

Both paths describe the same event the same way (one UID, one PRODID, one description with
one "Join:" line, the organizer and attendees); they differ only in the scheduling method:

- a CalDAV calendar holds the event itself, with no METHOD: RFC 4791 section 4.1 says
  calendar object resources in a calendar collection "MUST NOT specify the iCalendar METHOD
  property" (https://datatracker.ietf.org/doc/html/rfc4791#section-4.1);
- an email carries METHOD:REQUEST (or CANCEL, or PUBLISH for the organizer's own copy), and
  the same method as the text/calendar part's ``method`` parameter (RFC 5545 section 3.7.2:
  "If either the METHOD property or the Content-Type method parameter is specified, then
  the other MUST also be specified", https://icalendar.org/iCalendar-RFC-5545/3-7-2-method.html).

The organizer is never also an attendee asked to reply: RFC 5546 sends a REQUEST from the
organizer to the attendees, whose REPLY goes back to the ORGANIZER address
(https://datatracker.ietf.org/doc/html/rfc5546#section-3.2.2). When Together sends on the
organizer's behalf, ORGANIZER carries SENT-BY with the address the email comes from (RFC 5545
section 3.2.18, https://icalendar.org/iCalendar-RFC-5545/3-2-18-sent-by.html), so a mail
client sees the sender is allowed to speak for the organizer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from icalendar import Calendar, Event, vCalAddress, vText

from calendars.providers.base import EventSpec

PRODID = "-//Together//Mentorship sessions//EN"

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"


@dataclass(frozen=True)
class Organizer:
    email: str
    name: str = ""
    # The address that sends on the organizer's behalf (an email's From), if not themselves.
    sent_by: str = ""


def _one_line(text: str) -> str:
    # A parameter value cannot hold a line break; a name typed with one is still that name.
    return " ".join(text.split())


def _organizer(organizer: Organizer) -> vCalAddress:
    address = vCalAddress(f"mailto:{organizer.email}")
    if organizer.name:
        address.params["CN"] = vText(_one_line(organizer.name))
    if organizer.sent_by and organizer.sent_by.lower() != organizer.email.lower():
        address.params["SENT-BY"] = vText(f"mailto:{organizer.sent_by}")
    return address


def _attendee(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(_one_line(name))
    address.params["ROLE"] = vText("REQ-PARTICIPANT")
    address.params["PARTSTAT"] = vText("NEEDS-ACTION")
    address.params["RSVP"] = vText("TRUE")
    return address


def event_ical(
    *,
    uid: str,
    event: EventSpec,
    organizer: Organizer,
    now: dt.datetime,
    sequence: int = 0,
    method: str | None = None,
    cancelled: bool = False,
) -> bytes:
    """One VCALENDAR holding one VEVENT for ``event`` with a stable ``uid``.

    ``method`` is None for a calendar resource (CalDAV), else the iTIP method of the email it
    travels in. Every attendee except the organizer is asked to reply (RSVP); the organizer is
    only the ORGANIZER. ``cancelled`` marks the event STATUS:CANCELLED (with CANCEL, or the
    organizer's own PUBLISH copy of a cancellation).
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    vevent = Event()
    vevent.add("uid", uid)
    vevent.add("sequence", sequence)
    vevent.add("dtstamp", now.astimezone(dt.UTC))
    vevent.add("dtstart", event.start.astimezone(dt.UTC))
    vevent.add("dtend", event.end.astimezone(dt.UTC))
    vevent.add("summary", event.title)
    # The link is in the description already (its one "Join:" line).
    vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    elif event.conference_url:
        vevent.add("location", event.conference_url)
    if event.conference_url:
        vevent.add("url", event.conference_url)
    vevent.add("status", "CANCELLED" if cancelled or method == CANCEL else "CONFIRMED")
    vevent["organizer"] = _organizer(organizer)
    # The booker is the organizer, whichever of their addresses the calendar knows them by.
    organizers = {organizer.email.lower(), event.organizer.lower()}
    for email in event.attendees:
        if email.lower() in organizers:
            continue
        vevent.add("attendee", _attendee(email, event.names.get(email, "")), encode=0)
    cal.add_component(vevent)
    return cal.to_ical()
