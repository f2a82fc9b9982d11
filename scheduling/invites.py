"""Delivering a session's invitation: a calendar event in the booker's destination calendar,
or, when the booker has no integration, an email with an .ics invite to every participant.

:func:`invite_deliver` is what the Celery task calls. It brings the outside world in line with
the session as it is *now* (booked, rescheduled or cancelled), so running it twice is harmless:
a calendar create reuses the invite's idempotency key, an update or delete is naturally
repeatable, and an .ics is only sent while the invite is pending.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calendars.errors import NeedsReconnectError, PermanentProviderError, TemporaryProviderError
from calendars.providers.base import EventSpec
from calendars.selectors import write_target_for
from programs.mail import Attachment, CalendarPart, email_send
from programs.models import Session
from scheduling import ics
from scheduling.models import SessionInvite

logger = logging.getLogger(__name__)


class InviteTemporaryFailure(Exception):
    """The provider asked us to come back later; the task retries with backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _write_target(user):
    # The calendars app owns which calendar new sessions go to (None: .ics email).
    return write_target_for(user) if user is not None else None


def _provider(target):
    from calendars.services import provider_for_target

    return provider_for_target(target)


def event_spec_for(session: Session) -> EventSpec:
    participants = list(session.participants.order_by("pk"))
    booker = session.booked_by
    organizer = ics.organizer_of(session, participants) if participants else booker
    return EventSpec(
        title=ics.session_title(session),
        description=ics.session_description(session),
        start=session.start,
        end=session.end,
        time_zone=booker.time_zone if booker else "UTC",
        attendees=[u.email for u in participants],
        conferencing=session.conferencing,
        location=session.location,
        conference_url=session.conference_url if session.conferencing != "video" else "",
        organizer=organizer.email if organizer else "",
        names={u.email: u.display_name for u in participants},
    )


class MailTemporaryError(Exception):
    """The mail server did not take the .ics email (disconnected, refused, timed out)."""


# What Django's SMTP backend raises when the server is down or drops us: worth retrying.
MAIL_TEMPORARY = (smtplib.SMTPException, OSError)


def invite_deliver(*, invite_id: int, final_attempt: bool = False) -> SessionInvite:
    """As :func:`_deliver`; a mail server that did not take the .ics email is retried like a
    provider that did not answer (never a silent pending, never a raw exception)."""
    try:
        return _deliver(invite_id=invite_id, final_attempt=final_attempt)
    except MailTemporaryError as error:
        invite = SessionInvite.objects.get(pk=invite_id)
        if final_attempt:
            return _fail(invite, notice=MAIL_FAILED, error=str(error))
        _note(invite, notice=MAIL_RETRYING, error=str(error))
        raise InviteTemporaryFailure(str(error)) from error


MAIL_RETRYING = "The invitation email could not be sent just now; Together keeps trying."
MAIL_FAILED = "The invitation email could not be sent. Press Retry to try again."


def _deliver(*, invite_id: int, final_attempt: bool = False) -> SessionInvite:
    """Make the outside world match the session; raise InviteTemporaryFailure to be retried.

    What happens when the booker's calendar cannot take the event:
    - the provider is busy or down (temporary): retried with backoff, then failed with Retry;
    - a grant someone has been asked to renew (the booker's connection, the organization's
      integration): the invite waits, and goes out when they have (``invites_resume``);
    - anything that will not fix itself (the calendar or member is not found, the account or
      organization was disconnected): every participant gets the .ics email instead, and the
      invite says so.
    People only ever read ``notice``; provider and Python error text goes to ``last_error``.
    """
    invite = SessionInvite.objects.select_related(
        "session__program",
        "session__booked_by",
        "session__match__mentee",
        "session__match__mentor",
        "session__group",
    ).get(pk=invite_id)
    if invite.state != SessionInvite.State.PENDING:
        return invite
    session = invite.session
    # An invite already bound to a calendar has been through an attempt that may have written
    # the event and lost the answer (event_id still empty): a cancel must look for it.
    maybe_written = invite.channel == SessionInvite.Channel.CALENDAR
    _bump_attempts(invite)
    try:
        if invite.channel == SessionInvite.Channel.UNDECIDED:
            _decide_channel(invite, session)
        elif invite.channel == SessionInvite.Channel.CALENDAR:
            _check_target(invite, session)
        if invite.channel == SessionInvite.Channel.CALENDAR:
            _deliver_by_calendar(invite, session, maybe_written=maybe_written)
        else:
            _deliver_by_email(invite, session)
    except TemporaryProviderError as error:
        if final_attempt:
            return _fail(
                invite,
                notice=f"{_provider_name(invite)} did not answer when Together tried to add "
                "this session to the calendar. Press Retry to try again.",
                error=str(error),
            )
        _note(
            invite,
            notice=f"{_provider_name(invite)} is not answering right now; Together keeps trying.",
            error=str(error),
        )
        raise InviteTemporaryFailure(str(error), error.retry_after) from error
    except NeedsReconnectError as error:
        return _wait_or_fall_back(invite, session, error)
    except PermanentProviderError as error:
        return _fall_back_to_email(invite, session, error)
    except (InviteTemporaryFailure, MailTemporaryError):
        raise
    except Exception as error:
        # Whatever went wrong, a person reads a sentence and can retry; operators get the
        # traceback in the log and the text in last_error.
        logger.exception("invite %s could not be delivered", invite.pk)
        return _fail(invite, notice=UNEXPECTED, error=f"{type(error).__name__}: {error}")
    if invite.channel == SessionInvite.Channel.CALENDAR:
        final = (
            SessionInvite.State.CANCELLED
            if session.status == Session.Status.CANCELLED
            else SessionInvite.State.SENT
        )
        SessionInvite.objects.filter(pk=invite.pk, state=SessionInvite.State.PENDING).update(
            state=final,
            last_error="",
            notice="",
            waiting_for=SessionInvite.WaitingFor.NOBODY,
            updated_at=timezone.now(),
        )
    invite.refresh_from_db()
    return invite


