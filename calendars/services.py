"""Writes for calendar integrations: connect, choose calendars, sync, break, reconnect, disconnect.

Every function here is keyword-only and typed. Provider calls happen outside database
transactions (a slow provider must never hold row locks); the writes that follow are atomic.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.mail import mail_admins
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calendars import busy, hooks
from calendars.errors import (
    ApplicationCredentialsError,
    CalendarRefused,
    NeedsReconnectError,
    PermanentProviderError,
    ProviderError,
    SyncTokenExpiredError,
    TemporaryProviderError,
)
from calendars.models import (
    BusyBlock,
    CalendarConnection,
    ConnectedCalendar,
    MemberSync,
    OrganizationIntegration,
    Provider,
)
from calendars.providers.base import BusyInterval, CalendarProvider
from programs.busy_versions import bump_busy_versions
from programs.mail import email_send
from programs.models import Organization, User

log = logging.getLogger(__name__)

SYNC_LOCK_SECONDS = 120


class ConnectionLimitReached(Exception):
    pass


# --- Provider instances ---------------------------------------------------------------


def provider_for_connection(connection: CalendarConnection) -> CalendarProvider:
    """A provider acting for one person's connected account; refreshed tokens are saved."""
    tz = connection.user.time_zone
    if connection.provider == Provider.GOOGLE:
        from calendars.providers import google

        creds = google.user_credentials_for(
            access_token=connection.access_token,
            refresh_token=connection.refresh_token,
            expires_at=connection.token_expires_at,
        )

        def save(c) -> None:
            connection_save_tokens(
                connection=connection,
                access_token=c.token,
                refresh_token=c.refresh_token or connection.refresh_token,
                expires_at=c.expiry.replace(tzinfo=dt.UTC) if c.expiry else None,
            )

        return google.GoogleProvider(creds, time_zone=tz, on_refresh=save)
    if connection.provider == Provider.MICROSOFT:
        from calendars.providers import microsoft

        def token() -> str:
            fresh = (
                connection.token_expires_at
                and connection.token_expires_at > timezone.now() + dt.timedelta(minutes=2)
            )
            if fresh and connection.access_token:
                return connection.access_token
            result = microsoft.msal_app().acquire_token_by_refresh_token(
                connection.refresh_token, scopes=microsoft.DELEGATED_SCOPES
            )
            if "access_token" not in result:
                raise microsoft.token_error(result)
            # Microsoft rotates refresh tokens: save the new one every time.
            connection_save_tokens(
                connection=connection,
                access_token=result["access_token"],
                refresh_token=result.get("refresh_token") or connection.refresh_token,
                expires_at=timezone.now()
                + dt.timedelta(seconds=int(result.get("expires_in", 3600))),
            )
            return result["access_token"]

        return microsoft.MicrosoftProvider(token_getter=token, time_zone=tz)
    from calendars.providers.caldav_provider import CalDAVProvider

    return CalDAVProvider(
        url=connection.caldav_url,
        username=connection.account_email,
        password=connection.refresh_token,
        time_zone=tz,
        timeout=settings.CALENDAR_HTTP_TIMEOUT,
    )


def provider_for_member(
    integration: OrganizationIntegration, member_email: str, time_zone: str = "UTC"
):
    """A provider acting for one member under the organization's domain-wide grant."""
    if integration.provider == Provider.GOOGLE:
        import json

        from calendars.providers import google

        creds = google.service_account_credentials(
            json.loads(integration.service_account_key), subject=member_email
        )
        return google.GoogleProvider(creds, time_zone=time_zone)
    from calendars.providers import microsoft

    def token() -> str:
        result = microsoft.msal_app(integration.tenant_id).acquire_token_for_client(
            scopes=microsoft.APP_SCOPES
        )
        if "access_token" not in result:
            raise microsoft.token_error(result)
        return result["access_token"]

    return microsoft.MicrosoftProvider(token_getter=token, user=member_email, time_zone=time_zone)


