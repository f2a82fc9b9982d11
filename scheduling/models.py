"""Booking bookkeeping that belongs to scheduling, not to the session itself.

A Session says *what* was agreed; these rows say how the invitation for it travelled
(calendar event or .ics email), and which reminders already went out.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from programs.models import Session

# How long after an invite last changed a page keeps asking for its state. Delivery normally
# takes a second or two; past this the provider is retrying with backoff (minutes), and every
# open page asking every 2 s would cost more than it tells.
POLL_WINDOW = dt.timedelta(seconds=30)


def _new_key() -> str:
    # Hex is a subset of Google's base32hex event-id alphabet and fits Graph's transactionId,
    # so the same key can be the client-supplied id at either provider.
    return "tg" + uuid.uuid4().hex


class SessionInvite(models.Model):
    """How one session's invitation is delivered, and whether that has happened yet.

    One row per session. ``channel`` is decided when the invite is first delivered: the booker's
    destination calendar if they have one, otherwise an .ics email to every participant.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class WaitingFor(models.TextChoices):
        """Who must act before a pending invite can go out; scheduling.services.invites_resume
        re-queues it once they have (a reconnect, or the organization's grant working again)."""

        NOBODY = "", "Nobody"
        BOOKER = "booker", "The booker reconnecting their calendar"
        ORGANIZATION = "organization", "The organization fixing its calendar integration"

    class Channel(models.TextChoices):
        UNDECIDED = "", "Not yet decided"
        CALENDAR = "calendar", "Calendar event"
        ICS = "ics", "Email with .ics"

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="invite")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    channel = models.CharField(
        max_length=16, choices=Channel.choices, default=Channel.UNDECIDED, blank=True
    )
    provider_name = models.CharField(max_length=16, blank=True)
    calendar_id = models.CharField(max_length=300, blank=True)
    # The booker's write target when the invite was first written; updates and the delete go
    # to the same calendar even if the booker later picks another destination.
    target = models.JSONField(default=dict, blank=True)
    # The client-supplied id (Google) / transactionId (Microsoft): a retried write reuses it.
    idempotency_key = models.CharField(max_length=64, default=_new_key, unique=True)
    event_id = models.CharField(max_length=300, blank=True)
    # RFC 5545 SEQUENCE of the .ics invitation; bumped on every change that is re-sent.
    ics_sequence = models.PositiveIntegerField(default=0)
    # What the participants last heard: "booked", "rescheduled" or "cancelled".
    pending_change = models.CharField(max_length=16, default="booked")
    attempts = models.PositiveIntegerField(default=0)
    waiting_for = models.CharField(
        max_length=16, choices=WaitingFor.choices, default=WaitingFor.NOBODY, blank=True
    )
    # What the people of the session read about this invite when something went wrong or
    # changed course: a sentence saying what happened and what they can do. Never a raw
    # exception: that goes to ``last_error``, for operators (admin, logs) only.
    notice = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invite for session {self.session_id}: {self.get_state_display()}"

    @property
    def waiting_for_reconnect(self) -> bool:
        """Pending only until someone reconnects a calendar (the booker, or the organization's
        IT): nothing will change sooner."""
        return self.state == self.State.PENDING and bool(self.waiting_for)

    @property
    def delivered(self) -> bool:
        return self.state in (self.State.SENT, self.State.CANCELLED)

    @property
    def worth_polling(self) -> bool:
        """Pending and likely to change within seconds: it changed (booked, rescheduled,
        cancelled, retried, or a delivery attempt) less than POLL_WINDOW ago, and is not
        waiting for a reconnect."""
        return (
            self.state == self.State.PENDING
            and not self.waiting_for_reconnect
            and timezone.now() - self.updated_at < POLL_WINDOW
        )

    @property
    def ics_uid(self) -> str:
        """Stable iCalendar UID: the same for the request, every update and the cancel."""
        return f"{self.idempotency_key}@together"


class ReminderSent(models.Model):
    """A reminder email that went out; the unique row makes a second run a no-op."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_start = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user", "session_start"], name="reminder_once_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder to {self.user_id} for session {self.session_id}"