def invite_record_failure(*, invite_id: int, error: BaseException) -> None:
    """The task's last word when something escaped ``invite_deliver``: a pending invite that
    waits for nobody becomes failed, with a sentence and Retry; anything else is left alone."""
    logger.error("invite %s: the task failed: %r", invite_id, error)
    SessionInvite.objects.filter(
        pk=invite_id,
        state=SessionInvite.State.PENDING,
        waiting_for=SessionInvite.WaitingFor.NOBODY,
    ).update(
        state=SessionInvite.State.FAILED,
        notice=UNEXPECTED,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        updated_at=timezone.now(),
    )


UNEXPECTED = (
    "Something went wrong on our side while sending this invite. Press Retry to try again; "
    "if it keeps failing, tell your program admin."
)


def _provider_name(invite: SessionInvite) -> str:
    from calendars.selectors import PROVIDER_NAMES

    return PROVIDER_NAMES.get(invite.provider_name, "The calendar provider")


def _whose(session: Session) -> str:
    return f"{session.booked_by.display_name}'s" if session.booked_by else "the booker's"


def _decide_channel(invite: SessionInvite, session: Session) -> None:
    """First delivery: the booker's write target if their integration state can write,
    else .ics email (saying why, when their integration has a problem)."""
    target = _write_target(session.booked_by)
    if target is None:
        invite.channel = SessionInvite.Channel.ICS
        invite.notice = _no_calendar_notice(session)
    else:
        _use_target(invite, target)
    invite.save(
        update_fields=[
            "channel",
            "provider_name",
            "calendar_id",
            "target",
            "event_id",
            "notice",
            "updated_at",
        ]
    )


def _no_calendar_notice(session: Session) -> str:
    from calendars.selectors import integration_state

    booker = session.booked_by
    if booker is None:
        return ""
    state = integration_state(booker)
    if not (state.organization_covers or state.provider) or state.can_write:
        return ""  # no integration at all: email is simply how invites travel
    return (
        f"Sent by email with a calendar file: Together cannot add sessions to {_whose(session)} "
        f"{state.provider_label or 'work'} calendar at the moment."
    )


def _use_target(invite: SessionInvite, target) -> None:
    old = invite.target or {}
    same_calendar = (
        old.get("provider_name") == target.provider_name
        and old.get("account_email") == target.account_email
        and old.get("calendar_id") == target.calendar_id
    )
    if not same_calendar:
        # An event written into another calendar cannot be updated through this one.
        invite.event_id = ""
    invite.channel = SessionInvite.Channel.CALENDAR
    invite.provider_name, invite.calendar_id = target.provider_name, target.calendar_id
    invite.target = dataclasses.asdict(target)