def provider_for_target(target) -> CalendarProvider:
    """The provider that writes into a WriteTarget (see calendars.selectors.write_target_for)."""
    # A target outlives what it writes through: a disconnected account or organization must
    # be one of our errors, never a missing row or an empty key failing to parse.
    if target.connection_id:
        connection = (
            CalendarConnection.objects.select_related("user")
            .filter(pk=target.connection_id)
            .first()
        )
        if connection is None:
            raise PermanentProviderError("The calendar account was disconnected.")
        if connection.status != CalendarConnection.Status.ACTIVE:
            raise NeedsReconnectError("The calendar account needs reconnecting.")
        return provider_for_connection(connection)
    integration = OrganizationIntegration.objects.filter(pk=target.integration_id).first()
    if integration is None or integration.status in (
        OrganizationIntegration.Status.DISCONNECTED,
        OrganizationIntegration.Status.PENDING,
    ):
        raise PermanentProviderError("The organization's integration was disconnected.")
    if integration.status == OrganizationIntegration.Status.FAILED:
        raise NeedsReconnectError("The organization's integration stopped working.")
    return provider_for_member(integration, target.account_email, target.time_zone)


def target_mark_needs_reconnect(*, target, reason: str) -> bool:
    """A write through ``target`` was refused for want of a working grant: mark what it wrote
    through as broken, which asks the person (To-Do and "Action required" email) or their
    organization's IT admin (To-Do and email) to reconnect it. False when there is nothing
    left to mark (it was disconnected meanwhile): then nobody will fix it."""
    if target.connection_id:
        connection = CalendarConnection.objects.filter(pk=target.connection_id).first()
        if connection is None:
            return False
        connection_mark_needs_reconnect(connection=connection, reason=reason)
        return True
    integration = (
        OrganizationIntegration.objects.select_related("consented_by")
        .filter(pk=target.integration_id)
        .first()
    )
    if integration is None or integration.status not in (
        OrganizationIntegration.Status.ACTIVE,
        OrganizationIntegration.Status.FAILED,
    ):
        return False
    organization_integration_mark_failed(integration=integration, reason=reason)
    return True


# --- Individual connections -----------------------------------------------------------


@transaction.atomic
def connection_save_tokens(
    *,
    connection: CalendarConnection,
    access_token: str,
    refresh_token: str,
    expires_at: dt.datetime | None,
) -> None:
    connection.access_token = access_token or ""
    connection.refresh_token = refresh_token or ""
    connection.token_expires_at = expires_at
    if connection.pk:
        connection.save(update_fields=["access_token", "refresh_token", "token_expires_at"])


@dataclass(frozen=True)
class GrantedAccount:
    """What an OAuth callback (or a CalDAV sign-in) established, before anything is stored."""

    provider: str
    account_email: str
    access_token: str
    refresh_token: str
    expires_at: dt.datetime | None
    scopes: str
    caldav_url: str = ""


def connection_upsert(*, user: User, grant: GrantedAccount) -> CalendarConnection:
    """Store a (re)connected account, then read its calendars and set default choices.

    A reconnect of the same account reuses the row, clears needs-reconnect (so the To-Do item
    goes away and a later breakage emails again) and keeps the person's calendar choices.
    """
    with transaction.atomic():
        existing = (
            CalendarConnection.objects.select_for_update()
            .filter(user=user, provider=grant.provider, account_email__iexact=grant.account_email)
            .first()
        )
        if existing is None:
            count = CalendarConnection.objects.filter(user=user).count()
            if count >= settings.CALENDAR_ACCOUNTS_PER_USER:
                raise ConnectionLimitReached(
                    f"You can connect up to {settings.CALENDAR_ACCOUNTS_PER_USER} calendar accounts."
                )
            existing = CalendarConnection(
                user=user, provider=grant.provider, account_email=grant.account_email.lower()
            )
        existing.access_token = grant.access_token
        existing.refresh_token = grant.refresh_token or existing.refresh_token
        existing.token_expires_at = grant.expires_at
        existing.scopes = grant.scopes
        existing.caldav_url = grant.caldav_url
        existing.status = CalendarConnection.Status.ACTIVE
        existing.needs_reconnect_since = None
        existing.reconnect_emailed_at = None
        existing.last_error = ""
        existing.save()
        bump_busy_versions([user.pk])
        # Journey 7: invite writes that waited for this reconnect go out now. Always, not only
        # when the connection had been marked broken: a write can be refused by a token the
        # connection has not been marked for yet, and resuming is harmless when nothing waits.
        transaction.on_commit(lambda: hooks.write_access_restored([user.pk]))
    connection_refresh_calendars(connection=existing)
    sync_enqueue_connection(connection_id=existing.pk)
    return existing


