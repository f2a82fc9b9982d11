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

Microsoft Graph change notifications (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks):
one subscription per mailbox on its events (``/me/events`` delegated for an individual
connection, ``/users/{id}/events`` under the organization's application permission), a
secret clientState per subscription checked on every notification, the granted
expirationDateTime read back and renewed (PATCH) a day before the 10,080-minute maximum for
Outlook events runs out (https://learn.microsoft.com/en-us/graph/api/resources/subscription),
deleted on disconnect; lifecycle notifications (reauthorizationRequired: renew;
subscriptionRemoved: a new subscription and a full read; missed: a full read,
https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events). Stored as
PushChannel rows with provider "microsoft": channel_id is the subscription id, token the
clientState.
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
    if not push_enabled():
        return 0
    if connection.provider == Provider.MICROSOFT:
        return _ms_ensure_connection(connection)
    if connection.provider != Provider.GOOGLE:
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
    if not push_enabled():
        return 0
    if integration.provider == Provider.MICROSOFT:
        return _ms_ensure_members(integration, user_ids)
    if integration.provider != Provider.GOOGLE:
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
            if channel.provider == Provider.MICROSOFT:
                provider.delete_subscription(subscription_id=channel.channel_id)
            else:
                provider.stop_channel(
                    channel_id=channel.channel_id, resource_id=channel.resource_id
                )
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


# --- Microsoft Graph ----------------------------------------------------------------------

# The longest an Outlook event subscription may live: 10,080 minutes, under 7 days
# (https://learn.microsoft.com/en-us/graph/api/resources/subscription, "Subscription
# lifetime"). We ask for a little less (clock skew) and renew RENEW_BEFORE ahead.
GRAPH_MAX_LIFETIME = dt.timedelta(minutes=10080)
GRAPH_ASK = GRAPH_MAX_LIFETIME - dt.timedelta(minutes=15)


def _ms_urls() -> tuple[str, str]:
    root = settings.CALENDAR_PUSH_URL.rstrip("/")
    return root + reverse("calendars:push_microsoft"), root + reverse(
        "calendars:push_microsoft_lifecycle"
    )


def _ms_keep(provider, channels, now: dt.datetime) -> bool:
    """Renew the mailbox's subscription if it expires soon; False when there is none left
    (never made, expired, or Graph no longer knows it)."""
    channel = channels.order_by("-expires_at").first()
    if channel is None or channel.expires_at <= now:
        return False
    if channel.expires_at > now + RENEW_BEFORE:
        return True
    try:
        expires = provider.renew_subscription(
            subscription_id=channel.channel_id, expires=now + GRAPH_ASK
        )
    except ProviderError as exc:
        log.info("subscription renewal failed for %s: %s", channel.channel_id, type(exc).__name__)
        channel.delete()  # gone or refused: a new one is made below
        return False
    PushChannel.objects.filter(pk=channel.pk).update(expires_at=expires)
    return True


def _ms_open(provider, *, user_id: int, calendar=None, integration=None) -> bool:
    client_state = secrets.token_urlsafe(48)  # Graph allows up to 128 characters
    url, lifecycle = _ms_urls()
    try:
        sub_id, expires = provider.subscribe_events(
            notification_url=url,
            lifecycle_url=lifecycle,
            client_state=client_state,
            expires=timezone.now() + GRAPH_ASK,
        )
    except ProviderError as exc:
        log.info("subscription failed for user %s: %s", user_id, type(exc).__name__)
        return False
    PushChannel.objects.create(
        provider=Provider.MICROSOFT,
        user_id=user_id,
        calendar=calendar,
        integration=integration,
        channel_id=sub_id,
        resource_id="",
        token=client_state,
        expires_at=expires,
    )
    return True


def _ms_ensure_connection(connection: CalendarConnection) -> int:
    """One subscription on the person's mailbox, recorded against its first checked
    calendar (a notification reads the whole connection)."""
    from calendars.services import provider_for_connection

    now = timezone.now()
    channels = PushChannel.objects.filter(calendar__connection=connection)
    cal = connection.calendars.filter(check_conflicts=True).order_by("pk").first()
    provider = provider_for_connection(connection)
    if cal is None:
        if channels.exists():
            _stop_all(provider, channels)
        return 0
    if _ms_keep(provider, channels, now):
        return 0
    channels.filter(expires_at__lte=now).delete()
    return int(_ms_open(provider, user_id=connection.user_id, calendar=cal))


def _ms_ensure_members(integration: OrganizationIntegration, user_ids) -> int:
    from calendars.services import members_covered_by, provider_for_member

    now = timezone.now()
    members = members_covered_by(integration)
    if user_ids is not None:
        members = members.filter(pk__in=list(user_ids))
    opened = 0
    for member in members:
        provider = provider_for_member(integration, member.email, member.time_zone)
        channels = PushChannel.objects.filter(integration=integration, user=member)
        if _ms_keep(provider, channels, now):
            continue
        channels.filter(expires_at__lte=now).delete()
        opened += _ms_open(provider, user_id=member.pk, integration=integration)
    return opened


def _ms_channel(subscription_id: str, client_state: str) -> tuple[int, PushChannel | None]:
    channel = PushChannel.objects.filter(
        provider=Provider.MICROSOFT, channel_id=subscription_id
    ).first()
    if channel is None:
        return 404, None
    # Constant time: the clientState is the only proof the message is Graph's.
    if not hmac.compare_digest(channel.token.encode(), (client_state or "").encode()):
        return 403, None
    return 202, channel


def microsoft_notifications_receive(*, items: list) -> int:
    """Graph change notifications: each names its subscription and clientState. Those of
    ours mark the person dirty and enqueue the read (once however many arrive); the answer
    is 202 when any was ours, else 403 (a wrong clientState) or 404 (not ours), with nothing
    done. Repeats are harmless: a read already waiting absorbs them."""
    worst = 404
    accepted = False
    for item in items:
        if not isinstance(item, dict):
            continue
        status, channel = _ms_channel(
            str(item.get("subscriptionId") or ""), str(item.get("clientState") or "")
        )
        if channel is None:
            worst = 403 if status == 403 else worst
            continue
        accepted = True
        push_mark_dirty(channel=channel)
    return 202 if accepted else worst


def microsoft_lifecycle_receive(*, items: list) -> int:
    """Lifecycle notifications, checked as change notifications are; the work (renew,
    resubscribe, full read) goes to Celery."""
    worst = 404
    accepted = False
    for item in items:
        if not isinstance(item, dict):
            continue
        event = str(item.get("lifecycleEvent") or "")
        if event not in {"reauthorizationRequired", "subscriptionRemoved", "missed"}:
            continue
        status, channel = _ms_channel(
            str(item.get("subscriptionId") or ""), str(item.get("clientState") or "")
        )
        if channel is None:
            worst = 403 if status == 403 else worst
            continue
        accepted = True
        from calendars import tasks

        pk = channel.pk
        transaction.on_commit(lambda pk=pk, event=event: tasks.push_lifecycle.delay(pk, event))
    return 202 if accepted else worst


def push_lifecycle(*, channel_pk: int, event: str) -> None:
    """reauthorizationRequired: renew now (PATCH reauthorizes it,
    https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events);
    subscriptionRemoved: make a new one and read everything; missed: read everything."""
    channel = PushChannel.objects.filter(pk=channel_pk).first()
    if channel is None:
        return
    from calendars import services

    if event == "reauthorizationRequired":
        provider = _ms_provider(channel)
        try:
            expires = provider.renew_subscription(
                subscription_id=channel.channel_id, expires=timezone.now() + GRAPH_ASK
            )
        except ProviderError as exc:
            log.info("reauthorization failed for %s: %s", channel.channel_id, type(exc).__name__)
            event = "subscriptionRemoved"
        else:
            PushChannel.objects.filter(pk=channel.pk).update(expires_at=expires)
            return
    if event == "subscriptionRemoved":
        channel.delete()
    _full_read(channel, services)


def _ms_provider(channel: PushChannel):
    from calendars import services

    if channel.calendar_id:
        return services.provider_for_connection(channel.calendar.connection)
    return services.provider_for_member(channel.integration, channel.user.email)


def _full_read(channel: PushChannel, services) -> None:
    """Forget the incremental cursor and read the whole window (the sync also makes a new
    subscription where none is left)."""
    if channel.calendar_id:
        connection_id = (
            ConnectedCalendar.objects.filter(pk=channel.calendar_id)
            .values_list("connection_id", flat=True)
            .first()
        )
        if connection_id:
            ConnectedCalendar.objects.filter(connection_id=connection_id).update(sync_token="")
            services.sync_connection(connection_id=connection_id)
    elif channel.integration_id:
        services.sync_organization(
            integration_id=channel.integration_id, user_ids=[channel.user_id]
        )