def _check_target(invite: SessionInvite, session: Session) -> None:
    """Before writing again: is the connection or grant the invite was written through still
    there? If not, write through what the booker has now (a reconnected organization is a new
    integration); with nothing to write through, raise so the caller waits or falls back."""
    from calendars.selectors import write_target_status

    status = write_target_status(_target_from_invite(invite))
    if status == "ok":
        return
    target = _write_target(session.booked_by)
    if target is not None:
        _use_target(invite, target)
        invite.save(
            update_fields=[
                "channel",
                "provider_name",
                "calendar_id",
                "target",
                "event_id",
                "updated_at",
            ]
        )
        return
    if status == "broken":
        raise NeedsReconnectError("The calendar connection needs reconnecting.")
    raise PermanentProviderError("The calendar the invite was written to was disconnected.")


def _bump_attempts(invite: SessionInvite) -> None:
    invite.attempts += 1
    invite.save(update_fields=["attempts", "updated_at"])


def _note(invite: SessionInvite, *, notice: str, error: str) -> None:
    invite.notice = notice
    invite.last_error = error[:2000]
    invite.save(update_fields=["notice", "last_error", "updated_at"])


def _fail(invite: SessionInvite, *, notice: str, error: str) -> SessionInvite:
    logger.warning("invite %s failed: %s", invite.pk, error)
    invite.state = SessionInvite.State.FAILED
    invite.notice = notice
    invite.last_error = error[:2000]
    invite.waiting_for = SessionInvite.WaitingFor.NOBODY
    invite.save(update_fields=["state", "notice", "last_error", "waiting_for", "updated_at"])
    return invite


def _wait_or_fall_back(
    invite: SessionInvite, session: Session, error: NeedsReconnectError
) -> SessionInvite:
    """Journey 7: nothing is lost. The invite waits for the reconnect, but only once someone
    has been asked for it (a To-Do and an email); with nobody to ask, it goes by email now."""
    from calendars.services import target_mark_needs_reconnect

    target = _target_from_invite(invite)
    if not target_mark_needs_reconnect(target=target, reason=str(error)):
        return _fall_back_to_email(invite, session, error)
    invite.waiting_for = (
        SessionInvite.WaitingFor.ORGANIZATION
        if target.integration_id
        else SessionInvite.WaitingFor.BOOKER
    )
    invite.notice = ""
    invite.last_error = str(error)[:2000]
    invite.save(update_fields=["waiting_for", "notice", "last_error", "updated_at"])
    return invite


def _fall_back_to_email(invite: SessionInvite, session: Session, error: Exception) -> SessionInvite:
    """The booker's calendar will not take this event, and waiting will not change that:
    send every participant the .ics email instead, and say so on the invite."""
    logger.warning("invite %s falls back to email: %s", invite.pk, error)
    if session.status == Session.Status.CANCELLED and not invite.event_id:
        # Cancelled before anything reached anyone: there is nothing to take back.
        SessionInvite.objects.filter(pk=invite.pk).update(
            state=SessionInvite.State.CANCELLED,
            last_error=str(error)[:2000],
            waiting_for=SessionInvite.WaitingFor.NOBODY,
            updated_at=timezone.now(),
        )
        invite.refresh_from_db()
        return invite
    notice = (
        f"Together could not add this session to {_whose(session)} {_provider_name(invite)} "
        "calendar, so everyone was sent an email invite with a calendar file instead."
    )
    invite.channel = SessionInvite.Channel.ICS
    invite.notice = notice
    invite.last_error = str(error)[:2000]
    invite.waiting_for = SessionInvite.WaitingFor.NOBODY
    invite.save(update_fields=["channel", "notice", "last_error", "waiting_for", "updated_at"])
    try:
        _deliver_by_email(invite, session)
    except MailTemporaryError:
        raise  # the invite now goes by email; invite_deliver retries that
    except Exception as mail_error:
        logger.exception("invite %s: the fallback email failed", invite.pk)
        return _fail(invite, notice=UNEXPECTED, error=f"{type(mail_error).__name__}: {mail_error}")
    invite.refresh_from_db()
    return invite


def _deliver_by_calendar(
    invite: SessionInvite, session: Session, *, maybe_written: bool = False
) -> None:
    target = _target_from_invite(invite)
    provider = _provider(target)
    if session.status == Session.Status.CANCELLED:
        if invite.event_id:
            provider.delete_event(calendar_id=invite.calendar_id, event_id=invite.event_id)
        elif maybe_written:
            # An earlier attempt may have created the event and lost the answer (a dropped
            # connection, a killed worker): take back whatever that key made, so a cancelled
            # session never stays in the calendar.
            provider.delete_by_key(
                calendar_id=invite.calendar_id,
                idempotency_key=invite.idempotency_key,
                event=event_spec_for(session),
            )
        return
    spec = event_spec_for(session)
    if invite.event_id:
        written = provider.update_event(
            calendar_id=invite.calendar_id, event_id=invite.event_id, event=spec
        )
    else:
        written = provider.create_event(
            calendar_id=invite.calendar_id, event=spec, idempotency_key=invite.idempotency_key
        )
    with transaction.atomic():
        invite.event_id = written.event_id
        invite.save(update_fields=["event_id", "updated_at"])
        if written.conference_url and session.conferencing == Session.Conferencing.VIDEO:
            Session.objects.filter(pk=session.pk).update(conference_url=written.conference_url)