def connection_refresh_calendars(*, connection: CalendarConnection) -> list[ConnectedCalendar]:
    """Re-read the account's calendars; new ones are off, vanished ones dropped.

    The first time, the primary calendar is checked for conflicts and, when the person has no
    destination yet, becomes where sessions are added.
    """
    try:
        found = provider_for_connection(connection).list_calendars()
    except NeedsReconnectError as exc:
        connection_mark_needs_reconnect(connection=connection, reason=str(exc))
        raise
    with transaction.atomic():
        first_time = not connection.calendars.exists()
        has_destination = ConnectedCalendar.objects.filter(
            connection__user=connection.user, is_destination=True
        ).exists()
        seen = []
        for info in found:
            cal, created = ConnectedCalendar.objects.update_or_create(
                connection=connection,
                calendar_id=info.calendar_id,
                defaults={"name": info.name, "primary": info.primary, "can_write": info.can_write},
            )
            seen.append(cal.pk)
            if created and first_time and info.primary:
                cal.check_conflicts = True
                if info.can_write and not has_destination:
                    cal.is_destination = True
                    has_destination = True
                cal.save(update_fields=["check_conflicts", "is_destination"])
            elif not info.can_write and cal.is_destination:
                cal.is_destination = False
                cal.save(update_fields=["is_destination"])
        connection.calendars.exclude(pk__in=seen).delete()
    return list(connection.calendars.all())


@transaction.atomic
def calendar_choices_update(
    *, user: User, check_ids: Iterable[int], destination_id: int | None
) -> None:
    """Set which calendars are checked for conflicts and the one destination.

    Only the person's own calendars count; a read-only calendar is refused as destination.
    """
    mine = ConnectedCalendar.objects.select_for_update().filter(connection__user=user)
    check_ids = {int(i) for i in check_ids}
    if destination_id is not None:
        target = mine.filter(pk=destination_id).first()
        if target is None or not target.can_write:
            raise CalendarRefused("Sessions can only be added to a calendar you can write to.")
    mine.update(check_conflicts=False, is_destination=False)
    mine.filter(pk__in=check_ids).update(check_conflicts=True)
    if destination_id is not None:
        mine.filter(pk=destination_id).update(is_destination=True)
    # Unchecked calendars must stop blocking time at once.
    BusyBlock.objects.filter(
        user=user, calendar__isnull=False, calendar__check_conflicts=False
    ).delete()
    ConnectedCalendar.objects.filter(connection__user=user, check_conflicts=True).update(
        sync_token="", last_synced_at=None
    )
    bump_busy_versions([user.pk])
    transaction.on_commit(
        lambda: [
            sync_enqueue_connection(connection_id=c.pk) for c in user.calendar_connections.all()
        ]
    )


def connection_disconnect(*, connection: CalendarConnection) -> None:
    """Revoke at the provider where possible, then delete tokens, choices and busy data."""
    from calendars import push

    # Before revoking: stopping a channel needs the grant.
    push.push_stop_connection(connection=connection)
    try:
        provider_for_connection(connection).revoke()
    except ProviderError as exc:
        # The person asked to leave: a provider that cannot be reached must not stop that.
        log.info("revoke failed for connection %s: %s", connection.pk, type(exc).__name__)
    with transaction.atomic():
        BusyBlock.objects.filter(calendar__connection=connection).delete()
        bump_busy_versions([connection.user_id])
        connection.delete()


