"""Calendar connections: who is integrated, how, and whether the connection still works.

The calendars issue extends this module (tokens, calendar choices, busy-time cache); the
foundation defines what the home page's To-Do area and the reports need to read.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from programs.models import Organization


class Provider(models.TextChoices):
    GOOGLE = "google", "Google"
    MICROSOFT = "microsoft", "Microsoft"
    CALDAV = "caldav", "CalDAV"


class OrganizationIntegration(models.Model):
    """Domain-wide consent: an organization's IT connected every member at once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for verification"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"
        DISCONNECTED = "disconnected", "Disconnected"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="integrations"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status__in=["pending", "active"]),
                name="one_live_integration_per_org",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.organization} via {self.get_provider_display()} ({self.get_status_display()})"
        )


class CalendarConnection(models.Model):
    """One person's connected calendar account (individual integration)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_connections"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    account_email = models.EmailField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    needs_reconnect_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "provider", "account_email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider", "account_email"], name="connection_once_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_provider_display()} {self.account_email}"
