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

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calendars.errors import NeedsReconnectError, PermanentProviderError, TemporaryProviderError
from calendars.providers.base import EventSpec
from programs.mail import Attachment, email_send
from programs.models import Session
from scheduling import ics
from scheduling.models import WAITING_FOR_RECONNECT, SessionInvite

logger = logging.getLogger(__name__)


class InviteTemporaryFailure(Exception):
    """The provider asked us to come back later; the task retries with backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _write_target(user):
    # The calendars app owns which calendar new sessions go to; absent that app's selector
    # (or any write target) the invite falls back to .ics email.
    try:
        from calendars.selectors import write_target_for
    except ImportError:
        return None
    return write_target_for(user) if user is not None else None


def _provider(target):
    from calendars.services import provider_for_target

    return provider_for_target(target)


def event_spec_for(session: Session) -> EventSpec:
    participants = list(session.participants.order_by("pk"))
    booker = session.booked_by
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
    )


def invite_deliver(*, invite_id: int, final_attempt: bool = False) -> SessionInvite:
    """Make the outside world match the session; raise InviteTemporaryFailure to be retried."""
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
    _bump_attempts(invite)
    if invite.channel == SessionInvite.Channel.UNDECIDED:
        target = _write_target(session.booked_by)
        invite.channel = SessionInvite.Channel.CALENDAR if target else SessionInvite.Channel.ICS
        if target:
            invite.provider_name, invite.calendar_id = target.provider_name, target.calendar_id
            invite.target = dataclasses.asdict(target)
        invite.save(
            update_fields=["channel", "provider_name", "calendar_id", "target", "updated_at"]
        )
    try:
        if invite.channel == SessionInvite.Channel.CALENDAR:
            _deliver_by_calendar(invite, session)
        else:
            _deliver_by_email(invite, session)
    except TemporaryProviderError as error:
        if final_attempt:
            return _fail(invite, f"The calendar provider kept failing: {error}")
        _note_error(invite, str(error))
        raise InviteTemporaryFailure(str(error), error.retry_after) from error
    except NeedsReconnectError as error:
        # Journey 7: nothing is lost. The invite stays pending and is retried on reconnect.
        _note_error(invite, f"{WAITING_FOR_RECONNECT}: {error}")
        return invite
    except PermanentProviderError as error:
        return _fail(invite, str(error))
    final = (
        SessionInvite.State.CANCELLED
        if session.status == Session.Status.CANCELLED
        else SessionInvite.State.SENT
    )
    SessionInvite.objects.filter(pk=invite.pk, state=SessionInvite.State.PENDING).update(
        state=final, last_error="", updated_at=timezone.now()
    )
    invite.refresh_from_db()
    return invite


def _bump_attempts(invite: SessionInvite) -> None:
    invite.attempts += 1
    invite.save(update_fields=["attempts", "updated_at"])


def _note_error(invite: SessionInvite, message: str) -> None:
    invite.last_error = message[:2000]
    invite.save(update_fields=["last_error", "updated_at"])


def _fail(invite: SessionInvite, message: str) -> SessionInvite:
    logger.warning("invite %s failed: %s", invite.pk, message)
    invite.state = SessionInvite.State.FAILED
    invite.last_error = message[:2000]
    invite.save(update_fields=["state", "last_error", "updated_at"])
    return invite


def _deliver_by_calendar(invite: SessionInvite, session: Session) -> None:
    target = _target_from_invite(invite)
    provider = _provider(target)
    if session.status == Session.Status.CANCELLED:
        if invite.event_id:
            provider.delete_event(calendar_id=invite.calendar_id, event_id=invite.event_id)
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
        payload = ics.build_invitation(
            session=session,
            uid=locked.ics_uid,
            sequence=locked.ics_sequence,
            participants=participants,
            cancel=cancel,
            now=timezone.now(),
        )
        change = "cancelled" if cancel else locked.pending_change
        for user in participants:
            _send_ics_email(session=session, user=user, payload=payload, change=change)
        SessionInvite.objects.filter(pk=invite.pk).update(
            state=SessionInvite.State.CANCELLED if cancel else SessionInvite.State.SENT,
            last_error="",
        )


def _send_ics_email(
    *, session: Session, user, payload: bytes, change: str, notice: str = ""
) -> None:
    method = "CANCEL" if change == "cancelled" else "REQUEST"
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
        attachments=[
            Attachment(
                "invite.ics" if method == "REQUEST" else "cancel.ics",
                payload,
                f"text/calendar; charset=utf-8; method={method}",
            )
        ],
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