@transaction.atomic
def connection_mark_needs_reconnect(*, connection: CalendarConnection, reason: str) -> None:
    """Mark broken; the first time per breakage, email "Action required" (never once per sync)."""
    conn = (
        CalendarConnection.objects.select_for_update().select_related("user").get(pk=connection.pk)
    )
    if conn.status != CalendarConnection.Status.NEEDS_RECONNECT:
        conn.status = CalendarConnection.Status.NEEDS_RECONNECT
        conn.needs_reconnect_since = timezone.now()
    conn.last_error = reason[:500]
    send = conn.reconnect_emailed_at is None
    if send:
        conn.reconnect_emailed_at = timezone.now()
    conn.save(
        update_fields=["status", "needs_reconnect_since", "last_error", "reconnect_emailed_at"]
    )
    bump_busy_versions([conn.user_id])
    connection.status = conn.status
    if send:
        transaction.on_commit(lambda: _send_action_required(conn))


def _send_action_required(connection: CalendarConnection) -> None:
    context = {
        "connection": connection,
        "url": settings.SITE_URL + reverse("calendars:my_calendar"),
    }
    email_send(
        recipient=connection.user, template="calendars/email/action_required", context=context
    )


# --- Application credentials ----------------------------------------------------------

APP_CREDENTIALS_ALERT_SECONDS = 24 * 3600


def application_credentials_alert(*, provider: str, reason: str) -> bool:
    """Tell the site's operators (settings.ADMINS) that a provider refused Together's own
    application credentials: once a day per provider, however many syncs meet it. Nobody's
    connection or organization is touched (see ApplicationCredentialsError). True when this
    call sent the alert."""
    log.error("calendar provider %s refused the application's credentials: %s", provider, reason)
    if not cache.add(
        f"calendars:app-credentials-alert:{provider}", 1, APP_CREDENTIALS_ALERT_SECONDS
    ):
        return False
    label = Provider(provider).label if provider in Provider.values else provider
    mail_admins(
        f"{label} refused Together's application credentials",
        f"{label} refused the client id or secret Together signs in with ({reason}).\n\n"
        "Every calendar sync and invite through it waits and retries; no user was asked to "
        "reconnect. Renew the secret in the provider's console and update the site's "
        "settings.",
    )
    return True


# --- Sync -----------------------------------------------------------------------------


def sync_window() -> tuple[dt.datetime, dt.datetime]:
    """The range every sync reads: whole UTC days, rolled forward once a day.

    It starts CALENDAR_SYNC_DAYS_BEHIND days before today and ends two days past
    CALENDAR_SYNC_DAYS_AHEAD, which is also how far ahead anyone can book
    (:func:`booking_horizon`): one setting, so no bookable time lies beyond what was read.
    Two days, not one: a window read at 23:59 on day D must still cover ``now + horizon``
    all through day D + 1, until that day's first read moves it (a read ending one day past
    left the horizon's last hours unread, and shown free, from midnight to that read).
    """
    today = timezone.now().astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        today - dt.timedelta(days=settings.CALENDAR_SYNC_DAYS_BEHIND),
        today + dt.timedelta(days=settings.CALENDAR_SYNC_DAYS_AHEAD + 2),
    )


def booking_horizon() -> dt.timedelta:
    """How far ahead a slot may be booked: the synced range's own setting (see sync_window)."""
    return dt.timedelta(days=settings.CALENDAR_SYNC_DAYS_AHEAD)


