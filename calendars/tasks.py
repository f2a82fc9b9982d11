"""Thin, idempotent Celery tasks: load by id, call a service, retry temporary failures."""

from __future__ import annotations

from celery import shared_task

from calendars import services
from calendars.errors import TemporaryProviderError
from calendars.retry import backoff_delay

MAX_RETRIES = 5


def _retry(task, exc: TemporaryProviderError):
    raise task.retry(
        exc=exc,
        countdown=backoff_delay(task.request.retries, exc.retry_after, base=5.0),
        max_retries=MAX_RETRIES,
    )


@shared_task(bind=True, acks_late=True)
def sync_connection(self, connection_id: int) -> None:
    try:
        services.sync_connection(connection_id=connection_id)
    except TemporaryProviderError as exc:
        if self.request.is_eager:
            return  # in-process (embedded default): the next periodic sync catches up
        _retry(self, exc)


@shared_task(bind=True, acks_late=True)
def sync_organization(self, integration_id: int) -> None:
    try:
        services.sync_organization(integration_id=integration_id)
    except TemporaryProviderError as exc:
        if self.request.is_eager:
            return
        _retry(self, exc)


@shared_task(bind=True, acks_late=True)
def sync_organization_members(self, integration_id: int, user_ids: list[int]) -> None:
    try:
        services.sync_organization(integration_id=integration_id, user_ids=user_ids)
    except TemporaryProviderError as exc:
        if self.request.is_eager:
            return
        _retry(self, exc)


@shared_task(bind=True, acks_late=True)
def push_sync(self, channel_pk: int) -> None:
    """A push said a calendar changed: read it (the same read a poll does)."""
    from calendars import push

    try:
        push.push_sync(channel_pk=channel_pk)
    except TemporaryProviderError as exc:
        if self.request.is_eager:
            return
        _retry(self, exc)


@shared_task(bind=True, acks_late=True)
def push_lifecycle(self, channel_pk: int, event: str) -> None:
    """A Graph lifecycle notification: renew, resubscribe or read everything."""
    from calendars import push

    try:
        push.push_lifecycle(channel_pk=channel_pk, event=event)
    except TemporaryProviderError as exc:
        if self.request.is_eager:
            return
        _retry(self, exc)


@shared_task
def sync_all() -> None:
    """Beat: fan out one task per connection and per organization integration."""
    from calendars.models import CalendarConnection, OrganizationIntegration

    for pk in CalendarConnection.objects.filter(status="active").values_list("pk", flat=True):
        sync_connection.delay(pk)
    for pk in OrganizationIntegration.objects.filter(status="active").values_list("pk", flat=True):
        sync_organization.delay(pk)
