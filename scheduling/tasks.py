"""Celery tasks: thin and idempotent. Each loads by id and calls one service."""

from __future__ import annotations

from celery import shared_task

from scheduling import invites

MAX_INVITE_RETRIES = 6


@shared_task(bind=True, max_retries=MAX_INVITE_RETRIES, acks_late=True)
def invite_deliver(self, invite_id: int) -> str:
    # Run eagerly (the embedded default) there is no worker to come back later: the first
    # failure is final and the person gets the Retry button.
    final = self.request.retries >= self.max_retries or bool(self.request.is_eager)
    try:
        invite = invites.invite_deliver(invite_id=invite_id, final_attempt=final)
    except invites.InviteTemporaryFailure as error:
        # Exponential backoff (2, 4, 8 ... s, capped), or the provider's Retry-After.
        countdown = error.retry_after or min(2 ** (self.request.retries + 1), 300)
        raise self.retry(exc=error, countdown=countdown) from error
    return invite.state


@shared_task
def reminders_send() -> int:
    return invites.reminders_send()
