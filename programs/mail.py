"""The one way Together sends an email to a person.

Every email is three templates, ``<name>_subject.txt``, ``<name>.txt`` and ``<name>.html``,
rendered for one recipient with that person's time zone active. Templates therefore render
aware datetimes plainly (``{{ session.start|date:"H:i" }}``) and never convert them
themselves: the zone is the recipient's, not the request's or the server's.

Subject and plain text are rendered with autoescape off (they are not HTML; "&" must stay
"&"), the HTML part with autoescape on. The subject is collapsed onto one line, since a header
cannot hold a line break (a name typed with one would otherwise fail the whole send).

It lives in ``programs`` because both ``calendars`` and ``scheduling`` send mail, and
dependencies point programs ← calendars ← scheduling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.template import Context, engines
from django.utils import timezone

from programs.models import User


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class CalendarPart:
    """An iMIP (RFC 6047) invitation: the iCalendar text and its iTIP method."""

    method: str
    content: bytes


class _InvitationMessage(EmailMultiAlternatives):
    """Text, HTML and text/calendar as alternatives of one multipart/alternative, with the
    calendar part's ``method`` parameter: Outlook offers Accept/Decline only for an invitation
    sent that way, not for an attached .ics (RFC 6047 section 2.4,
    https://datatracker.ietf.org/doc/html/rfc6047#section-2.4: the Content-Type's method
    parameter MUST match the iCalendar METHOD)."""

    def __init__(self, *args, calendar: CalendarPart, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calendar = calendar

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        part = SafeMIMEText(self.calendar.content.decode(), "calendar", "utf-8")
        part.set_param("method", self.calendar.method)
        msg.attach(part)
        return msg


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _render(name: str, context: dict, *, autoescape: bool) -> str:
    template = engines["django"].get_template(name).template
    return template.render(Context(context, autoescape=autoescape))


def email_render(*, recipient: User, template: str, context: dict) -> RenderedEmail:
    """The subject, text and HTML of ``template`` for ``recipient``, in the recipient's zone.

    ``context`` gets ``user`` (the recipient) unless it sets it, and ``recipient`` always
    (the test suite checks every render happens in the zone of its ``recipient``).
    """
    context = {"user": recipient, **context, "recipient": recipient}
    with timezone.override(recipient.time_zone or "UTC"):
        subject = _render(f"{template}_subject.txt", context, autoescape=False)
        text = _render(f"{template}.txt", context, autoescape=False)
        html = _render(f"{template}.html", context, autoescape=True)
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)


def email_send(
    *,
    recipient: User,
    template: str,
    context: dict,
    attachments: Iterable[Attachment] = (),
    calendar: CalendarPart | None = None,
    from_email: str | None = None,
    reply_to: Iterable[str] = (),
) -> None:
    """Render ``template`` for ``recipient`` (see :func:`email_render`) and send it as
    multipart text + HTML (+ ``calendar`` as a third alternative), with ``attachments`` after
    them. Raises what the mail backend raises; callers that must not fail (a booking already
    committed) catch it themselves."""
    rendered = email_render(recipient=recipient, template=template, context=context)
    kwargs = {"to": [recipient.email], "from_email": from_email, "reply_to": list(reply_to)}
    if calendar is None:
        message = EmailMultiAlternatives(rendered.subject, rendered.text, **kwargs)
    else:
        message = _InvitationMessage(rendered.subject, rendered.text, calendar=calendar, **kwargs)
    message.attach_alternative(rendered.html, "text/html")
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send()
