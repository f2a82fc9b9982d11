"""Calendar connections: who is integrated, how, and whether the connection still works.

The calendars issue extends this module (tokens, calendar choices, busy-time cache); the
foundation defines what the home page's To-Do area and the reports need to read.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from calendars.crypto import EncryptedTextField
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
    # Google: the organization's service-account key (JSON), encrypted. Microsoft: unused.
    service_account_key = EncryptedTextField(blank=True, default="")
    service_account_client_id = models.CharField(max_length=64, blank=True)
    service_account_email = models.CharField(max_length=254, blank=True)
    # Microsoft: the tenant that granted admin consent.
    tenant_id = models.CharField(max_length=64, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    members_resolved = models.PositiveIntegerField(default=0)
    # [{"email": ..., "error": ...}] from the last sync: members the provider could not read.
    members_failed = models.JSONField(default=list, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

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
    # Secrets, encrypted at rest. CalDAV keeps its app password in refresh_token.
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.TextField(blank=True)
    caldav_url = models.URLField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # When the "Action required" email went out for the current breakage (one per breakage).
    reconnect_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "provider", "account_email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider", "account_email"], name="connection_once_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_provider_display()} {self.account_email}"


class ConnectedCalendar(models.Model):
    """One calendar in a connected account, and what the person chose to do with it."""

    connection = models.ForeignKey(
        CalendarConnection, on_delete=models.CASCADE, related_name="calendars"
    )
    calendar_id = models.CharField(max_length=512)
    name = models.CharField(max_length=255)
    primary = models.BooleanField(default=False)
    can_write = models.BooleanField(default=False)
    check_conflicts = models.BooleanField(default=False)
    is_destination = models.BooleanField(default=False)
    # Incremental sync cursor (Google syncToken / Graph deltaLink); empty means full sync next.
    sync_token = models.TextField(blank=True)
    # The end of the window the cursor was anchored to. Both providers bind a cursor to the
    # range of the full listing that issued it, so when the rolling window moves on (once a
    # day) the cursor is dropped and the calendar is listed afresh over the new range.
    synced_until = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "calendar_id"], name="calendar_once_per_connection"
            ),
            # Read-only calendars can never receive sessions.
            models.CheckConstraint(
                condition=Q(is_destination=False) | Q(can_write=True),
                name="destination_is_writable",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberSync(models.Model):
    """Domain-wide integration: the last sync of one member's calendar."""

    integration = models.ForeignKey(
        OrganizationIntegration, on_delete=models.CASCADE, related_name="member_syncs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_syncs"
    )
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=255, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "user"], name="member_sync_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} via {self.integration_id}: {'ok' if self.ok else self.error}"


class BusyBlock(models.Model):
    """A cached busy period: start, end and kind only. Never a title, attendee or description.

    `event_key` is a hash of the provider's event id, kept only so incremental sync can
    replace or remove the block when that event changes.
    """

    class Kind(models.TextChoices):
        BUSY = "busy", "Busy"
        TENTATIVE = "tentative", "Tentative"
        OOF = "oof", "Out of office"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="busy_blocks"
    )
    calendar = models.ForeignKey(
        ConnectedCalendar, on_delete=models.CASCADE, null=True, blank=True, related_name="blocks"
    )
    integration = models.ForeignKey(
        OrganizationIntegration,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="blocks",
    )
    event_key = models.CharField(max_length=64, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BUSY)

    class Meta:
        indexes = [models.Index(fields=["user", "start", "end"], name="busy_user_range")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="busy_ends_after_start"),
            models.CheckConstraint(
                condition=Q(calendar__isnull=False) | Q(integration__isnull=False),
                name="busy_has_a_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class PushChannel(models.Model):
    """A Google Calendar push channel (events.watch) or a Microsoft Graph subscription on a
    mailbox's events, opened by Together (see calendars.push).

    Google offers no way to list channels, so every one is recorded here until it is stopped:
    its id and resourceId (what channels.stop needs), the token Google echoes in every message
    (X-Goog-Channel-Token; encrypted) and the expiration Google granted (read back from the
    watch answer; channels are never renewed, a new one overlaps the old). For Microsoft
    (provider "microsoft"): channel_id is the subscription id, token the clientState Graph
    echoes in every notification, expires_at the granted expirationDateTime (renewed by PATCH).
    """

    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.GOOGLE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_channels"
    )
    # An individual connection's calendar, or a member watched under the domain-wide grant.
    calendar = models.ForeignKey(
        ConnectedCalendar,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="push_channels",
    )
    integration = models.ForeignKey(
        OrganizationIntegration,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="push_channels",
    )
    channel_id = models.CharField(max_length=64, unique=True)
    resource_id = models.CharField(max_length=255, blank=True)
    token = EncryptedTextField(blank=True, default="")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    # The highest X-Goog-Message-Number handled: a message seen twice is handled once.
    last_message = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(calendar__isnull=False) | Q(integration__isnull=False),
                name="push_channel_has_a_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} channel {self.channel_id} for {self.user_id}"