def sync_connection(*, connection_id: int) -> None:
    """Refresh one person's busy cache from one connected account.

    Incremental where the provider allows (Google syncToken, Graph delta); a refused cursor
    means a full resync. NeedsReconnectError marks the connection; TemporaryProviderError
    propagates so the Celery task can retry later. Safe to run twice.
    """
    connection = CalendarConnection.objects.select_related("user").filter(pk=connection_id).first()
    if connection is None or connection.status != CalendarConnection.Status.ACTIVE:
        return
    start, end = sync_window()
    provider = provider_for_connection(connection)
    try:
        for cal in connection.calendars.filter(check_conflicts=True):
            if hasattr(provider, "sync_events"):
                _sync_calendar_incremental(provider, connection, cal, start, end)
            else:
                intervals = provider.free_busy([cal.calendar_id], start, end).get(
                    cal.calendar_id, []
                )
                _replace_blocks(user=connection.user, calendar=cal, intervals=intervals)
    except ApplicationCredentialsError as exc:
        # Our own client secret, not this person's grant: their connection stays as it is.
        application_credentials_alert(provider=connection.provider, reason=str(exc))
        return
    except NeedsReconnectError as exc:
        connection_mark_needs_reconnect(connection=connection, reason=str(exc))
        return
    except PermanentProviderError as exc:
        CalendarConnection.objects.filter(pk=connection.pk).update(last_error=str(exc)[:500])
        return
    CalendarConnection.objects.filter(pk=connection.pk).update(
        last_synced_at=timezone.now(), last_error=""
    )
    # Each poll also keeps the push channels open and renewed (calendars.push).
    from calendars import push

    push.push_ensure_connection(connection=connection)


def _sync_calendar_incremental(provider, connection, cal, start, end) -> None:
    # A cursor only reports changes inside the range it was issued for: once the window has
    # rolled on, list the calendar afresh (re-anchor) instead of never reading the new days.
    token = cal.sync_token if cal.synced_until == end else ""
    args = {"calendar_id": cal.calendar_id, "start": start, "end": end, "primary": cal.primary}
    try:
        result = provider.sync_events(**args, sync_token=token)
    except SyncTokenExpiredError:
        result = provider.sync_events(**args, sync_token="")
    with transaction.atomic():
        if result.full:
            BusyBlock.objects.filter(calendar=cal).delete()
        else:
            keys = [c.event_key for c in result.changes]
            BusyBlock.objects.filter(calendar=cal, event_key__in=keys).delete()
            for prefix in {
                busy.series_prefix(c.event_key) for c in result.changes if c.whole_series
            }:
                BusyBlock.objects.filter(calendar=cal, event_key__startswith=prefix).delete()
        BusyBlock.objects.bulk_create(
            [
                BusyBlock(
                    user=connection.user,
                    calendar=cal,
                    event_key=change.event_key,
                    start=b.start,
                    end=b.end,
                    kind=b.kind,
                )
                for change in result.changes
                for b in (change.blocks or [])
            ]
        )
        cal.sync_token = result.next_token
        cal.synced_until = end
        cal.last_synced_at = timezone.now()
        cal.save(update_fields=["sync_token", "synced_until", "last_synced_at"])
        bump_busy_versions([connection.user_id])


@transaction.atomic
def _replace_blocks(
    *, user: User, calendar: ConnectedCalendar, intervals: list[BusyInterval]
) -> None:
    BusyBlock.objects.filter(calendar=calendar).delete()
    BusyBlock.objects.bulk_create(
        [
            BusyBlock(user=user, calendar=calendar, start=i.start, end=i.end, kind=i.kind)
            for i in intervals
        ]
    )
    calendar.last_synced_at = timezone.now()
    calendar.save(update_fields=["last_synced_at"])
    bump_busy_versions([user.pk])


@dataclass
class SyncSummary:
    members: int = 0
    resolved: int = 0
    failed: int = 0
    busy_blocks: int = 0