def _target_from_invite(invite: SessionInvite):
    from calendars.selectors import WriteTarget

    return WriteTarget(**invite.target)


def _deliver_by_email(invite: SessionInvite, session: Session) -> None:
    cancel = session.status == Session.Status.CANCELLED
    with transaction.atomic():
        locked = SessionInvite.objects.select_for_update().get(pk=invite.pk)
        if locked.state != SessionInvite.State.PENDING:
            return
        # The first REQUEST is SEQUENCE 0; every later change is a new revision.
        if locked.pending_change != "booked" or locked.event_id:
            locked.ics_sequence += 1
        locked.event_id = locked.ics_uid
        locked.save(update_fields=["ics_sequence", "event_id", "updated_at"])
        invite.ics_sequence, invite.event_id = locked.ics_sequence, locked.event_id
        participants = list(session.participants.order_by("pk"))
        invitations = ics.invitations(
            session=session,
            event=event_spec_for(session),
            uid=locked.ics_uid,
            sequence=locked.ics_sequence,
            participants=participants,
            cancel=cancel,
            now=timezone.now(),
        )
        change = "cancelled" if cancel else locked.pending_change
        try:
            for user in participants:
                _send_ics_email(
                    session=session,
                    user=user,
                    invitation=invitations[user.pk],
                    change=change,
                    notice=locked.notice,
                )
        except MAIL_TEMPORARY as error:
            # Rolls back the SEQUENCE bump: the retry sends this same revision again (mail
            # clients match it by UID and SEQUENCE, so a second copy replaces the first).
            raise MailTemporaryError(f"{type(error).__name__}: {error}") from error
        # The notice stays: it says why this went by email.
        SessionInvite.objects.filter(pk=invite.pk).update(
            state=SessionInvite.State.CANCELLED if cancel else SessionInvite.State.SENT,
            waiting_for=SessionInvite.WaitingFor.NOBODY,
            updated_at=timezone.now(),
        )


def _send_ics_email(
    *, session: Session, user, invitation: ics.Invitation, change: str, notice: str = ""
) -> None:
    # The invitation travels twice: as the text/calendar alternative mail clients act on
    # (Accept/Decline), and as an .ics attachment for those that only offer a file. The
    # attachment is application/ics so no client takes it for a second invitation.
    email_send(
        recipient=user,
        template="scheduling/email/invite",
        context={
            "session": session,
            "change": change,
            "title": ics.session_title(session),
            "notice": notice,
            "site_url": settings.SITE_URL,
        },
        calendar=CalendarPart(invitation.method, invitation.content),
        attachments=[
            Attachment(
                "cancel.ics" if invitation.method == "CANCEL" else "invite.ics",
                invitation.content,
                "application/ics",
            )
        ],
        from_email=invitation.from_email,
        reply_to=invitation.reply_to,
    )


def reminders_send(*, now: dt.datetime | None = None, lead: dt.timedelta | None = None) -> int:
    """Email each participant of a session starting within ``lead``; once per person and start."""
    from django.db import IntegrityError

    from scheduling.models import ReminderSent

    now = now or timezone.now()
    lead = lead or dt.timedelta(hours=24)
    sent = 0
    sessions = (
        Session.objects.filter(
            status=Session.Status.SCHEDULED, start__gt=now, start__lte=now + lead
        )
        .select_related("program", "match__mentee", "match__mentor", "group")
        .prefetch_related("participants")
    )
    for session in sessions:
        for user in session.participants.all():
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(
                        session=session, user=user, session_start=session.start
                    )
                    _send_reminder(session=session, user=user)
            except IntegrityError:
                continue  # already reminded for this start time
            sent += 1
    return sent


def _send_reminder(*, session: Session, user) -> None:
    email_send(
        recipient=user,
        template="scheduling/email/reminder",
        context={
            "session": session,
            "title": ics.session_title(session),
            "site_url": settings.SITE_URL,
        },
    )
