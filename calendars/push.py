"""Push notifications from Google Calendar: channels opened, renewed and stopped, and the
messages Google sends, turned into the same incremental read a poll does.

Google's rules (https://developers.google.com/workspace/calendar/api/guides/push): a channel
watches one calendar's events, its id is ours (at most 64 characters), it carries a token
Google echoes in ``X-Goog-Channel-Token`` (our proof that a message is Google's), it expires
at the time Google grants and is never renewed (a new channel overlaps the old, which is
then stopped with its id and resourceId), there is no API to list channels (so they are
recorded, :class:`calendars.models.PushChannel`), the first message says
``X-Goog-Resource-State: sync``, messages have no body, and delivery is "not 100% reliable":
polling stays as the backstop (at a longer period when push is on).

Microsoft Graph change notifications are not built yet: Outlook people are polled.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calendars.errors import ProviderError
from calendars.models import (
    CalendarConnection,
    ConnectedCalendar,
    OrganizationIntegration,
    Provider,
    PushChannel,
)

log = logging.getLogger(__name__)

# Open the next channel this long before the current one expires (it overlaps the old one).
RENEW_BEFORE = dt.timedelta(days=1)
DIRTY_SECONDS = 300


def push_enabled() -> bool:
    return bool(settings.CALENDAR_PUSH_URL)


def _address() -> str:
    return settings.CALENDAR_PUSH_URL.rstrip("/") + reverse("calendars:push_google")


def _live(channels, now: dt.datetime):
    return channels.filter(expires_at__gt=now + RENEW_BEFORE)


def push_ensure_connection(*, connection: CalendarConnection) -> int:
    """Give each calendar the person checks for conflicts a live channel (Google only),
    opening a new one where none is live or the live one expires within RENEW_BEFORE, and
    stopping the ones it replaces. Returns how many channels it opened. Provider errors are
    logged and left to the next poll: polling still covers the calendar."""
    if not push_enabled() or connection.provider != Provider.GOOGLE:
        return 0
    from calendars.services import provider_for_connection

    now = timezone.now()
    opened = 0
    provider = None
    for cal in connection.calendars.filter(check_conflicts=True):
        if _live(cal.push_channels.all(), now).exists():
            continue
        provider = provider or provider_for_connection(connection)
        if _open(provider, user_id=connection.user_id, calendar=cal, target=cal.calendar_id):
            opened += 1
            _stop_replaced(provider, cal.push_channels.all(), now)
    # Calendars no longer checked stop being watched.
    stale = PushChannel.objects.filter(calendar__connection=connection).exclude(
        calendar__check_conflicts=True
    )
    if stale.exists():
        _stop_all(provider or provider_for_connection(connection), stale)
    return opened


def push_ensure_members(*, integration: OrganizationIntegration, user_ids=None) -> int:
    """The same for members under a Google Workspace domain-wide grant: one channel on each
    member's primary calendar, opened while impersonating them."""
    if not push_enabled() or integration.provider != Provider.GOOGLE:
        return 0
    from calendars.services import members_covered_by, provider_for_member

    now = timezone.now()
    members = members_covered_by(integration)
    if user_ids is not None:
        members = members.filter(pk__in=list(user_ids))
    live = set(
        _live(PushChannel.objects.filter(integration=integration), now).values_list(
            "user_id", flat=True
        )
    )
    opened = 0
    for member in members.exclude(pk__in=live):
        provider = provider_for_member(integration, member.email, member.time_zone)
        if _open(provider, user_id=member.pk, integration=integration, target="primary"):
            opened += 1
            _stop_replaced(
                provider, PushChannel.objects.filter(integration=integration, user=member), now
            )
    return opened


def _open(provider, *, user_id: int, target: str, calendar=None, integration=None) -> bool:
    channel_id = uuid.uuid4().hex  # 32 characters, within Google's 64
    token = secrets.token_urlsafe(32)
    try:
        resource_id, expires = provider.watch_events(
            calendar_id=target, channel_id=channel_id, address=_address(), token=token
        )
    except ProviderError as exc:
        log.info("watch failed for user %s: %s", user_id, type(exc).__name__)
        return False
    PushChannel.objects.create(
        user_id=user_id,
        calendar=calendar,
        integration=integration,
        channel_id=channel_id,
        resource_id=resource_id,
        token=token,
        expires_at=expires,
    )
    return True