def sync_organization(
    *, integration_id: int, user_ids: list[int] | None = None, progress=None
) -> SyncSummary:
    """Refresh the busy cache of an organization's members under its domain-wide grant.

    Members are read in batches at the API's floor (Google freeBusy 50, Graph getSchedule 20).
    Members the provider cannot read are recorded as failed with the reason; a withdrawn
    grant (NeedsReconnectError on the whole request) marks the integration failed.
    """
    integration = OrganizationIntegration.objects.select_related("organization").get(
        pk=integration_id
    )
    summary = SyncSummary()
    if integration.status != OrganizationIntegration.Status.ACTIVE:
        return summary
    members = members_covered_by(integration)
    if user_ids is not None:
        # An on-demand sync of a few people reads those few, not the whole organization.
        members = members.filter(pk__in=list(user_ids))
    members = list(members)
    summary.members = len(members)
    start, end = sync_window()
    by_email = {m.email.lower(): m for m in members}
    emails = list(by_email)
    # The request acts as one member (Google impersonates; Graph reads any mailbox).
    actor = (
        integration.consented_by.email
        if integration.consented_by
        else (emails[0] if emails else "")
    )
    chunk = 500
    failed: list[dict] = []
    resolved_emails: set[str] = set()
    # One provider (one token) for the whole run; freeBusy/getSchedule batch inside it.
    provider = provider_for_member(integration, actor)
    for i in range(0, len(emails), chunk):
        part = emails[i : i + chunk]
        try:
            found = provider.free_busy(part, start, end)
        except ApplicationCredentialsError as exc:
            # Together's own secret was refused, not the organization's grant.
            application_credentials_alert(provider=integration.provider, reason=str(exc))
            return summary
        except NeedsReconnectError as exc:
            organization_integration_mark_failed(integration=integration, reason=str(exc))
            return summary
        now = timezone.now()
        with transaction.atomic():
            found_lower = {k.lower(): v for k, v in found.items()}
            ok_users = [by_email[e] for e in part if e in found_lower]
            resolved_emails.update(u.email.lower() for u in ok_users)
            BusyBlock.objects.filter(
                integration=integration, user__in=[by_email[e] for e in part]
            ).delete()
            blocks = [
                BusyBlock(
                    user=by_email[e], integration=integration, start=b.start, end=b.end, kind=b.kind
                )
                for e in part
                if e in found_lower
                for b in found_lower[e]
            ]
            BusyBlock.objects.bulk_create(blocks, batch_size=2000)
            summary.busy_blocks += len(blocks)
            errors = {k.lower(): v for k, v in getattr(provider, "last_errors", {}).items()}
            rows = []
            for e in part:
                ok = e in found_lower
                if not ok:
                    failed.append({"email": e, "error": errors.get(e, "not found")[:100]})
                rows.append(
                    MemberSync(
                        integration=integration,
                        user=by_email[e],
                        ok=ok,
                        error="" if ok else errors.get(e, "not found")[:255],
                        last_synced_at=now,
                    )
                )
            MemberSync.objects.filter(
                integration=integration, user__in=[by_email[e] for e in part]
            ).delete()
            MemberSync.objects.bulk_create(rows, batch_size=2000)
            bump_busy_versions(by_email[e].pk for e in part)
            summary.resolved += len(ok_users)
        if progress:
            progress(len(part))
    summary.failed = len(failed)
    from calendars import push

    push.push_ensure_members(
        integration=integration, user_ids=[by_email[e].pk for e in emails if e in resolved_emails]
    )
    if user_ids is None:
        OrganizationIntegration.objects.filter(pk=integration.pk).update(
            last_synced_at=timezone.now(),
            members_resolved=summary.resolved,
            members_failed=failed[:500],
            last_error="",
        )
    return summary


def members_covered_by(integration: OrganizationIntegration):
    """Members whose email is in one of the organization's domains."""
    domains = list(integration.organization.domains.values_list("domain", flat=True))
    qs = User.objects.filter(organization=integration.organization, is_active=True)
    from django.db.models import Q

    cond = Q()
    for d in domains:
        cond |= Q(email__iendswith="@" + d)
    return qs.filter(cond).order_by("pk") if domains else qs.none()


def sync_enqueue_connection(*, connection_id: int) -> None:
    from calendars import tasks

    transaction.on_commit(lambda: tasks.sync_connection.delay(connection_id))


def request_sync_if_stale(users: Iterable[User]) -> None:
    """Ask for an on-demand sync of anyone whose cached busy times are stale.

    Called by booking pages. Never calls a provider itself: it enqueues Celery tasks. A cache
    lock per connection / organization (add() is atomic in Redis and locmem) means many pages
    asking at once enqueue one sync, not a stampede.
    """
    from calendars import selectors, tasks

    users = list(users)
    stale = selectors.stale_sources(users)
    for connection_id in stale.connection_ids:
        if cache.add(f"calendars:sync-lock:conn:{connection_id}", 1, SYNC_LOCK_SECONDS):
            transaction.on_commit(lambda cid=connection_id: tasks.sync_connection.delay(cid))
    for integration_id, user_ids in stale.integration_members.items():
        fresh = [
            u
            for u in user_ids
            if cache.add(f"calendars:sync-lock:member:{u}", 1, SYNC_LOCK_SECONDS)
        ]
        if fresh:
            transaction.on_commit(
                lambda iid=integration_id, ids=fresh: tasks.sync_organization_members.delay(
                    iid, ids
                )
            )


def sync_everyone(*, organization: Organization | None = None, progress=None) -> dict:
    """Synchronously sync every active connection and integration (the management command)."""
    conns = CalendarConnection.objects.filter(status=CalendarConnection.Status.ACTIVE)
    ints = OrganizationIntegration.objects.filter(status=OrganizationIntegration.Status.ACTIVE)
    if organization is not None:
        conns = conns.filter(user__organization=organization)
        ints = ints.filter(organization=organization)
    result = {"connections": 0, "connections_failed": 0, "members": 0, "members_failed": 0}
    for connection_id in conns.values_list("pk", flat=True):
        try:
            sync_connection(connection_id=connection_id)
            ok = CalendarConnection.objects.filter(
                pk=connection_id, status="active", last_error=""
            ).exists()
        except TemporaryProviderError:
            ok = False
        result["connections"] += 1
        result["connections_failed"] += 0 if ok else 1
        if progress:
            progress(1)
    for integration in ints:
        summary = sync_organization(integration_id=integration.pk, progress=progress)
        result["members"] += summary.members
        result["members_failed"] += summary.failed
    return result


# --- Domain-wide integrations ----------------------------------------------------------


def organization_google_start(
    *, organization: Organization, admin: User, key_json: str
) -> OrganizationIntegration:
    """Store the organization's service-account key (encrypted), pending verification.

    CalendarInputInvalid (with a message for the admin) when the key does not parse,
    CalendarRefused when the organization is connected already; nothing is stored.
    """
    from calendars.providers import google

    info = google.parse_service_account_key(key_json)
    with transaction.atomic():
        OrganizationIntegration.objects.filter(
            organization=organization, status=OrganizationIntegration.Status.PENDING
        ).delete()
        if OrganizationIntegration.objects.filter(
            organization=organization, status=OrganizationIntegration.Status.ACTIVE
        ).exists():
            raise CalendarRefused("Your organization is already connected. Disconnect it first.")
        return OrganizationIntegration.objects.create(
            organization=organization,
            provider=Provider.GOOGLE,
            status=OrganizationIntegration.Status.PENDING,
            service_account_key=key_json,
            service_account_client_id=str(info["client_id"]),
            service_account_email=info["client_email"],
            consented_by=admin,
        )


def organization_google_verify(*, integration: OrganizationIntegration, member: User) -> bool:
    """Impersonate a member; activate on success. False (with last_error) when delegation is
    not in place yet."""
    provider = provider_for_member(integration, member.email, member.time_zone)
    try:
        provider.list_calendars()
    except ProviderError as exc:
        OrganizationIntegration.objects.filter(pk=integration.pk).update(last_error=str(exc)[:500])
        integration.last_error = str(exc)
        return False
    _activate(integration=integration, admin=member)
    return True