def _stop_replaced(provider, channels, now: dt.datetime) -> None:
    """Stop the channels a newer one overlaps (they expire within RENEW_BEFORE)."""
    _stop_all(provider, channels.filter(expires_at__lte=now + RENEW_BEFORE))


def _stop_all(provider, channels) -> None:
    for channel in list(channels):
        try:
            provider.stop_channel(channel_id=channel.channel_id, resource_id=channel.resource_id)
        except ProviderError as exc:
            # It expires by itself; a message it still brings finds no row and is refused.
            log.info("channels.stop failed for %s: %s", channel.channel_id, type(exc).__name__)
        channel.delete()


def push_stop_connection(*, connection: CalendarConnection) -> None:
    """On disconnect: stop every channel of the account (best effort) and forget them."""
    channels = PushChannel.objects.filter(calendar__connection=connection)
    if not channels.exists():
        return
    from calendars.services import provider_for_connection

    try:
        provider = provider_for_connection(connection)
    except ProviderError:
        channels.delete()
        return
    _stop_all(provider, channels)


def push_stop_organization(*, integration: OrganizationIntegration) -> None:
    """On an organization's disconnect: stop its members' channels while the key still works."""
    channels = PushChannel.objects.filter(integration=integration).select_related("user")
    if not channels.exists():
        return
    from calendars.services import provider_for_member

    for channel in list(channels):
        try:
            provider = provider_for_member(integration, channel.user.email)
            _stop_all(provider, [channel])
        except (ProviderError, ValueError):
            channel.delete()


def google_message_receive(
    *, channel_id: str, token: str, resource_id: str, state: str, number: str
) -> int:
    """Handle one Google push message; returns the HTTP status to answer with.

    200 for a message of ours (a change marks the person's busy times dirty and enqueues the
    same incremental read a poll does, once however many messages arrive before it runs);
    404 for a channel we do not know (stopped, or never ours); 403 when the token does not
    match. Safe to call twice with the same message: its number is remembered.
    """
    if state == "sync":
        # The channel's first message only says it is set up, and it may arrive before the
        # watch answer has been recorded: nothing to check, nothing to do.
        return 200
    channel = PushChannel.objects.filter(channel_id=channel_id).first()
    if channel is None:
        return 404
    if not hmac.compare_digest(channel.token.encode(), token.encode()) or (
        channel.resource_id and channel.resource_id != resource_id
    ):
        return 403
    try:
        message = int(number)
    except ValueError:
        return 400
    with transaction.atomic():
        updated = PushChannel.objects.filter(pk=channel.pk, last_message__lt=message).update(
            last_message=message
        )
    if not updated:
        return 200  # a repeat: handled already
    push_mark_dirty(channel=channel)
    return 200


def push_mark_dirty(*, channel: PushChannel) -> None:
    """Enqueue the read of this channel's calendar unless one is already waiting to run."""
    if cache.add(f"calendars:push-dirty:{channel.pk}", 1, DIRTY_SECONDS):
        from calendars import tasks

        transaction.on_commit(lambda: tasks.push_sync.delay(channel.pk))


def push_sync(*, channel_pk: int) -> None:
    """Read what a push said changed: the connection's incremental sync, or the member's
    free/busy under the domain-wide grant."""
    cache.delete(f"calendars:push-dirty:{channel_pk}")
    channel = PushChannel.objects.filter(pk=channel_pk).first()
    if channel is None:
        return
    from calendars import services

    if channel.calendar_id:
        connection_id = (
            ConnectedCalendar.objects.filter(pk=channel.calendar_id)
            .values_list("connection_id", flat=True)
            .first()
        )
        if connection_id:
            services.sync_connection(connection_id=connection_id)
    elif channel.integration_id:
        services.sync_organization(
            integration_id=channel.integration_id, user_ids=[channel.user_id]
        )