def _activate(*, integration: OrganizationIntegration, admin: User) -> None:
    with transaction.atomic():
        now = timezone.now()
        integration.status = OrganizationIntegration.Status.ACTIVE
        integration.verified_at = now
        integration.consented_at = integration.consented_at or now
        integration.consented_by = integration.consented_by or admin
        integration.last_error = ""
        integration.save(
            update_fields=["status", "verified_at", "consented_at", "consented_by", "last_error"]
        )
        bump_busy_versions(members_covered_by(integration).values_list("pk", flat=True))
        from calendars import tasks

        transaction.on_commit(lambda: tasks.sync_organization.delay(integration.pk))
        # Invites that waited for the organization's grant (members booking through it) go
        # out now, as after a personal reconnect.
        transaction.on_commit(
            lambda: hooks.write_access_restored(
                members_covered_by(integration).values_list("pk", flat=True)
            )
        )


def organization_microsoft_complete(
    *, organization: Organization, admin: User, tenant_id: str
) -> OrganizationIntegration:
    """After `/adminconsent` returned: prove client credentials work for this tenant and that
    the tenant is this organization's (its members resolve), then activate.

    CalendarRefused (message for the admin) otherwise; nothing is stored.
    """
    if OrganizationIntegration.objects.filter(
        organization=organization, status=OrganizationIntegration.Status.ACTIVE
    ).exists():
        raise CalendarRefused("Your organization is already connected. Disconnect it first.")
    probe = OrganizationIntegration(
        organization=organization, provider=Provider.MICROSOFT, tenant_id=tenant_id
    )
    provider = provider_for_member(probe, admin.email, admin.time_zone)
    try:
        provider.list_calendars()
    except (NeedsReconnectError, PermanentProviderError):
        raise CalendarRefused(
            "That consent was granted for a different Microsoft 365 organization than "
            f"{organization.name}'s domains. Sign in as an administrator of your own organization."
        ) from None
    except TemporaryProviderError:
        raise CalendarRefused("Microsoft did not answer. Try again in a minute.") from None
    with transaction.atomic():
        OrganizationIntegration.objects.filter(
            organization=organization, status=OrganizationIntegration.Status.PENDING
        ).delete()
        integration = OrganizationIntegration.objects.create(
            organization=organization,
            provider=Provider.MICROSOFT,
            status=OrganizationIntegration.Status.PENDING,
            tenant_id=tenant_id,
            consented_by=admin,
            consented_at=timezone.now(),
        )
        _activate(integration=integration, admin=admin)
    return integration


@transaction.atomic
def organization_integration_mark_failed(
    *, integration: OrganizationIntegration, reason: str
) -> None:
    """Mark the domain-wide grant broken; the admin who consented gets one email per breakage
    (the status change), and org staff get a To-Do item until it works again."""
    changed = OrganizationIntegration.objects.filter(
        pk=integration.pk, status=OrganizationIntegration.Status.ACTIVE
    ).update(status=OrganizationIntegration.Status.FAILED, last_error=reason[:500])
    integration.status = OrganizationIntegration.Status.FAILED
    if changed:
        bump_busy_versions(members_covered_by(integration).values_list("pk", flat=True))
    admin = integration.consented_by
    if changed and admin is not None:
        context = {
            "integration": integration,
            "url": settings.SITE_URL + reverse("calendars:org_integration"),
        }
        transaction.on_commit(
            lambda: email_send(
                recipient=admin, template="calendars/email/org_action_required", context=context
            )
        )


def organization_disconnect(*, integration: OrganizationIntegration) -> None:
    """Stop using the organization's grant: stop its push channels (while the key still
    works), then delete its key and every member's cached busy data."""
    from calendars import push

    push.push_stop_organization(integration=integration)
    _organization_forget(integration=integration)


@transaction.atomic
def _organization_forget(*, integration: OrganizationIntegration) -> None:
    BusyBlock.objects.filter(integration=integration).delete()
    MemberSync.objects.filter(integration=integration).delete()
    integration.status = OrganizationIntegration.Status.DISCONNECTED
    integration.service_account_key = ""
    integration.disconnected_at = timezone.now()
    integration.save(update_fields=["status", "service_account_key", "disconnected_at"])
    bump_busy_versions(members_covered_by(integration).values_list("pk", flat=True))
